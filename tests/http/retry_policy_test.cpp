#include <catch2/catch.hpp>

#include "http/retry_policy.hpp"

using namespace std::chrono_literals;
using switchboard::ErrorKind;
using switchboard::HttpResponse;
using switchboard::http::RetryPolicy;

namespace {

HttpResponse with_header(std::string name, std::string value) {
    HttpResponse response;
    response.status = 429;
    response.headers.push_back({std::move(name), std::move(value)});
    return response;
}

const auto kNow = std::chrono::system_clock::from_time_t(784111777);  // Sun, 06 Nov 1994 08:49:37 GMT

}  // namespace

TEST_CASE("only unavailable, timeout and rate_limited are worth another attempt", "[http][retry]") {
    CHECK(RetryPolicy::retryable(ErrorKind::unavailable));
    CHECK(RetryPolicy::retryable(ErrorKind::timeout));
    CHECK(RetryPolicy::retryable(ErrorKind::rate_limited));
    for (auto kind : {ErrorKind::quota, ErrorKind::auth, ErrorKind::bad_request, ErrorKind::upstream_error,
                      ErrorKind::internal}) {
        CHECK_FALSE(RetryPolicy::retryable(kind));
    }
}

TEST_CASE("backoff doubles from the initial wait up to the cap, less up to a quarter of jitter", "[http][retry]") {
    RetryPolicy policy(switchboard::config::HttpSettings{});  // 500 ms, cap 8 s
    CHECK(policy.backoff(1, 0.0) == 500ms);
    CHECK(policy.backoff(2, 0.0) == 1000ms);
    CHECK(policy.backoff(3, 0.0) == 2000ms);
    CHECK(policy.backoff(5, 0.0) == 8000ms);
    CHECK(policy.backoff(9, 0.0) == 8000ms);
    CHECK(policy.backoff(1, 0.5) == 438ms);   // 500 · 0.875, rounded
    CHECK(policy.backoff(5, 0.999) == 6002ms);  // 8000 · 0.75025
}

TEST_CASE("retry-after-ms wins over Retry-After and may be fractional", "[http][retry]") {
    auto response = with_header("retry-after-ms", "1234.4");
    response.headers.push_back({"Retry-After", "7"});
    CHECK(RetryPolicy::retry_after(response, kNow) == 1234ms);
}

TEST_CASE("Retry-After is read as seconds or as an HTTP date", "[http][retry]") {
    CHECK(RetryPolicy::retry_after(with_header("Retry-After", "2"), kNow) == 2000ms);
    CHECK(RetryPolicy::retry_after(with_header("retry-after", "2.812"), kNow) == 2812ms);
    CHECK(RetryPolicy::retry_after(with_header("Retry-After", "Sun, 06 Nov 1994 08:49:47 GMT"), kNow) == 10000ms);
    // A date in the past means "now".
    CHECK(RetryPolicy::retry_after(with_header("Retry-After", "Sun, 06 Nov 1994 08:49:30 GMT"), kNow) == 0ms);
}

TEST_CASE("an absent, negative or unreadable Retry-After is ignored", "[http][retry]") {
    CHECK_FALSE(RetryPolicy::retry_after(HttpResponse{}, kNow));
    CHECK_FALSE(RetryPolicy::retry_after(with_header("Retry-After", "-3"), kNow));
    CHECK_FALSE(RetryPolicy::retry_after(with_header("Retry-After", "soon"), kNow));
    CHECK_FALSE(RetryPolicy::retry_after(with_header("Retry-After", "2s"), kNow));
}

TEST_CASE("x-should-retry is read only when it says true or false", "[http][retry]") {
    CHECK(RetryPolicy::upstream_says_retry(with_header("x-should-retry", "true")) == true);
    CHECK(RetryPolicy::upstream_says_retry(with_header("X-Should-Retry", "false")) == false);
    CHECK_FALSE(RetryPolicy::upstream_says_retry(with_header("x-should-retry", "maybe")));
    CHECK_FALSE(RetryPolicy::upstream_says_retry(HttpResponse{}));
}

TEST_CASE("an absurdly long Retry-After is clamped to a year instead of overflowing", "[http][retry]") {
    constexpr auto year = std::chrono::milliseconds(365LL * 24 * 3600 * 1000);
    CHECK(RetryPolicy::retry_after(with_header("retry-after-ms", "1e30"), kNow) == year);
    CHECK(RetryPolicy::retry_after(with_header("Retry-After", "1e16"), kNow) == year);
}
