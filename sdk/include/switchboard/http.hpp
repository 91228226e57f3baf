#pragma once

#include <algorithm>
#include <chrono>
#include <cstddef>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "switchboard/call_context.hpp"
#include "switchboard/error.hpp"
#include "switchboard/result.hpp"
#include "switchboard/task.hpp"
#include "switchboard/visibility.hpp"

namespace switchboard {

struct SWITCHBOARD_API HttpHeader {
    std::string name;
    std::string value;
};

// ASCII case-insensitive equality, as HTTP compares header names.
inline bool header_name_equals(std::string_view a, std::string_view b) noexcept {
    return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
               auto lower = [](char c) { return c >= 'A' && c <= 'Z' ? char(c - 'A' + 'a') : c; };
               return lower(x) == lower(y);
           });
}

// The first header named `name` (any case), or nullopt. The view lives as long as `headers`.
inline std::optional<std::string_view> find_header(const std::vector<HttpHeader>& headers,
                                                   std::string_view name) noexcept {
    for (const auto& header : headers) {
        if (header_name_equals(header.name, name)) return std::string_view(header.value);
    }
    return std::nullopt;
}

// A complete answer from the upstream: status line, headers in arrival order, the whole body.
struct SWITCHBOARD_API HttpResponse {
    int status = 0;
    std::vector<HttpHeader> headers;
    std::string body;
    int attempts = 1;  // how many attempts the host made, this one included

    std::optional<std::string_view> header(std::string_view name) const noexcept {
        return find_header(headers, name);
    }
};

// The error a status means when a plugin has nothing better to say: 401/403 auth, 402 quota,
// 408 timeout, 429 rate_limited, 5xx unavailable, other 4xx bad_request, anything else not 2xx
// upstream_error. Null for 2xx. upstream_status is set; retry_after is left to the host.
inline std::optional<Error> error_for_status(int status, std::string message) {
    if (status >= 200 && status < 300) return std::nullopt;
    ErrorKind kind = ErrorKind::upstream_error;
    if (status == 401 || status == 403) kind = ErrorKind::auth;
    else if (status == 402) kind = ErrorKind::quota;
    else if (status == 408) kind = ErrorKind::timeout;
    else if (status == 429) kind = ErrorKind::rate_limited;
    else if (status >= 500 && status < 600) kind = ErrorKind::unavailable;
    else if (status >= 400 && status < 500) kind = ErrorKind::bad_request;
    return Error::make(kind, std::move(message), status);
}

// One request to an upstream. Owned by the caller; the host copies what it needs.
struct SWITCHBOARD_API HttpRequest {
    std::string method = "GET";
    std::string url;                  // absolute http:// or https:// URL, query included
    std::vector<HttpHeader> headers;  // Authorization goes here; the host never logs headers
    std::string body;                 // sent as is; set Content-Type yourself

    // Unset: the backend's [backends.NAME.http] config decides.
    std::optional<std::chrono::milliseconds> connect_timeout;
    std::optional<std::chrono::milliseconds> timeout;  // one attempt, connect to last body byte
    std::optional<std::size_t> max_response_bytes;     // a longer body is an upstream_error

    // False for a request that must not be sent twice (it would start a second paid job).
    bool retry = true;

    // Maps a complete answer to an error, or null for success. Unset: error_for_status with a
    // message naming the status, method and URL. The host retries the kinds unavailable,
    // timeout and rate_limited, so map a 429 that must not be retried (quota) to quota. Called
    // on a host thread while the plugin is loaded; must not throw.
    std::function<std::optional<Error>(const HttpResponse&)> classify;
};

// The host's HTTP client, one per backend, configured by [backends.NAME.http]. Owned by the host; valid until the plugin's shutdown() returns.
// Thread-safe; any number of sends may be in flight.
class SWITCHBOARD_API HttpClient {
public:
    virtual ~HttpClient() = default;

    // Sends `request`, retrying per the backend's retry policy (backoff with jitter, Retry-After
    // honoured) within ctx.deadline and the policy's total deadline, each attempt logged with
    // ctx.request_id. Cancelling ctx aborts the attempt in flight.
    //
    // Returns the response when classify found no error. Otherwise the last attempt's error
    // (upstream_status set, retry_after from Retry-After / retry-after-ms when the upstream sent
    // one), or a transport error: unavailable (could not connect, TLS failure), timeout (attempt
    // timeout, deadline, cancellation), upstream_error (truncated body, connection reset mid-body,
    // body over max_response_bytes).
    virtual Task<Result<HttpResponse>> send(CallContext ctx, HttpRequest request) = 0;
};

}  // namespace switchboard
