#pragma once

#include <chrono>
#include <optional>
#include <string>

#include "config/config.hpp"
#include "switchboard/http.hpp"

namespace switchboard::http {

// The host's one retry policy, after the official OpenAI client: retry connection failures,
// timeouts, 408, 429 (but not a quota 429) and 5xx; wait exactly what the upstream's Retry-After
// or retry-after-ms says, and give up at once when that is longer than retry_after_max (as the
// newer official clients do); without one, an exponential backoff with jitter. An explicit
// `x-should-retry: true|false` from the upstream overrides the kind.
class RetryPolicy {
public:
    explicit RetryPolicy(const config::HttpSettings& settings) : settings_(settings) {}

    // Whether another attempt may cure an error of this kind: unavailable, timeout, rate_limited.
    static bool retryable(ErrorKind kind) noexcept;

    // The upstream's say on retrying, from x-should-retry; nullopt when it said nothing.
    static std::optional<bool> upstream_says_retry(const HttpResponse& response);

    // How long the upstream asked us to wait: retry-after-ms (milliseconds), else Retry-After
    // (seconds, or an HTTP-date relative to `now`). Nullopt when absent, unparsable or negative;
    // absurdly long values are clamped to a year.
    static std::optional<std::chrono::milliseconds> retry_after(const HttpResponse& response,
                                                                std::chrono::system_clock::time_point now);

    // The wait before retry number `retry` (1 for the first): min(initial · 2^(retry−1), max),
    // less up to a quarter at random (`random01` in [0, 1)).
    std::chrono::milliseconds backoff(int retry, double random01) const;

    const config::HttpSettings& settings() const noexcept { return settings_; }

private:
    config::HttpSettings settings_;
};

}  // namespace switchboard::http
