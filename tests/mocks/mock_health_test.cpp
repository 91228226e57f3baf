#include <algorithm>
#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

#include <catch2/catch.hpp>

#include "mock_common/fault_injector.hpp"
#include "mock_embeddings/mock_embeddings.hpp"
#include "mock_parse/mock_parse.hpp"
#include "mocks/mock_harness.hpp"

namespace switchboard::mock {
namespace {

using namespace std::chrono_literals;
using testing::Host;
using testing::Started;

// One health probe that must answer without the clock moving.
template <class Plugin>
Status probe(Plugin& plugin, Host& host, std::string request_id = "probe_1") {
    Started call(plugin.health(host.context(std::move(request_id))));
    REQUIRE(call.done());
    return std::move(call.result());
}

EmbeddingsRequest one_text() {
    EmbeddingsRequest request;
    request.inputs = {"hello world"};
    return request;
}

TEST_CASE("at failure rate 1 every health probe fails with the configured kind", "[mocks]") {
    Host host;
    MockEmbeddings plugin;
    testing::start_or_fail(plugin, host, {{"failure_rate", 1.0}, {"seed", std::int64_t{4}}});
    for (int i = 0; i < 3; ++i) {
        auto status = probe(plugin, host, "probe_" + std::to_string(i + 1));
        REQUIRE_FALSE(status.ok());
        CHECK(status.error().kind == ErrorKind::unavailable);
        CHECK(status.error().message == "mock-embeddings injected a 'unavailable' failure on health probe " +
                                            std::to_string(i) + " (request probe_" + std::to_string(i + 1) +
                                            "; failure_rate 1, seed 4); set failure_rate = 0 to stop "
                                            "injecting failures");
    }
    auto lines = host.logger.lines();
    CHECK(std::any_of(lines.begin(), lines.end(), [](const auto& line) {
        return line.level == LogLevel::debug && line.request_id == "probe_1" &&
               line.message == "injecting a 'unavailable' failure on health probe 0";
    }));
}

TEST_CASE("an injected rate limit on a health probe carries the retry-after", "[mocks]") {
    Host host;
    MockParse plugin;
    testing::start_or_fail(plugin, host, {{"failure_rate", 1.0}, {"failure_kind", std::string("rate_limited")},
                                          {"retry_after_ms", std::int64_t{700}}});
    auto status = probe(plugin, host);
    REQUIRE_FALSE(status.ok());
    CHECK(status.error().kind == ErrorKind::rate_limited);
    CHECK(status.error().retry_after == 700ms);
    CHECK(status.error().message ==
          "mock-parse injected a 'rate_limited' failure on health probe 0 (request probe_1; failure_rate 1, "
          "seed 0): retry after 700 ms");
}

TEST_CASE("a malformed injection fails a health probe with upstream_error", "[mocks]") {
    Host host;
    MockEmbeddings plugin;
    testing::start_or_fail(plugin, host, {{"failure_rate", 1.0}, {"failure_kind", std::string("malformed")}});
    for (int i = 0; i < 3; ++i) {
        auto status = probe(plugin, host);
        REQUIRE_FALSE(status.ok());
        CHECK(status.error().kind == ErrorKind::upstream_error);
    }
    MockParse parse;
    testing::start_or_fail(parse, host, {{"failure_rate", 1.0}, {"failure_kind", std::string("malformed")}});
    auto status = probe(parse, host);
    REQUIRE_FALSE(status.ok());
    CHECK(status.error().kind == ErrorKind::upstream_error);
    CHECK(status.error().message ==
          "mock-parse injected a 'malformed' failure on health probe 0 (request probe_1; failure_rate 1, seed 0): "
          "the answer could not be read");
}

TEST_CASE("an injected timeout hangs a health probe on the clock, then fails with timeout", "[mocks]") {
    Host host;
    MockEmbeddings plugin;
    testing::start_or_fail(plugin, host, {{"failure_rate", 1.0}, {"failure_kind", std::string("timeout")},
                                          {"timeout_hang_ms", std::int64_t{5'000}}});
    Started call(plugin.health(host.context("probe_3")));
    host.clock.advance(4'999ms);
    CHECK_FALSE(call.done());
    host.clock.advance(1ms);
    REQUIRE(call.done());
    REQUIRE_FALSE(call.result().ok());
    CHECK(call.result().error().kind == ErrorKind::timeout);
    CHECK(call.result().error().message ==
          "mock-embeddings injected a 'timeout' failure on health probe 0 (request probe_3; failure_rate 1, "
          "seed 0): no answer after 5000 ms");
}

TEST_CASE("cancelling a hanging health probe ends it at once", "[mocks]") {
    Host host;
    MockParse plugin;
    testing::start_or_fail(plugin, host, {{"failure_rate", 1.0}, {"failure_kind", std::string("timeout")}});
    auto ctx = host.context("probe_8");
    Started call(plugin.health(ctx));
    host.clock.advance(2s);
    CHECK_FALSE(call.done());
    ctx.cancellation->cancel();
    CHECK_FALSE(call.done());  // resumed from a host timer, never inside cancel()
    host.clock.run_ready();
    REQUIRE(call.done());
    CHECK(call.result().error().kind == ErrorKind::timeout);
    CHECK(call.result().error().message == "mock-parse health probe 0 was cancelled by the caller (request probe_8)");
    CHECK(host.clock.pending_timers() == 0);
}

TEST_CASE("at failure rate 0 every health probe is healthy", "[mocks]") {
    Host host;
    MockEmbeddings embeddings;
    MockParse parse;
    testing::start_or_fail(embeddings, host, {{"failure_kind", std::string("timeout")}, {"seed", std::int64_t{2}}});
    testing::start_or_fail(parse, host, {{"failure_kind", std::string("malformed")}});
    for (int i = 0; i < 1'000; ++i) {
        CHECK(probe(embeddings, host).ok());
        CHECK(probe(parse, host).ok());
    }
    CHECK(host.clock.pending_timers() == 0);
}

TEST_CASE("health probes do not shift which calls fail", "[mocks]") {
    const std::initializer_list<std::pair<std::string, SettingValue>> settings = {
        {"failure_rate", 0.5}, {"seed", std::int64_t{11}}};
    auto call_failures = [&](bool probe_between_calls) {
        Host host;
        MockEmbeddings plugin;
        testing::start_or_fail(plugin, host, settings);
        std::vector<bool> calls;
        int unhealthy = 0;
        for (int i = 0; i < 60; ++i) {
            if (probe_between_calls) {
                for (int p = 0; p < 3; ++p) unhealthy += probe(plugin, host).ok() ? 0 : 1;
            }
            Started call(plugin.embed(host.context(), one_text()));
            REQUIRE(call.done());
            calls.push_back(call.result().ok());
        }
        if (probe_between_calls) {
            // The probes do draw failures at the configured rate: 180 probes at 0.5.
            CHECK(unhealthy > 50);
            CHECK(unhealthy < 130);
        }
        return calls;
    };
    auto without_probes = call_failures(false);
    auto with_probes = call_failures(true);
    CHECK(with_probes == without_probes);
    CHECK(std::count(without_probes.begin(), without_probes.end(), false) > 0);
    CHECK(std::count(without_probes.begin(), without_probes.end(), true) > 0);
}

TEST_CASE("the probe stream is reproducible per seed and apart from the call stream", "[mocks]") {
    FaultSettings settings;
    settings.failure_rate = 0.3;
    settings.seed = 7;
    FaultInjector injector("mock", settings);
    FaultInjector again("mock", settings);
    std::vector<bool> probes, calls;
    int failures = 0;
    for (std::uint64_t i = 0; i < 10'000; ++i) {
        auto plan = injector.next_probe();
        CHECK(plan.probe == i);
        CHECK(again.next_probe().failure == plan.failure);
        failures += plan.failure ? 1 : 0;
        if (i < 500) {
            probes.push_back(plan.failure.has_value());
            calls.push_back(injector.plan(i).failure.has_value());
        }
    }
    CHECK(failures >= 2'700);
    CHECK(failures <= 3'300);
    CHECK(probes != calls);
    settings.seed = 8;
    FaultInjector other_seed("mock", settings);
    std::vector<bool> other;
    for (std::uint64_t i = 0; i < 500; ++i) other.push_back(other_seed.probe_plan(i).failure.has_value());
    CHECK(other != probes);
}

TEST_CASE("a health probe before start() is an internal error, not a crash", "[mocks]") {
    Host host;
    MockEmbeddings embeddings;
    auto status = probe(embeddings, host);
    REQUIRE_FALSE(status.ok());
    CHECK(status.error().kind == ErrorKind::internal);
    CHECK(status.error().message == "mock-embeddings was probed before start() (request probe_1)");
    MockParse parse;
    CHECK(probe(parse, host).error().message == "mock-parse was probed before start() (request probe_1)");
}

}  // namespace
}  // namespace switchboard::mock
