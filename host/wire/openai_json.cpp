#include "wire/openai_json.hpp"

#include <array>
#include <bit>
#include <charconv>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <string_view>

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

static_assert(std::endian::native == std::endian::little || std::endian::native == std::endian::big,
              "float32 bytes are reordered for little- or big-endian hosts only");

constexpr char kAlphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

// The two characters of every 12-bit value: three bytes are two lookups, not four.
constexpr auto kPairs = [] {
    std::array<char, 2 * 4096> pairs{};
    for (std::size_t i = 0; i < 4096; ++i) {
        pairs[2 * i] = kAlphabet[i >> 6];
        pairs[2 * i + 1] = kAlphabet[i & 63];
    }
    return pairs;
}();

// Base64 of `size` bytes, three bytes to four characters per step, written in place after one
// resize (an embedding of 1,536 dimensions is 8 KiB of it, once per answer).
void append_base64(std::string& out, const unsigned char* data, std::size_t size) {
    const std::size_t start = out.size();
    out.resize(start + (size + 2) / 3 * 4);
    char* to = out.data() + start;
    const unsigned char* const whole_end = data + size / 3 * 3;
    for (; data != whole_end; data += 3, to += 4) {
        const std::uint32_t n = std::uint32_t{data[0]} << 16 | std::uint32_t{data[1]} << 8 | data[2];
        std::memcpy(to, &kPairs[2 * (n >> 12)], 2);
        std::memcpy(to + 2, &kPairs[2 * (n & 0xfff)], 2);
    }
    if (const std::size_t rest = size % 3; rest > 0) {
        const std::uint32_t n = std::uint32_t{data[0]} << 16 | (rest == 2 ? std::uint32_t{data[1]} << 8 : 0);
        to[0] = kAlphabet[n >> 18];
        to[1] = kAlphabet[(n >> 12) & 63];
        to[2] = rest == 2 ? kAlphabet[(n >> 6) & 63] : '=';
        to[3] = '=';
    }
}

// The floats' bytes in little-endian order: their own storage on a little-endian host, else
// `scratch` filled with them.
std::string_view little_endian_bytes(const std::vector<float>& values, std::string& scratch) {
    if constexpr (std::endian::native == std::endian::little) {
        return {reinterpret_cast<const char*>(values.data()), values.size() * sizeof(float)};
    }
    scratch.resize(values.size() * sizeof(float));
    for (std::size_t i = 0; i < values.size(); ++i) {
        std::uint32_t bits = 0;
        std::memcpy(&bits, &values[i], sizeof bits);
        for (std::size_t b = 0; b < 4; ++b) scratch[i * 4 + b] = static_cast<char>(bits >> (8 * b));
    }
    return scratch;
}

void append_usage_and_model(std::string& out, const EmbeddingsResponse& response) {
    out += R"(],"model":)";
    out += boost::json::serialize(boost::json::string(response.model));
    out += R"(,"usage":{"prompt_tokens":)";
    out += std::to_string(response.usage.prompt_tokens);
    out += R"(,"total_tokens":)";
    out += std::to_string(response.usage.total_tokens);
    out += "}}";
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
    append_usage_and_model(out, response);
    return out;
}

std::string to_openai_json_base64(const EmbeddingsResponse& response) {
    std::string out;
    std::size_t floats = 0;
    for (const auto& v : response.vectors) floats += v.size();
    out.reserve(64 + (floats * 4 + 2) / 3 * 4 + response.vectors.size() * 52 + response.model.size() * 2 + 64);

    out += R"({"object":"list","data":[)";
    std::string scratch;
    for (std::size_t i = 0; i < response.vectors.size(); ++i) {
        if (i > 0) out += ',';
        out += R"({"object":"embedding","index":)";
        out += std::to_string(i);
        out += R"(,"embedding":")";
        auto bytes = little_endian_bytes(response.vectors[i], scratch);
        append_base64(out, reinterpret_cast<const unsigned char*>(bytes.data()), bytes.size());
        out += "\"}";
    }
    append_usage_and_model(out, response);
    return out;
}

}  // namespace switchboard::wire
