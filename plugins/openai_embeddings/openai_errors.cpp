#include "openai_embeddings/openai_errors.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdint>
#include <utility>

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

std::optional<Error> classify_answer(const HttpResponse& response, std::string_view call, const Secret& key) {
    if (response.status >= 200 && response.status < 300) return std::nullopt;
    auto envelope = parse_error_envelope(response.body);
    std::string message = "OpenAI " + std::to_string(response.status);
    std::string detail;
    if (envelope) {
        const std::string& label = envelope->code.empty() ? envelope->type : envelope->code;
        if (!label.empty()) message += " " + snippet(redact(label, key), 64);
        detail = snippet(redact(envelope->message, key), 500);
    } else {
        detail = snippet(redact(response.body, key));
    }
    message += " on " + std::string(call) + ": " + (detail.empty() ? "(empty body)" : detail);
    auto error = Error::make(error_kind(response.status, envelope ? &*envelope : nullptr), std::move(message),
                             response.status);
    if (error.kind == ErrorKind::rate_limited && envelope && !response.header("retry-after") &&
        !response.header("retry-after-ms")) {
        error.retry_after = wait_in_message(envelope->message);
    }
    return error;
}

std::optional<std::chrono::milliseconds> wait_in_message(std::string_view message) {
    constexpr std::string_view lead = "try again in ";
    auto found = message.find(lead);
    if (found == std::string_view::npos) return std::nullopt;
    std::string_view text = message.substr(found + lead.size());
    // Milliseconds per unit, "ms" before "m" so that "20ms" is not read as 20 minutes.
    constexpr std::pair<std::string_view, double> units[] = {
        {"ms", 1.0}, {"us", 1e-3}, {"\u00b5s", 1e-3}, {"ns", 1e-6}, {"h", 3'600'000.0}, {"m", 60'000.0}, {"s", 1'000.0},
    };
    auto is_digit = [](char c) { return c >= '0' && c <= '9'; };
    double total = 0;
    bool any = false;
    while (!text.empty() && is_digit(text.front())) {
        std::size_t end = 0;
        while (end < text.size() && is_digit(text[end])) ++end;
        if (end + 1 < text.size() && text[end] == '.' && is_digit(text[end + 1])) {
            ++end;
            while (end < text.size() && is_digit(text[end])) ++end;
        }
        double value = 0;
        if (std::from_chars(text.data(), text.data() + end, value).ec != std::errc{}) return std::nullopt;
        text.remove_prefix(end);
        bool known = false;
        for (const auto& [unit, ms] : units) {
            if (text.starts_with(unit)) {
                total += value * ms;
                text.remove_prefix(unit.size());
                known = true;
                break;
            }
        }
        if (!known) return std::nullopt;
        any = true;
    }
    if (!any || total > 1e12) return std::nullopt;
    // Up to whole milliseconds, ignoring the float error of "2.812" * 1000.
    auto ms = static_cast<std::int64_t>(std::ceil(total - 1e-6));
    return std::chrono::milliseconds(total > 0 ? std::max<std::int64_t>(ms, 1) : 0);
}

std::string redact(std::string text, const Secret& key) {
    const std::string& value = key.reveal();
    if (value.empty()) return text;
    auto at = text.find(value);
    if (at == std::string::npos) return text;  // the usual case: nothing to build
    const std::string shown = key.redacted();
    for (; at != std::string::npos; at = text.find(value, at + shown.size())) text.replace(at, value.size(), shown);
    return text;
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
