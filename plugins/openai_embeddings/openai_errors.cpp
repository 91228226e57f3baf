#include "openai_embeddings/openai_errors.hpp"

#include <boost/json.hpp>

namespace switchboard::openai {
namespace {

namespace json = boost::json;

std::string text_field(const json::object& object, std::string_view key) {
    const json::value* value = object.if_contains(key);
    if (!value || value->is_null()) return {};
    if (const auto* s = value->if_string()) return std::string(s->data(), s->size());
    return json::serialize(*value);  // "param" or "code" sent as a number, say
}

}  // namespace

std::optional<ErrorEnvelope> parse_error_envelope(std::string_view body) {
    boost::system::error_code ec;
    json::value root = json::parse(body, ec);
    if (ec || !root.is_object()) return std::nullopt;
    const json::value* error = root.get_object().if_contains("error");
    if (!error) return std::nullopt;
    if (const auto* message = error->if_string()) {
        return ErrorEnvelope{std::string(message->data(), message->size()), "", "", ""};
    }
    const auto* fields = error->if_object();
    if (!fields || !fields->contains("message")) return std::nullopt;
    return ErrorEnvelope{text_field(*fields, "message"), text_field(*fields, "type"), text_field(*fields, "param"),
                         text_field(*fields, "code")};
}

ErrorKind error_kind(int status, const ErrorEnvelope* envelope) {
    switch (status) {
        case 400:
        case 404:
            return ErrorKind::bad_request;
        case 401:
        case 403:
            return ErrorKind::auth;
        case 408:
            return ErrorKind::timeout;
        case 429:
            if (envelope && (envelope->code == "insufficient_quota" || envelope->type == "insufficient_quota")) {
                return ErrorKind::quota;
            }
            return ErrorKind::rate_limited;
        default:
            break;
    }
    if (status >= 500 && status < 600) return ErrorKind::unavailable;
    auto fallback = error_for_status(status, {});
    return fallback ? fallback->kind : ErrorKind::upstream_error;
}

std::optional<Error> classify_answer(const HttpResponse& response, std::string_view call) {
    if (response.status >= 200 && response.status < 300) return std::nullopt;
    auto envelope = parse_error_envelope(response.body);
    std::string message = "OpenAI " + std::to_string(response.status);
    std::string detail;
    if (envelope) {
        const std::string& label = envelope->code.empty() ? envelope->type : envelope->code;
        if (!label.empty()) message += " " + snippet(label, 64);
        detail = snippet(envelope->message, 500);
    } else {
        detail = snippet(response.body);
    }
    message += " on " + std::string(call) + ": " + (detail.empty() ? "(empty body)" : detail);
    return Error::make(error_kind(response.status, envelope ? &*envelope : nullptr), std::move(message),
                       response.status);
}

std::string snippet(std::string_view text, std::size_t limit) {
    auto is_space = [](char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; };
    while (!text.empty() && is_space(text.front())) text.remove_prefix(1);
    while (!text.empty() && is_space(text.back())) text.remove_suffix(1);
    bool cut = text.size() > limit;
    if (cut) {
        std::size_t end = limit;
        while (end > 0 && (static_cast<unsigned char>(text[end]) & 0xc0) == 0x80) --end;  // UTF-8 continuation
        text = text.substr(0, end);
    }
    std::string line;
    line.reserve(text.size() + 3);
    for (char c : text) line.push_back(static_cast<unsigned char>(c) < 0x20 || c == 0x7f ? ' ' : c);
    if (cut) line += "…";
    return line;
}

}  // namespace switchboard::openai
