#include "wire/openai_api.hpp"

#include <algorithm>
#include <array>

#include <boost/json.hpp>

#include "wire/openai_json.hpp"

namespace switchboard::wire {
namespace {

namespace json = boost::json;

constexpr std::size_t max_inputs = 2048;
constexpr std::array<std::string_view, 5> known_fields{"model", "input", "encoding_format", "dimensions", "user"};

ApiError bad(std::string message, std::optional<std::string> param) {
    ApiError error;
    error.status = 400;
    error.message = std::move(message);
    error.param = std::move(param);
    return error;
}

std::string_view kind_of(const json::value& value) {
    switch (value.kind()) {
        case json::kind::null: return "null";
        case json::kind::bool_: return "a boolean";
        case json::kind::int64:
        case json::kind::uint64: return "an integer";
        case json::kind::double_: return "a number";
        case json::kind::string: return "a string";
        case json::kind::array: return "an array";
        case json::kind::object: return "an object";
    }
    return "a value";
}

std::optional<std::int32_t> token_id(const json::value& value) {
    if (value.is_int64() && value.get_int64() >= 0 && value.get_int64() <= INT32_MAX) {
        return static_cast<std::int32_t>(value.get_int64());
    }
    if (value.is_uint64() && value.get_uint64() <= INT32_MAX) return static_cast<std::int32_t>(value.get_uint64());
    return std::nullopt;
}

// `input` into the request: a string, strings, token ids, or arrays of token ids.
std::optional<ApiError> read_input(const json::value& input, EmbeddingsRequest& request) {
    const std::optional<std::string> param = "input";
    if (input.is_string()) {
        if (input.get_string().empty()) return bad("'input' must not be an empty string", param);
        request.inputs.emplace_back(input.get_string());
        return std::nullopt;
    }
    if (!input.is_array()) {
        return bad("'input' must be a string, an array of strings, an array of token ids or an array of arrays of "
                   "token ids; got " + std::string(kind_of(input)),
                   param);
    }
    const auto& items = input.get_array();
    if (items.empty()) return bad("'input' must not be an empty array", param);
    if (items.size() > max_inputs) {
        return bad("'input' has " + std::to_string(items.size()) + " items; at most " + std::to_string(max_inputs) +
                       " are allowed per request",
                   param);
    }
    const auto& first = items.front();
    if (first.is_string()) {
        for (std::size_t i = 0; i < items.size(); ++i) {
            if (!items[i].is_string()) {
                return bad("'input[" + std::to_string(i) + "]' is " + std::string(kind_of(items[i])) +
                               "; an array of strings must hold only strings",
                           param);
            }
            if (items[i].get_string().empty()) {
                return bad("'input[" + std::to_string(i) + "]' must not be an empty string", param);
            }
            request.inputs.emplace_back(items[i].get_string());
        }
        return std::nullopt;
    }
    if (token_id(first)) {  // one tokenized input
        std::vector<std::int32_t> tokens;
        for (std::size_t i = 0; i < items.size(); ++i) {
            auto id = token_id(items[i]);
            if (!id) {
                return bad("'input[" + std::to_string(i) + "]' is not a token id (a non-negative integer)", param);
            }
            tokens.push_back(*id);
        }
        request.token_inputs.push_back(std::move(tokens));
        return std::nullopt;
    }
    if (first.is_array()) {
        for (std::size_t i = 0; i < items.size(); ++i) {
            if (!items[i].is_array() || items[i].get_array().empty()) {
                return bad("'input[" + std::to_string(i) + "]' must be a non-empty array of token ids", param);
            }
            std::vector<std::int32_t> tokens;
            for (std::size_t j = 0; j < items[i].get_array().size(); ++j) {
                auto id = token_id(items[i].get_array()[j]);
                if (!id) {
                    return bad("'input[" + std::to_string(i) + "][" + std::to_string(j) +
                                   "]' is not a token id (a non-negative integer)",
                               param);
                }
                tokens.push_back(*id);
            }
            request.token_inputs.push_back(std::move(tokens));
        }
        return std::nullopt;
    }
    return bad("'input[0]' is " + std::string(kind_of(first)) +
                   "; 'input' must hold strings, token ids or arrays of token ids",
               param);
}

}  // namespace

std::string ApiError::body() const {
    json::object inner;
    inner["message"] = message;
    inner["type"] = type;
    inner["param"] = param ? json::value(*param) : json::value(nullptr);
    inner["code"] = code ? json::value(*code) : json::value(nullptr);
    json::object outer;
    outer["error"] = std::move(inner);
    return json::serialize(outer);
}

Result<OpenAIEmbeddingsCall> parse_openai_embeddings(std::string_view body, ApiError& error) {
    auto failed = [&](ApiError why) -> Result<OpenAIEmbeddingsCall> {
        error = std::move(why);
        return Error::make(ErrorKind::bad_request, error.message);
    };
    boost::system::error_code ec;
    json::value parsed = json::parse(body, ec);
    if (ec) {
        return failed(bad("the request body is not valid JSON (" + ec.message() +
                              "); send a JSON object such as {\"model\": \"text-embedding-3-small\", \"input\": \"hello\"}",
                          std::nullopt));
    }
    if (!parsed.is_object()) {
        return failed(bad("the request body must be a JSON object, got " + std::string(kind_of(parsed)), std::nullopt));
    }
    const auto& object = parsed.get_object();
    for (const auto& [key, value] : object) {
        if (std::find(known_fields.begin(), known_fields.end(), std::string_view(key)) == known_fields.end()) {
            return failed(bad("Unrecognized request argument supplied: " + std::string(key), std::string(key)));
        }
    }
    OpenAIEmbeddingsCall call;
    const auto* model = object.if_contains("model");
    if (!model) return failed(bad("you must provide a model parameter", std::string("model")));
    if (!model->is_string() || model->get_string().empty()) {
        return failed(bad("'model' must be a non-empty string, got " + std::string(kind_of(*model)), std::string("model")));
    }
    call.request.model = std::string(model->get_string());
    const auto* input = object.if_contains("input");
    if (!input) return failed(bad("you must provide an input parameter", std::string("input")));
    if (auto problem = read_input(*input, call.request)) return failed(std::move(*problem));
    if (const auto* format = object.if_contains("encoding_format"); format && !format->is_null()) {
        if (!format->is_string() || (format->get_string() != "float" && format->get_string() != "base64")) {
            return failed(bad("'encoding_format' must be \"float\" or \"base64\"", std::string("encoding_format")));
        }
        call.base64 = format->get_string() == "base64";
    }
    if (const auto* dimensions = object.if_contains("dimensions"); dimensions && !dimensions->is_null()) {
        auto value = token_id(*dimensions);
        if (!value || *value < 1) {
            return failed(bad("'dimensions' must be an integer of at least 1", std::string("dimensions")));
        }
        call.request.dimensions = *value;
    }
    if (const auto* user = object.if_contains("user"); user && !user->is_null()) {
        if (!user->is_string()) return failed(bad("'user' must be a string", std::string("user")));
        call.request.user = std::string(user->get_string());
    }
    return call;
}

std::string to_openai_json(const EmbeddingsResponse& response, bool base64) {
    return base64 ? to_openai_json_base64(response) : to_openai_json(response);
}

ApiError api_error_for(const Error& error) {
    ApiError api;
    api.message = error.message;
    switch (error.kind) {
        case ErrorKind::bad_request:
            api.status = 400;
            api.type = "invalid_request_error";
            break;
        case ErrorKind::rate_limited:
            api.status = 429;
            api.type = "requests";
            api.code = "rate_limit_exceeded";
            break;
        case ErrorKind::quota:
            api.status = 429;
            api.type = "insufficient_quota";
            api.code = "insufficient_quota";
            break;
        case ErrorKind::budget_exceeded:
            api.status = 429;
            api.type = "budget_exceeded";
            api.code = "budget_exceeded";
            break;
        case ErrorKind::auth:  // the host's own key upstream, not the caller's
        case ErrorKind::upstream_error:
            api.status = 502;
            api.type = "upstream_error";
            api.code = std::string(to_string(error.kind));
            break;
        case ErrorKind::unavailable:
            api.status = 503;
            api.type = "server_error";
            api.code = "unavailable";
            break;
        case ErrorKind::timeout:
            api.status = 504;
            api.type = "server_error";
            api.code = "timeout";
            break;
        case ErrorKind::internal:
            api.status = 500;
            api.type = "server_error";
            break;
    }
    return api;
}

}  // namespace switchboard::wire
