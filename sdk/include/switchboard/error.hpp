#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <string_view>

#include "switchboard/visibility.hpp"

namespace switchboard {

// What went wrong in a call. The router decides on fallback from the kind alone.
enum class ErrorKind {
    unavailable,     // connection failure, upstream down, circuit open: try elsewhere
    timeout,         // no answer within the deadline
    rate_limited,    // 429 or a local rate limit; retry_after says when to try again
    quota,           // credits or budget exhausted (402, insufficient_quota, cost cap)
    auth,            // 401/403: the key is wrong or lacks permission
    bad_request,     // the caller's request is invalid (400, 404, 422); never hidden by fallback
    upstream_error,  // the upstream answered with garbage: truncated, malformed, wrong shape
    internal,        // a bug: a plugin threw, an invariant broke
    budget_exceeded, // the host's own spend cap would be passed; set by the host, never by plugins
};

constexpr std::string_view to_string(ErrorKind kind) noexcept {
    switch (kind) {
        case ErrorKind::unavailable: return "unavailable";
        case ErrorKind::timeout: return "timeout";
        case ErrorKind::rate_limited: return "rate_limited";
        case ErrorKind::quota: return "quota";
        case ErrorKind::auth: return "auth";
        case ErrorKind::bad_request: return "bad_request";
        case ErrorKind::upstream_error: return "upstream_error";
        case ErrorKind::internal: return "internal";
        case ErrorKind::budget_exceeded: return "budget_exceeded";
    }
    return "internal";
}

inline std::optional<ErrorKind> error_kind_from_string(std::string_view text) noexcept {
    for (auto kind : {ErrorKind::unavailable, ErrorKind::timeout, ErrorKind::rate_limited,
                      ErrorKind::quota, ErrorKind::auth, ErrorKind::bad_request,
                      ErrorKind::upstream_error, ErrorKind::internal, ErrorKind::budget_exceeded}) {
        if (to_string(kind) == text) return kind;
    }
    return std::nullopt;
}

// True for failures that say "this backend cannot serve now", which are the only ones the
// router falls back on. Client errors and internal bugs are returned as they are.
constexpr bool is_availability_failure(ErrorKind kind) noexcept {
    switch (kind) {
        case ErrorKind::unavailable:
        case ErrorKind::timeout:
        case ErrorKind::rate_limited:
        case ErrorKind::quota:
        case ErrorKind::auth:
        case ErrorKind::upstream_error:
        case ErrorKind::budget_exceeded:
            return true;
        case ErrorKind::bad_request:
        case ErrorKind::internal:
            return false;
    }
    return false;
}

// An error as a value: this is how failures cross the plugin boundary. Plain data, owned by
// whoever holds it; never carries a secret (plugins redact before building the message).
struct SWITCHBOARD_API Error {
    ErrorKind kind = ErrorKind::internal;
    std::string message;
    std::optional<std::chrono::milliseconds> retry_after;  // when the upstream said to retry
    int upstream_status = 0;                                // HTTP status from upstream, 0 if none

    static Error make(ErrorKind kind, std::string message, int upstream_status = 0) {
        return Error{kind, std::move(message), std::nullopt, upstream_status};
    }
};

// "kind: message", as logs and reports show an error.
inline std::string describe(const Error& error) {
    return std::string(to_string(error.kind)) + ": " + error.message;
}

}  // namespace switchboard
