#pragma once

#include "switchboard/error.hpp"

namespace switchboard::cli {

// Documented in README.md ("Exit codes"); scripts depend on them, so never renumber.
enum ExitCode : int {
    exit_ok = 0,
    exit_failure = 1,          // the host itself failed unexpectedly
    exit_usage = 2,            // bad command line or bad config
    exit_unhealthy = 3,        // `status`: at least one backend is not healthy
    exit_unavailable = 10,     // service errors, one per ErrorKind
    exit_timeout = 11,
    exit_rate_limited = 12,
    exit_quota = 13,
    exit_auth = 14,
    exit_bad_request = 15,
    exit_upstream_error = 16,
    exit_internal = 17,
    exit_budget_exceeded = 18,
};

constexpr int exit_code_for(ErrorKind kind) noexcept {
    switch (kind) {
        case ErrorKind::unavailable: return exit_unavailable;
        case ErrorKind::timeout: return exit_timeout;
        case ErrorKind::rate_limited: return exit_rate_limited;
        case ErrorKind::quota: return exit_quota;
        case ErrorKind::auth: return exit_auth;
        case ErrorKind::bad_request: return exit_bad_request;
        case ErrorKind::upstream_error: return exit_upstream_error;
        case ErrorKind::internal: return exit_internal;
        case ErrorKind::budget_exceeded: return exit_budget_exceeded;
    }
    return exit_internal;
}

}  // namespace switchboard::cli
