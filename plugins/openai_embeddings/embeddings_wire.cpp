#include "openai_embeddings/embeddings_wire.hpp"

#include <boost/json.hpp>

#include "openai_embeddings/base64.hpp"
#include "openai_embeddings/openai_errors.hpp"

namespace switchboard::openai {
namespace {

namespace json = boost::json;

Error problem(std::string message) { return Error::make(ErrorKind::upstream_error, std::move(message)); }

std::string at(std::size_t entry) { return "data[" + std::to_string(entry) + "]"; }

Result<std::vector<float>> embedding_values(const json::value& embedding, std::size_t entry) {
    if (const auto* text = embedding.if_string()) {
        auto values = decode_base64_floats(std::string_view(text->data(), text->size()));
        if (!values) return problem(at(entry) + ".embedding " + values.error().message);
        return values;
    }
    const auto* numbers = embedding.if_array();
    if (!numbers) return problem(at(entry) + ".embedding is neither a base64 string nor an array of numbers");
    std::vector<float> values;
    values.reserve(numbers->size());
    for (std::size_t j = 0; j < numbers->size(); ++j) {
        const json::value& number = (*numbers)[j];
        if (!number.is_number()) {
            return problem(at(entry) + ".embedding[" + std::to_string(j) + "] is not a number");
        }
        values.push_back(static_cast<float>(number.to_number<double>()));
    }
    return values;
}

std::optional<std::int64_t> whole_number(const json::value* value) {
    if (!value) return std::nullopt;
    if (const auto* i = value->if_int64()) return *i;
    if (const auto* u = value->if_uint64(); u && *u <= static_cast<std::uint64_t>(INT64_MAX)) {
        return static_cast<std::int64_t>(*u);
    }
    return std::nullopt;
}

}  // namespace

std::string embeddings_body(const EmbeddingsRequest& request, const Batch& batch, std::string_view model,
                            EncodingFormat format) {
    json::array input;
    input.reserve(batch.size());
    if (!request.token_inputs.empty()) {
        for (std::size_t i = batch.begin; i < batch.end; ++i) {
            const auto& tokens = request.token_inputs[i];
            json::array ids;
            ids.reserve(tokens.size());
            for (std::int32_t id : tokens) ids.emplace_back(static_cast<std::int64_t>(id));
            input.emplace_back(std::move(ids));
        }
    } else {
        for (std::size_t i = batch.begin; i < batch.end; ++i) input.emplace_back(json::string_view(request.inputs[i]));
    }

    json::object body;
    body.reserve(5);
    body.emplace("model", json::string_view(model.data(), model.size()));
    body.emplace("input", std::move(input));
    auto format_name = to_string(format);
    body.emplace("encoding_format", json::string_view(format_name.data(), format_name.size()));
    if (request.dimensions) body.emplace("dimensions", static_cast<std::int64_t>(*request.dimensions));
    if (!request.user.empty()) body.emplace("user", json::string_view(request.user));
    return json::serialize(body);
}

Result<EmbeddingsAnswer> parse_embeddings(std::string_view body, std::size_t inputs,
                                          std::optional<std::int32_t> dimensions, const Secret& key) {
    boost::system::error_code ec;
    json::value root = json::parse(body, ec);
    auto quoted = [&] { return snippet(redact(std::string(body), key), 120); };
    if (ec) return problem("is not valid JSON (" + ec.message() + "): " + quoted());
    const auto* object = root.if_object();
    if (!object) return problem("is not a JSON object: " + quoted());

    const json::value* kind = object->if_contains("object");
    if (!kind || !kind->is_string() || kind->get_string() != "list") {
        return problem("has \"object\": " + (kind ? json::serialize(*kind) : std::string("(missing)")) +
                       ", expected \"list\"");
    }
    const json::value* data_value = object->if_contains("data");
    const auto* data = data_value ? data_value->if_array() : nullptr;
    if (!data) return problem("has no \"data\" array");
    if (data->size() != inputs) {
        return problem("has " + std::to_string(data->size()) + " entries in \"data\" for " + std::to_string(inputs) +
                       " inputs");
    }

    EmbeddingsAnswer answer;
    answer.vectors.resize(inputs);
    std::vector<bool> seen(inputs, false);
    std::size_t width = 0;
    for (std::size_t entry = 0; entry < data->size(); ++entry) {
        const auto* item = (*data)[entry].if_object();
        if (!item) return problem(at(entry) + " is not an object");
        auto index = whole_number(item->if_contains("index"));
        if (!index) return problem(at(entry) + " has no integer \"index\"");
        if (*index < 0 || static_cast<std::size_t>(*index) >= inputs) {
            return problem(at(entry) + ".index " + std::to_string(*index) + " is out of range 0.." +
                           std::to_string(inputs - 1));
        }
        auto slot = static_cast<std::size_t>(*index);
        if (seen[slot]) return problem(at(entry) + ".index " + std::to_string(slot) + " appears more than once");
        seen[slot] = true;

        const json::value* embedding = item->if_contains("embedding");
        if (!embedding) return problem(at(entry) + " has no \"embedding\"");
        auto values = embedding_values(*embedding, entry);
        if (!values) return std::move(values).error();
        if (values->empty()) return problem(at(entry) + ".embedding is empty");
        if (dimensions && values->size() != static_cast<std::size_t>(*dimensions)) {
            return problem(at(entry) + ".embedding has " + std::to_string(values->size()) + " values, but " +
                           std::to_string(*dimensions) + " dimensions were requested");
        }
        if (entry == 0) width = values->size();
        if (values->size() != width) {
            return problem(at(entry) + ".embedding has " + std::to_string(values->size()) + " values, data[0] has " +
                           std::to_string(width));
        }
        answer.vectors[slot] = std::move(values).value();
    }

    const json::value* model = object->if_contains("model");
    if (!model || !model->is_string()) return problem("has no \"model\" string");
    answer.model = std::string(model->get_string().data(), model->get_string().size());

    const json::value* usage_value = object->if_contains("usage");
    const auto* usage = usage_value ? usage_value->if_object() : nullptr;
    if (!usage) return problem("has no \"usage\" object");
    auto prompt_tokens = whole_number(usage->if_contains("prompt_tokens"));
    auto total_tokens = whole_number(usage->if_contains("total_tokens"));
    if (!prompt_tokens || *prompt_tokens < 0) return problem("has no non-negative integer usage.prompt_tokens");
    if (!total_tokens || *total_tokens < 0) return problem("has no non-negative integer usage.total_tokens");
    answer.usage.prompt_tokens = *prompt_tokens;
    answer.usage.total_tokens = *total_tokens;
    return answer;
}

}  // namespace switchboard::openai
