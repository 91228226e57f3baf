#include "wire/openai_json.hpp"

#include <charconv>
#include <cmath>

#include <boost/json/serialize.hpp>
#include <boost/json/string.hpp>

namespace switchboard::wire {
namespace {

void append_float(std::string& out, float value) {
    if (!std::isfinite(value)) {  // JSON has no NaN or infinity; the router rejects them anyway
        out += "0";
        return;
    }
    char buffer[32];
    auto [end, ec] = std::to_chars(buffer, buffer + sizeof buffer, value);
    out.append(buffer, end);
}

}  // namespace

std::string to_openai_json(const EmbeddingsResponse& response) {
    std::string out;
    std::size_t floats = 0;
    for (const auto& v : response.vectors) floats += v.size();
    out.reserve(64 + floats * 12 + response.vectors.size() * 48);

    out += R"({"object":"list","data":[)";
    for (std::size_t i = 0; i < response.vectors.size(); ++i) {
        if (i > 0) out += ',';
        out += R"({"object":"embedding","index":)";
        out += std::to_string(i);
        out += R"(,"embedding":[)";
        const auto& vector = response.vectors[i];
        for (std::size_t j = 0; j < vector.size(); ++j) {
            if (j > 0) out += ',';
            append_float(out, vector[j]);
        }
        out += "]}";
    }
    out += R"(],"model":)";
    out += boost::json::serialize(boost::json::string(response.model));
    out += R"(,"usage":{"prompt_tokens":)";
    out += std::to_string(response.usage.prompt_tokens);
    out += R"(,"total_tokens":)";
    out += std::to_string(response.usage.total_tokens);
    out += "}}";
    return out;
}

}  // namespace switchboard::wire
