#include "http/retry_policy.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <ctime>

namespace switchboard::http {
namespace {

// Longer than any wait worth taking (a year): bigger values are clamped to it, so rounding to
// milliseconds cannot overflow and the caller's retry_after_max check sees "too long".
constexpr double kLongestWaitMs = 365.0 * 24 * 3600 * 1000;

std::chrono::milliseconds to_wait(double ms) {
    return std::chrono::milliseconds(std::llround(std::min(ms, kLongestWaitMs)));
}

std::optional<double> parse_number(std::string_view text) {
    while (!text.empty() && text.front() == ' ') text.remove_prefix(1);
    while (!text.empty() && text.back() == ' ') text.remove_suffix(1);
    double value = 0;
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (ec != std::errc{} || end != text.data() + text.size() || !std::isfinite(value)) return std::nullopt;
    return value;
}

// RFC 7231 IMF-fixdate, "Sun, 06 Nov 1994 08:49:37 GMT": the only date form servers still send.
std::optional<std::chrono::system_clock::time_point> parse_http_date(std::string_view text) {
    std::tm tm{};
    std::string copy(text);
    const char* end = strptime(copy.c_str(), "%a, %d %b %Y %H:%M:%S GMT", &tm);
    if (end == nullptr || *end != '\0') return std::nullopt;
    return std::chrono::system_clock::from_time_t(timegm(&tm));
}

}  // namespace

bool RetryPolicy::retryable(ErrorKind kind) noexcept {
    return kind == ErrorKind::unavailable || kind == ErrorKind::timeout || kind == ErrorKind::rate_limited;
}

std::optional<bool> RetryPolicy::upstream_says_retry(const HttpResponse& response) {
    auto value = response.header("x-should-retry");
    if (!value) return std::nullopt;
    if (*value == "true") return true;
    if (*value == "false") return false;
    return std::nullopt;
}

std::optional<std::chrono::milliseconds> RetryPolicy::retry_after(const HttpResponse& response,
                                                                  std::chrono::system_clock::time_point now) {
    using std::chrono::milliseconds;
    if (auto ms = response.header("retry-after-ms")) {
        if (auto value = parse_number(*ms); value && *value >= 0) return to_wait(*value);
    }
    auto header = response.header("retry-after");
    if (!header) return std::nullopt;
    if (auto seconds = parse_number(*header)) {
        if (*seconds < 0) return std::nullopt;
        return to_wait(*seconds * 1000);
    }
    if (auto date = parse_http_date(*header)) {
        auto wait = std::chrono::duration_cast<milliseconds>(*date - now);
        return std::max(wait, milliseconds(0));
    }
    return std::nullopt;
}

std::chrono::milliseconds RetryPolicy::backoff(int retry, double random01) const {
    double base = static_cast<double>(settings_.backoff_initial.count());
    double capped = std::min(base * std::pow(2.0, std::max(0, retry - 1)),
                             static_cast<double>(settings_.backoff_max.count()));
    double jitter = 1.0 - 0.25 * std::clamp(random01, 0.0, 1.0);
    return std::chrono::milliseconds(std::llround(capped * jitter));
}

}  // namespace switchboard::http
