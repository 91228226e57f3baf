#pragma once

#include <chrono>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <boost/json/value.hpp>

#include "switchboard/http.hpp"
#include "switchboard/secret.hpp"

namespace switchboard::llamaparse {

using QueryParams = std::vector<std::pair<std::string, std::string>>;

// One request to LlamaCloud, relative to the backend's base URL.
struct Call {
    std::string method = "GET";
    std::string path;    // "/api/v2/parse/upload"
    QueryParams query;   // after the backend's organization_id / project_id
    std::string content_type;
    std::string body;
    bool retry = true;   // false once a request could start or stop a billed job twice
    std::optional<std::chrono::milliseconds> timeout;

    std::string where() const { return method + " " + path; }  // for messages
};

// "a%20b" for "a b": RFC 3986 unreserved characters stay, everything else is percent-encoded.
std::string url_encode(std::string_view text);

// `text` with every occurrence of `key` replaced by key.redacted().
std::string redact(std::string text, const Secret& key);

// What an error body says: FastAPI's {"detail": ...} (a string as is, a list or object as compact
// JSON), else the body itself, trimmed and shortened. `key` is redacted before the text is cut,
// so no piece of a key straddling the cut survives.
std::string upstream_detail(std::string_view body, const Secret& key);

// The LlamaCloud side of one backend: builds authenticated requests, turns non-2xx answers into
// errors named after the request ("LlamaParse 402 on POST /api/v2/parse/upload: ..."), decodes
// JSON bodies, keeps the rate-limit headers the upstream sent, and keeps the key out of every
// message. Thread-safe.
class UpstreamClient {
public:
    UpstreamClient(HttpClient& http, std::string backend, std::string base_url, QueryParams scope, Secret api_key);

    // The answer, or the host's error for it (after its retries), with the key redacted.
    Task<Result<HttpResponse>> send(CallContext ctx, Call call);

    // The answer's body as JSON; an invalid body is an upstream_error naming the request.
    Result<boost::json::value> decode(const HttpResponse& response, std::string_view where,
                                      const CallContext& ctx) const;

    // " (backend 'NAME', request ID)", the tail of every message about a call.
    std::string context(const CallContext& ctx) const;
    // `message` with the API key replaced by its redacted form.
    std::string redact(std::string message) const;

    // Rate-limit and request-id headers of the latest answer (only those it sent), as {header, value}.
    std::vector<std::pair<std::string, std::string>> upstream_facts() const;

private:
    HttpRequest build(const CallContext& ctx, Call call) const;
    void note_headers(const HttpResponse& response) const;

    HttpClient& http_;
    std::string backend_;
    std::string base_url_;
    QueryParams scope_;
    Secret api_key_;

    mutable std::mutex mutex_;
    mutable std::map<std::string, std::string> facts_;
};

}  // namespace switchboard::llamaparse
