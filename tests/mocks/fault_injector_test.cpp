#include <algorithm>
#include <chrono>
#include <cstdint>
#include <vector>

#include <catch2/catch.hpp>

#include "mock_common/fault_injector.hpp"
#include "mock_embeddings/mock_embeddings.hpp"
#include "mocks/mock_harness.hpp"

namespace switchboard::mock {
namespace {

using namespace std::chrono_literals;
using testing::Host;
using testing::Started;

FaultSettings with_rate(double rate, std::int64_t seed, FailureKind kind = FailureKind::unavailable) {
    FaultSettings settings;
    settings.failure_rate = rate;
    settings.seed = seed;
    settings.failure_kind = kind;
    return settings;
}

int failures_in(FaultInjector& injector, int calls) {
    int failures = 0;
    for (int i = 0; i < calls; ++i) failures += injector.next().failure ? 1 : 0;
    return failures;
}

std::vector<bool> failure_sequence(std::int64_t seed, int calls) {
    FaultInjector injector("mock", with_rate(0.3, seed));
    std::vector<bool> sequence;
    for (int i = 0; i < calls; ++i) sequence.push_back(injector.next().failure.has_value());
    return sequence;
}

EmbeddingsRequest one_text() {
    EmbeddingsRequest request;
    request.inputs = {"hello world"};
    return request;
}

TEST_CASE("failure injection fails calls at the configured rate", "[mocks]") {
    for (std::int64_t seed : {0, 1, 42, -7}) {
        FaultInjector injector("mock", with_rate(0.2, seed));
        int failures = failures_in(injector, 10'000);
        INFO("seed " << seed);
        CHECK(failures >= 1'800);
        CHECK(failures <= 2'200);
    }
    FaultInjector never("mock", with_rate(0.0, 3));
    CHECK(failures_in(never, 10'000) == 0);
    FaultInjector always("mock", with_rate(1.0, 3));
    CHECK(failures_in(always, 10'000) == 10'000);
}

TEST_CASE("the same seed gives the same failure sequence and another seed a different one", "[mocks]") {
    auto first = failure_sequence(7, 500);
    CHECK(failure_sequence(7, 500) == first);
    CHECK(failure_sequence(8, 500) != first);
    // The plan is a function of the call index alone, whatever the order plans are asked in.
    FaultInjector injector("mock", with_rate(0.3, 7));
    CHECK(injector.plan(499).failure.has_value() == first[499]);
    CHECK(injector.plan(0).failure.has_value() == first[0]);
}

TEST_CASE("a latency range gives latencies spread over the whole range", "[mocks]") {
    FaultSettings settings;
    settings.latency_min = 10ms;
    settings.latency_max = 50ms;
    FaultInjector injector("mock", settings);
    std::int64_t total = 0;
    std::chrono::milliseconds low = 1000ms, high = 0ms;
    for (int i = 0; i < 10'000; ++i) {
        auto latency = injector.plan(static_cast<std::uint64_t>(i)).latency;
        low = std::min(low, latency);
        high = std::max(high, latency);
        total += latency.count();
    }
    CHECK(low == 10ms);
    CHECK(high == 50ms);
    CHECK(total / 10'000 >= 29);
    CHECK(total / 10'000 <= 31);
}

TEST_CASE("fault settings reject bad values with a message naming the key", "[mocks]") {
    using testing::start_error;
    const std::string in = " in switchboard.toml [backends.mock.settings] ";
    CHECK(start_error<MockEmbeddings>({{"failure_rate", 1.5}}).message ==
          "setting 'failure_rate'" + in + "must be between 0 and 1, got 1.5");
    CHECK(start_error<MockEmbeddings>({{"failure_rate", std::string("often")}}).message ==
          "setting 'failure_rate'" + in + "must be a number");
    CHECK(start_error<MockEmbeddings>({{"failure_kind", std::string("explode")}}).message ==
          "setting 'failure_kind'" + in +
              "must be one of unavailable, timeout, rate_limited, malformed; got 'explode'");
    CHECK(start_error<MockEmbeddings>({{"seed", 1.5}}).message == "setting 'seed'" + in + "must be an integer");
    CHECK(start_error<MockEmbeddings>({{"retry_after_ms", std::int64_t{-1}}}).message ==
          "setting 'retry_after_ms'" + in + "must be between 0 and 3600000, got -1");
    CHECK(start_error<MockEmbeddings>({{"timeout_hang_ms", std::int64_t{3'600'001}}}).message ==
          "setting 'timeout_hang_ms'" + in + "must be between 0 and 3600000, got 3600001");
    CHECK(start_error<MockEmbeddings>({{"latency_ms", std::int64_t{5}}, {"latency_max_ms", std::int64_t{9}}})
              .message == "setting 'latency_ms'" + in +
                              "cannot be combined with 'latency_min_ms'/'latency_max_ms': set one fixed "
                              "latency or a range");
    CHECK(start_error<MockEmbeddings>({{"latency_min_ms", std::int64_t{5}}}).message ==
          "setting 'latency_max_ms'" + in + "is required when 'latency_min_ms' is set");
    CHECK(start_error<MockEmbeddings>({{"latency_min_ms", std::int64_t{90}}, {"latency_max_ms", std::int64_t{10}}})
              .message == "setting 'latency_min_ms'" + in + "must not exceed 'latency_max_ms' (10), got 90");
    CHECK(start_error<MockEmbeddings>({{"latency_ms", std::int64_t{-3}}}).kind == ErrorKind::bad_request);
}

TEST_CASE("a mock waits its fixed latency on the host clock before answering", "[mocks]") {
    Host host;
    MockEmbeddings plugin;
    testing::start_or_fail(plugin, host, {{"latency_ms", std::int64_t{250}}});
    Started call(plugin.embed(host.context(), one_text()));
    CHECK_FALSE(call.done());
    host.clock.advance(249ms);
    CHECK_FALSE(call.done());
    host.clock.advance(1ms);
    REQUIRE(call.done());
    CHECK(call.result().ok());
}

TEST_CASE("a mock with a latency range waits the planned latency of each call", "[mocks]") {
    Host host;
    MockEmbeddings plugin;
    testing::start_or_fail(plugin, host,
                           {{"latency_min_ms", std::int64_t{100}},
                            {"latency_max_ms", std::int64_t{200}},
                            {"seed", std::int64_t{5}}});
    FaultSettings same;
    same.seed = 5;
    same.latency_min = 100ms;
    same.latency_max = 200ms;
    FaultInjector planner("mock", same);
    for (std::uint64_t i = 0; i < 5; ++i) {
        auto latency = planner.plan(i).latency;
        Started call(plugin.embed(host.context(), one_text()));
        host.clock.advance(latency - 1ms);
        CHECK_FALSE(call.done());
        host.clock.advance(1ms);
        CHECK(call.done());
    }
}

TEST_CASE("an injected unavailable failure is an error saying how to turn injection off", "[mocks]") {
    Host host;
    MockEmbeddings plugin;
    testing::start_or_fail(plugin, host, {{"failure_rate", 1.0}, {"seed", std::int64_t{9}}});
    Started call(plugin.embed(host.context("req-7"), one_text()));
    REQUIRE(call.done());
    REQUIRE_FALSE(call.result().ok());
    CHECK(call.result().error().kind == ErrorKind::unavailable);
    CHECK(call.result().error().message ==
          "mock-embeddings injected a 'unavailable' failure on call 0 (request req-7; failure_rate 1, seed 9); "
          "set failure_rate = 0 to stop injecting failures");
    auto lines = host.logger.lines();
    CHECK(std::any_of(lines.begin(), lines.end(), [](const auto& line) {
        return line.level == LogLevel::debug && line.request_id == "req-7" &&
               line.message == "injecting a 'unavailable' failure on call 0";
    }));
}

TEST_CASE("an injected rate limit carries the configured retry-after", "[mocks]") {
    Host host;
    MockEmbeddings plugin;
    testing::start_or_fail(plugin, host, {{"failure_rate", 1.0}, {"failure_kind", std::string("rate_limited")},
                                          {"retry_after_ms", std::int64_t{2500}}});
    Started call(plugin.embed(host.context(), one_text()));
    REQUIRE(call.done());
    const Error& error = call.result().error();
    CHECK(error.kind == ErrorKind::rate_limited);
    CHECK(error.retry_after == std::chrono::milliseconds(2500));
    CHECK(error.message ==
          "mock-embeddings injected a 'rate_limited' failure on call 0 (request req-1; failure_rate 1, seed 0): "
          "retry after 2500 ms");
}

TEST_CASE("an injected timeout hangs on the clock, then fails with timeout", "[mocks]") {
    Host host;
    MockEmbeddings plugin;
    testing::start_or_fail(plugin, host, {{"failure_rate", 1.0}, {"failure_kind", std::string("timeout")},
                                          {"latency_ms", std::int64_t{10}}});
    Started call(plugin.embed(host.context(), one_text()));
    host.clock.advance(10ms + 60s - 1ms);
    CHECK_FALSE(call.done());
    host.clock.advance(1ms);
    REQUIRE(call.done());
    CHECK(call.result().error().kind == ErrorKind::timeout);
    CHECK(call.result().error().message ==
          "mock-embeddings injected a 'timeout' failure on call 0 (request req-1; failure_rate 1, seed 0): "
          "no answer after 60000 ms");
}

TEST_CASE("cancelling a hanging call ends it at once with a cancellation error", "[mocks]") {
    Host host;
    MockEmbeddings plugin;
    testing::start_or_fail(plugin, host, {{"failure_rate", 1.0}, {"failure_kind", std::string("timeout")},
                                          {"timeout_hang_ms", std::int64_t{600'000}}});
    auto ctx = host.context("req-9");
    Started call(plugin.embed(ctx, one_text()));
    host.clock.advance(5s);
    CHECK_FALSE(call.done());
    ctx.cancellation->cancel();
    CHECK_FALSE(call.done());  // resumed from a host timer, never inside cancel()
    host.clock.run_ready();
    REQUIRE(call.done());
    CHECK(call.result().error().kind == ErrorKind::timeout);
    CHECK(call.result().error().message == "mock-embeddings call 0 was cancelled by the caller (request req-9)");
    CHECK(host.clock.pending_timers() == 0);
}

TEST_CASE("a call cancelled during its latency does not answer", "[mocks]") {
    Host host;
    MockEmbeddings plugin;
    testing::start_or_fail(plugin, host, {{"latency_ms", std::int64_t{1000}}});
    auto ctx = host.context();
    Started call(plugin.embed(ctx, one_text()));
    host.clock.advance(400ms);
    ctx.cancellation->cancel();
    host.clock.run_ready();
    REQUIRE(call.done());
    CHECK(call.result().error().message == "mock-embeddings call 0 was cancelled by the caller (request req-1)");
    CHECK(host.clock.pending_timers() == 0);
}

}  // namespace
}  // namespace switchboard::mock
