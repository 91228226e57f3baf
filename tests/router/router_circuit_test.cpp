#include <string>

#include <catch2/catch.hpp>

#include "router_rig.hpp"

using namespace std::chrono_literals;
using namespace switchboard;
using namespace switchboard::testing;
using Step = ScriptedBackend::Step;
using config::Mode;
using health::Circuit;

namespace {

// ManualClock's calendar time starts at 2025-12-18T00:00:00Z.
RouterRig& circuit_rig(RouterRig& rig) {
    rig.config.services["embed"].real = {"real-a"};
    rig.build();
    rig.fake("real-a").set_default(Step::fail(ErrorKind::unavailable, "connection refused"));
    return rig;
}

}  // namespace

TEST_CASE(
    "the circuit opens after failure_threshold failures, skips the backend until the cooldown, and a "
    "successful half-open trial closes it",
    "[router]") {
    RouterRig rig(Mode::hybrid);
    circuit_rig(rig);
    const auto t0 = rig.clock.now();

    for (int i = 0; i < 3; ++i) {
        CHECK(rig.health->snapshot("real-a").circuit == Circuit::closed);
        auto routed = rig.embed({"x"});
        CHECK(routed.backend == "mock");
    }
    auto opened = rig.health->snapshot("real-a");
    CHECK(opened.circuit == Circuit::open);
    CHECK(opened.open_until == t0 + 30s);
    CHECK(opened.consecutive_failures == 3);
    CHECK(
        rig.log.contains("circuit of backend 'real-a' opened for 30000 ms after 3 consecutive failures "
                         "(last: unavailable: connection refused)"));

    rig.clock.advance(10s);
    auto skipped = rig.embed({"x"}, RouterRig::id("req_skip"));
    CHECK(skipped.backend == "mock");
    REQUIRE(skipped.fallbacks.size() == 1);
    CHECK(skipped.fallbacks[0].backend == "real-a");
    CHECK(skipped.fallbacks[0].error.kind == ErrorKind::unavailable);
    CHECK(skipped.fallbacks[0].error.message ==
          "circuit open until 2025-12-18T00:00:30.000Z (20000 ms from now) after 3 consecutive failures "
          "(last: unavailable)");
    CHECK(skipped.fallbacks[0].error.retry_after == std::chrono::milliseconds(20000));
    CHECK(rig.fake("real-a").calls() == 3);
    CHECK(
        rig.log.contains("service 'embed': skipping backend 'real-a': circuit open until "
                         "2025-12-18T00:00:30.000Z (20000 ms from now) after 3 consecutive failures (last: "
                         "unavailable); next: mock"));

    rig.clock.advance(20s - 1ms);
    CHECK(rig.embed({"x"}).fallbacks.at(0).error.message ==
          "circuit open until 2025-12-18T00:00:30.000Z (1 ms from now) after 3 consecutive failures (last: "
          "unavailable)");
    CHECK(rig.fake("real-a").calls() == 3);

    rig.clock.advance(1ms);
    CHECK(rig.clock.now() == t0 + 30s);
    CHECK(rig.health->snapshot("real-a").circuit == Circuit::half_open);

    // One trial goes through; while it is in flight every other call skips the backend.
    rig.fake("real-a").script(Step::answer().after(200ms));
    Pending trial(rig.router->embed("embed", EmbeddingsRequest{{"x"}, {}, "", {}, ""}));
    CHECK(rig.fake("real-a").calls() == 4);
    auto meanwhile = rig.embed({"x"});
    CHECK(meanwhile.backend == "mock");
    CHECK(meanwhile.fallbacks.at(0).error.message ==
          "circuit half-open: a trial call is deciding whether the backend is back");
    CHECK(rig.fake("real-a").calls() == 4);

    rig.clock.advance(200ms);
    REQUIRE(trial.done());
    CHECK(trial.get().backend == "real-a");
    auto closed = rig.health->snapshot("real-a");
    CHECK(closed.circuit == Circuit::closed);
    CHECK(closed.consecutive_failures == 0);
    CHECK_FALSE(closed.open_until.has_value());
    CHECK(rig.log.contains("backend 'real-a' answered again; its circuit is closed"));

    rig.fake("real-a").script(Step::answer());
    CHECK(rig.embed({"x"}).backend == "real-a");
}

