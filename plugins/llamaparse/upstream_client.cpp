#include "llamaparse/upstream_client.hpp"

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

namespace switchboard::llamaparse {
namespace {

std::string lowercase(std::string_view text) {
    std::string out(text);
    for (char& c : out) c = (c >= 'A' && c <= 'Z') ? char(c - 'A' + 'a') : c;
    return out;
}

bool is_fact_header(std::string_view lower_name) {
    return lower_name.rfind("x-ratelimit-", 0) == 0 || lower_name.rfind("ratelimit-", 0) == 0 ||
           lower_name == "retry-after" || lower_name == "x-request-id";
}

// At most `limit` bytes of `text`, trimmed, control characters shown as spaces.
std::string excerpt(std::string_view text, std::size_t limit) {
    auto first = text.find_first_not_of(" \t\r\n");
    if (first == std::string_view::npos) return {};
    text = text.substr(first, text.find_last_not_of(" \t\r\n") - first + 1);
    std::string out;
    for (char c : text.substr(0, limit)) out += (static_cast<unsigned char>(c) < 0x20) ? ' ' : c;
    if (text.size() > limit) out += "...";
    return out;
}

}  // namespace

std::string url_encode(std::string_view text) {
    static constexpr char hex[] = "0123456789ABCDEF";
    std::string out;
    for (char c : text) {
        auto u = static_cast<unsigned char>(c);
        if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
            c == '_' || c == '.' || c == '~') {
            out += c;
        } else {
            out += '%';
            out += hex[u >> 4];
            out += hex[u & 0xF];
        }
    }
    return out;
}

std::string redact(std::string text, const Secret& key) {
    const std::string& value = key.reveal();
    if (value.empty()) return text;
    const std::string shown = key.redacted();
    for (auto at = text.find(value); at != std::string::npos; at = text.find(value, at + shown.size())) {
        text.replace(at, value.size(), shown);
    }
    return text;
}

std::string upstream_detail(std::string_view body, const Secret& key) {
    boost::system::error_code ec;
    auto json = boost::json::parse(body, ec);
    if (!ec && json.is_object()) {
        if (const auto* detail = json.as_object().if_contains("detail")) {
            std::string text = detail->is_string() ? std::string(detail->as_string()) : boost::json::serialize(*detail);
            return excerpt(redact(std::move(text), key), 500);
        }
    }
    auto text = excerpt(redact(std::string(body), key), 300);
    return text.empty() ? "(empty body)" : text;
}

UpstreamClient::UpstreamClient(HttpClient& http, std::string backend, std::string base_url, QueryParams scope,
                               Secret api_key)
    : http_(http),
      backend_(std::move(backend)),
      base_url_(std::move(base_url)),
      scope_(std::move(scope)),
      api_key_(std::move(api_key)) {}

std::string UpstreamClient::context(const CallContext& ctx) const {
    return " (backend '" + backend_ + "', request " + ctx.request_id + ")";
}

std::string UpstreamClient::redact(std::string message) const {
    return llamaparse::redact(std::move(message), api_key_);
}

HttpRequest UpstreamClient::build(const CallContext& ctx, Call call) const {
    HttpRequest request;
    request.method = call.method;
    request.url = base_url_ + call.path;
    char separator = '?';
    auto add = [&](const std::pair<std::string, std::string>& param) {
        request.url += separator + url_encode(param.first) + "=" + url_encode(param.second);
        separator = '&';
    };
    for (const auto& param : scope_) add(param);
    for (const auto& param : call.query) add(param);
    request.headers.push_back({"Authorization", "Bearer " + api_key_.reveal()});
    request.headers.push_back({"Accept", "application/json"});
    if (!call.content_type.empty()) request.headers.push_back({"Content-Type", call.content_type});
    request.body = std::move(call.body);
    request.retry = call.retry;
    request.timeout = call.timeout;

    std::string where = call.where();
    std::string tail = context(ctx);
    std::string key_hint = "; check LLAMA_CLOUD_API_KEY or api_key in [backends." + backend_ + "]";
    request.classify = [this, where, tail, key_hint](const HttpResponse& response) -> std::optional<Error> {
        try {
            note_headers(response);
            if (response.status >= 200 && response.status < 300) return std::nullopt;
            auto error = error_for_status(response.status, {});
            error->message = redact("LlamaParse " + std::to_string(response.status) + " on " + where + ": " +
                                    upstream_detail(response.body, api_key_) + tail);
            if (error->kind == ErrorKind::auth) error->message += key_hint;
            if (error->kind == ErrorKind::quota) error->message += "; the LlamaCloud account is out of credits";
            return error;
        } catch (...) {
            return Error::make(ErrorKind::upstream_error,
                               "LlamaParse " + std::to_string(response.status) + " on " + where + tail,
                               response.status);
        }
    };
    return request;
}

Task<Result<HttpResponse>> UpstreamClient::send(CallContext ctx, Call call) {
    auto request = build(ctx, std::move(call));
    auto sending = http_.send(ctx, std::move(request));
    auto answer = co_await std::move(sending);
    if (!answer.ok()) {
        Error error = std::move(answer).error();
        error.message = redact(std::move(error.message));
        co_return error;
    }
    co_return answer;
}

Result<boost::json::value> UpstreamClient::decode(const HttpResponse& response, std::string_view where,
                                                   const CallContext& ctx) const {
    boost::system::error_code ec;
    auto json = boost::json::parse(response.body, ec);
    if (ec) {
        return Error::make(ErrorKind::upstream_error,
                           redact("LlamaParse answered " + std::string(where) + " with invalid JSON (" + ec.message() +
                                  "; body \"" + excerpt(redact(response.body), 120) + "\")" + context(ctx)),
                           response.status);
    }
    return json;
}

void UpstreamClient::note_headers(const HttpResponse& response) const {
    std::map<std::string, std::string> facts;
    for (const auto& header : response.headers) {
        auto name = lowercase(header.name);
        if (is_fact_header(name)) facts[name] = redact(header.value);
    }
    std::lock_guard lock(mutex_);
    facts_ = std::move(facts);  // a header this answer did not send is no longer known
}

std::vector<std::pair<std::string, std::string>> UpstreamClient::upstream_facts() const {
    std::lock_guard lock(mutex_);
    return {facts_.begin(), facts_.end()};
}

}  // namespace switchboard::llamaparse