TEST_CASE("a failed half-open trial re-opens the circuit for another full cooldown from the failure",
          "[router]") {
    RouterRig rig(Mode::hybrid);
    circuit_rig(rig);
    for (int i = 0; i < 3; ++i) (void)rig.embed({"x"});
    rig.clock.advance(30s);

    SECTION("the trial fails") {
        auto trial = rig.embed({"x"});
        CHECK(trial.backend == "mock");
        CHECK(trial.fallbacks.at(0).error.message == "connection refused");
        auto reopened = rig.health->snapshot("real-a");
        CHECK(reopened.circuit == Circuit::open);
        CHECK(reopened.open_until == rig.clock.now() + 30s);
        CHECK(reopened.consecutive_failures == 4);
        CHECK(
            rig.log.contains("circuit of backend 'real-a' re-opened for 30000 ms: the half-open trial failed "
                             "(unavailable: connection refused)"));
        CHECK(rig.embed({"x"}).fallbacks.at(0).error.message ==
              "circuit open until 2025-12-18T00:01:00.000Z (30000 ms from now) after 4 consecutive failures "
              "(last: unavailable)");
    }
    SECTION("the trial times out") {
        rig.fake("real-a").script(Step::hang());
        const auto trial_start = rig.clock.now();
        auto trial = rig.embed({"x"});
        CHECK(rig.clock.now() == trial_start + 1000ms);
        CHECK(trial.fallbacks.at(0).error.kind == ErrorKind::timeout);
        auto reopened = rig.health->snapshot("real-a");
        CHECK(reopened.circuit == Circuit::open);
        CHECK(reopened.open_until == trial_start + 1000ms + 30s);
    }
    SECTION("a trial answered with bad_request decides nothing; the next call is the trial") {
        rig.fake("real-a").script(Step::fail(ErrorKind::bad_request, "400"));
        auto trial = rig.embed({"x"});
        CHECK(trial.backend == "real-a");
        CHECK(rig.health->snapshot("real-a").circuit == Circuit::half_open);
        rig.fake("real-a").script(Step::answer());
        CHECK(rig.embed({"x"}).backend == "real-a");
        CHECK(rig.health->snapshot("real-a").circuit == Circuit::closed);
    }
}

TEST_CASE("in real mode an open circuit is listed in the unavailable error, and the mock is never used",
          "[router]") {
    RouterRig rig(Mode::real);
    circuit_rig(rig);
    for (int i = 0; i < 3; ++i) (void)rig.embed({"x"});

    auto routed = rig.embed({"x"}, RouterRig::id("req_open"));

    REQUIRE_FALSE(routed.result.ok());
    CHECK(routed.result.error().kind == ErrorKind::unavailable);
    CHECK(routed.result.error().message ==
          "service 'embed' (mode real, request req_open): no backend could serve: 'real-a': unavailable: "
          "circuit "
          "open until 2025-12-18T00:00:30.000Z (30000 ms from now) after 3 consecutive failures (last: "
          "unavailable). Mode real never falls back to the mock 'mock'; mode hybrid does");
    CHECK(routed.result.error().retry_after == std::chrono::milliseconds(30000));
    CHECK(rig.fake("mock").calls() == 0);
}

TEST_CASE("health lines about a call carry that call's request id", "[router]") {
    RouterRig rig(Mode::hybrid);
    circuit_rig(rig);
    (void)rig.embed({"x"}, RouterRig::id("req_first"));
    (void)rig.embed({"x"}, RouterRig::id("req_second"));
    (void)rig.embed({"x"}, RouterRig::id("req_third"));
    rig.clock.advance(30s);
    (void)rig.embed({"x"}, RouterRig::id("req_trial"));
    rig.clock.advance(30s);
    rig.fake("real-a").script(Step::answer());
    (void)rig.embed({"x"}, RouterRig::id("req_back"));

    CHECK(rig.log.has(LogLevel::warn, "req_first",
                   "backend 'real-a' is unhealthy: unavailable: connection refused"));
    CHECK(rig.log.has(LogLevel::warn, "req_third",
                   "circuit of backend 'real-a' opened for 30000 ms after 3 consecutive failures (last: "
                   "unavailable: connection refused)"));
    CHECK(rig.log.has(LogLevel::warn, "req_trial",
                   "circuit of backend 'real-a' re-opened for 30000 ms: the half-open trial failed "
                   "(unavailable: connection refused)"));
    CHECK(rig.log.has(LogLevel::info, "req_back", "backend 'real-a' answered again; its circuit is closed"));
    for (const auto& line : rig.log.lines()) CHECK_FALSE(line.request_id.empty());
}
