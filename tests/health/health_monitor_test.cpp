#include <chrono>
#include <memory>
#include <string>
#include <string_view>

#include <catch2/catch.hpp>

#include "fakes/capture_logger.hpp"
#include "fakes/manual_clock.hpp"
#include "fakes/scripted_backend.hpp"
#include "health/health_monitor.hpp"

using namespace std::chrono_literals;
using namespace switchboard;
using namespace switchboard::testing;
using health::Circuit;
using health::HealthMonitor;
using health::State;
using Step = ScriptedBackend::Step;

namespace {

config::HealthSettings settings() {
    config::HealthSettings s;
    s.probe_interval = 10s;
    s.probe_timeout = 2s;
    s.failure_threshold = 3;
    s.cooldown = 30s;
    return s;
}

struct HealthRig {
    ManualClock clock;
    CaptureLogger log;
    std::shared_ptr<ScriptedBackend> alpha = std::make_shared<ScriptedBackend>("alpha", clock);
    std::shared_ptr<ScriptedBackend> beta = std::make_shared<ScriptedBackend>("beta", clock);
    HealthMonitor monitor{settings(), clock, log};

    HealthRig() {
        monitor.add("alpha", alpha);
        monitor.add("beta", beta);
    }
    ~HealthRig() {
        monitor.stop();
        alpha->release_hung();
        beta->release_hung();
        clock.advance(10min);
    }

    // True when try_admit() lets a call to `backend` through (and so takes a half-open trial).
    bool admits(std::string_view backend) { return !monitor.try_admit(backend).has_value(); }

    // One probe round; true once `done` ran.
    std::shared_ptr<bool> probe() {
        auto done = std::make_shared<bool>(false);
        monitor.probe_all([done] { *done = true; });
        return done;
    }
};

const Error refused = Error::make(ErrorKind::unavailable, "connection refused");

}  // namespace

TEST_CASE("a backend starts unknown and closed, and an unknown name is always admitted", "[health]") {
    HealthRig rig;
    auto fresh = rig.monitor.snapshot("alpha");
    CHECK(fresh.state == State::unknown);
    CHECK(fresh.circuit == Circuit::closed);
    CHECK_FALSE(fresh.last_error.has_value());
    CHECK_FALSE(fresh.last_check.has_value());
    CHECK(fresh.consecutive_failures == 0);
    CHECK(rig.admits("alpha"));
    CHECK(rig.admits("never-added"));
    CHECK(rig.monitor.snapshot("never-added").state == State::unknown);
    CHECK(rig.monitor.snapshot_all().size() == 2);
}

TEST_CASE("failure_threshold consecutive availability failures open the circuit for the cooldown",
          "[health]") {
    HealthRig rig;
    const auto t0 = rig.clock.now();

    rig.monitor.record_failure("alpha", refused);
    rig.clock.advance(1s);
    rig.monitor.record_failure("alpha", refused);
    auto two = rig.monitor.snapshot("alpha");
    CHECK(two.state == State::unhealthy);
    CHECK(two.circuit == Circuit::closed);
    CHECK(two.consecutive_failures == 2);
    CHECK(two.last_check == t0 + 1s);
    REQUIRE(two.last_error.has_value());
    CHECK(two.last_error->message == "connection refused");
    CHECK(rig.admits("alpha"));
    CHECK(rig.log.count(LogLevel::warn,
                      "backend 'alpha' is unhealthy: unavailable: connection refused") == 1);

    rig.clock.advance(1s);
    rig.monitor.record_failure("alpha", Error::make(ErrorKind::timeout, "no answer"));
    auto open = rig.monitor.snapshot("alpha");
    CHECK(open.circuit == Circuit::open);
    CHECK(open.open_until == t0 + 2s + 30s);
    CHECK(open.consecutive_failures == 3);
    CHECK(open.last_error->kind == ErrorKind::timeout);
    CHECK(
        rig.log.contains("circuit of backend 'alpha' opened for 30000 ms after 3 consecutive failures (last: "
                         "timeout: no answer)"));

    CHECK_FALSE(rig.admits("alpha"));
    auto why = rig.monitor.try_admit("alpha");
    REQUIRE(why.has_value());
    CHECK(why->kind == ErrorKind::unavailable);
    CHECK(why->message ==
          "circuit open until 2025-12-18T00:00:32.000Z (30000 ms from now) after 3 consecutive "
          "failures (last: timeout)");
    CHECK(why->retry_after == 30000ms);
    CHECK(rig.admits("beta"));  // circuits are per backend
}

TEST_CASE("a success resets the count, so only consecutive failures open the circuit", "[health]") {
    HealthRig rig;
    rig.monitor.record_failure("alpha", refused);
    rig.monitor.record_failure("alpha", refused);
    rig.monitor.record_success("alpha");
    CHECK(rig.monitor.snapshot("alpha").state == State::healthy);
    CHECK(rig.monitor.snapshot("alpha").consecutive_failures == 0);
    CHECK(rig.monitor.snapshot("alpha").last_error->message == "connection refused");  // kept for diagnosis
    rig.monitor.record_failure("alpha", refused);
    rig.monitor.record_failure("alpha", refused);
    CHECK(rig.monitor.snapshot("alpha").circuit == Circuit::closed);
    CHECK(rig.log.contains("backend 'alpha' is healthy again"));
}

TEST_CASE("bad_request and internal failures do not count against a backend", "[health]") {
    HealthRig rig;
    for (int i = 0; i < 5; ++i) {
        rig.monitor.record_failure("alpha", Error::make(ErrorKind::bad_request, "400"));
        rig.monitor.record_failure("alpha", Error::make(ErrorKind::internal, "bug"));
    }
    auto health = rig.monitor.snapshot("alpha");
    CHECK(health.state == State::unknown);
    CHECK(health.circuit == Circuit::closed);
    CHECK(health.consecutive_failures == 0);
    CHECK_FALSE(health.last_error.has_value());
}

TEST_CASE("after the cooldown exactly one half-open trial is admitted, its outcome decides", "[health]") {
    HealthRig rig;
    for (int i = 0; i < 3; ++i) rig.monitor.record_failure("alpha", refused);
    const auto opened_at = rig.clock.now();

    rig.clock.advance(30s - 1ms);
    CHECK_FALSE(rig.admits("alpha"));
    CHECK(rig.monitor.snapshot("alpha").circuit == Circuit::open);
    rig.clock.advance(1ms);
    CHECK(rig.monitor.snapshot("alpha").circuit == Circuit::half_open);
    CHECK(rig.admits("alpha"));
    CHECK_FALSE(rig.admits("alpha"));
    CHECK(rig.monitor.try_admit("alpha")->message ==
          "circuit half-open: a trial call is deciding whether the backend is back");

    SECTION("success closes") {
        rig.monitor.record_success("alpha");
        auto closed = rig.monitor.snapshot("alpha");
        CHECK(closed.circuit == Circuit::closed);
        CHECK(closed.state == State::healthy);
        CHECK(closed.consecutive_failures == 0);
        CHECK(rig.admits("alpha"));
        CHECK(rig.admits("alpha"));
    }
    SECTION("failure re-opens for another cooldown from now") {
        rig.clock.advance(500ms);
        rig.monitor.record_failure("alpha", refused);
        auto reopened = rig.monitor.snapshot("alpha");
        CHECK(reopened.circuit == Circuit::open);
        CHECK(reopened.open_until == opened_at + 30s + 500ms + 30s);
        CHECK_FALSE(rig.admits("alpha"));
        rig.clock.advance(30s);
        CHECK(rig.admits("alpha"));
    }
    SECTION("an outcome that is not an availability failure frees the trial slot without deciding") {
        rig.monitor.record_failure("alpha", Error::make(ErrorKind::bad_request, "400"));
        CHECK(rig.monitor.snapshot("alpha").circuit == Circuit::half_open);
        CHECK(rig.admits("alpha"));
        CHECK_FALSE(rig.admits("alpha"));
    }
}

TEST_CASE("an auth failure is logged at error level once per backend until the backend recovers",
          "[health]") {
    HealthRig rig;
    Error rejected = Error::make(ErrorKind::auth, "403 key lacks permission", 403);
    rig.monitor.record_failure("alpha", rejected);
    rig.monitor.record_failure("alpha", rejected);
    rig.monitor.record_failure("beta", rejected);
    CHECK(rig.monitor.snapshot("alpha").state == State::unhealthy);
    CHECK(rig.log.count(LogLevel::error,
                      "backend 'alpha' cannot authenticate (403 key lacks permission)") == 1);
    CHECK(rig.log.count(LogLevel::error, "backend 'beta' cannot authenticate") == 1);

    rig.monitor.record_success("alpha");
    rig.monitor.record_failure("alpha", rejected);
    CHECK(rig.log.count(LogLevel::error, "backend 'alpha' cannot authenticate") == 2);
}

TEST_CASE("a probe round calls health() on every backend and records the outcomes", "[health]") {
    HealthRig rig;
    rig.beta->script_health(Step::fail(ErrorKind::unavailable, "connection refused"));
    const auto t0 = rig.clock.now();

    auto done = rig.probe();

    CHECK(*done);
    CHECK(rig.alpha->probes() == 1);
    CHECK(rig.beta->probes() == 1);
    auto alpha = rig.monitor.snapshot("alpha");
    CHECK(alpha.state == State::healthy);
    CHECK(alpha.last_check == t0);
    auto beta = rig.monitor.snapshot("beta");
    CHECK(beta.state == State::unhealthy);
    CHECK(beta.consecutive_failures == 1);
    CHECK(beta.last_error->message == "connection refused");
    auto ctx = rig.alpha->seen()[0].ctx;
    CHECK(ctx.request_id == "probe_1");
    CHECK(ctx.deadline == t0 + 2s);
    CHECK(ctx.logger == &rig.log);

    CHECK(rig.log.has(LogLevel::warn, "probe_2",
                   "backend 'beta' is unhealthy: unavailable: connection refused"));

    rig.probe();
    CHECK(rig.monitor.snapshot("beta").state == State::healthy);
    CHECK(rig.monitor.snapshot("beta").consecutive_failures == 0);
    CHECK(rig.log.has(LogLevel::info, "probe_4", "backend 'beta' is healthy again"));
}

TEST_CASE("a probe the upstream refuses as a bad request counts as reachable, an internal error does not",
          "[health]") {
    HealthRig rig;
    for (int i = 0; i < 3; ++i) rig.alpha->script_health(Step::fail(ErrorKind::unavailable, "connection refused"));
    for (int i = 0; i < 3; ++i) rig.probe();
    REQUIRE(rig.monitor.snapshot("alpha").circuit == Circuit::open);

    // A server without the probed route (404): it answers, so the circuit closes.
    rig.clock.advance(rig.monitor.snapshot("alpha").open_until.value() - rig.clock.now());
    rig.alpha->script_health(Step::fail(ErrorKind::bad_request, "HTTP 404 from GET /models"));
    rig.probe();
    auto alpha = rig.monitor.snapshot("alpha");
    CHECK(alpha.state == State::healthy);
    CHECK(alpha.circuit == Circuit::closed);

    rig.beta->script_health(Step::fail(ErrorKind::internal, "plugin not started"));
    rig.probe();
    CHECK(rig.monitor.snapshot("beta").state == State::unhealthy);
}

TEST_CASE("a probe that does not answer within probe_timeout fails with a timeout and is cancelled",
          "[health]") {
    HealthRig rig;
    rig.alpha->script_health(Step::hang());
    rig.beta->script_health(Step::answer().after(1500ms));

    auto done = rig.probe();
    CHECK_FALSE(*done);
    rig.clock.advance(1500ms);
    CHECK(rig.monitor.snapshot("beta").state == State::healthy);
    CHECK_FALSE(*done);
    rig.clock.advance(500ms);
    CHECK(*done);

    auto alpha = rig.monitor.snapshot("alpha");
    CHECK(alpha.state == State::unhealthy);
    REQUIRE(alpha.last_error.has_value());
    CHECK(alpha.last_error->kind == ErrorKind::timeout);
    CHECK(alpha.last_error->message ==
          "health probe of backend 'alpha' did not answer within 2000 ms (health.probe_timeout)");
    CHECK(rig.alpha->seen()[0].ctx.cancelled());

    // The hung probe answering now changes nothing.
    rig.alpha->release_hung();
    CHECK(rig.monitor.snapshot("alpha").consecutive_failures == 1);
}

TEST_CASE("a probe that throws counts as a failure naming the backend", "[health]") {
    HealthRig rig;
    rig.alpha->script_health(Step::throw_in_call("socket exploded"));
    rig.beta->script_health(Step::throw_in_body("parse error"));

    rig.probe();

    auto alpha = rig.monitor.snapshot("alpha");
    CHECK(alpha.state == State::unhealthy);
    CHECK(alpha.last_error->kind == ErrorKind::internal);
    CHECK(alpha.last_error->message == "backend 'alpha' health threw: socket exploded");
    CHECK(rig.monitor.snapshot("beta").last_error->message == "unhandled exception: parse error");
    CHECK(rig.monitor.snapshot("beta").consecutive_failures == 1);
}

TEST_CASE(
    "failed probes open the circuit, an open circuit is not probed, and after the cooldown a probe is the "
    "half-open trial",
    "[health]") {
    HealthRig rig;
    rig.alpha->set_default_health(Step::fail(ErrorKind::unavailable, "down"));
    for (int i = 0; i < 3; ++i) rig.probe();
    CHECK(rig.monitor.snapshot("alpha").circuit == Circuit::open);
    CHECK(rig.alpha->probes() == 3);

    rig.probe();
    CHECK(rig.alpha->probes() == 3);  // cooling down: skipped
    CHECK(rig.beta->probes() == 4);

    rig.clock.advance(30s);
    rig.alpha->set_default_health(Step::answer().after(100ms));
    rig.probe();
    CHECK(rig.alpha->probes() == 4);
    CHECK_FALSE(rig.admits("alpha"));  // the probe holds the trial
    rig.clock.advance(100ms);
    CHECK(rig.monitor.snapshot("alpha").circuit == Circuit::closed);
    CHECK(rig.admits("alpha"));
}

TEST_CASE("a backend still being probed is not probed again", "[health]") {
    HealthRig rig;
    rig.alpha->script_health(Step::answer().after(1s));
    rig.probe();
    rig.probe();
    CHECK(rig.alpha->probes() == 1);
    CHECK(rig.beta->probes() == 2);
}

TEST_CASE("start() probes every probe_interval, stop() leaves no timers and abandons probes in flight",
          "[health]") {
    HealthRig rig;
    rig.monitor.start();
    rig.clock.advance(10s - 1ms);
    CHECK(rig.alpha->probes() == 0);
    rig.clock.advance(1ms);
    CHECK(rig.alpha->probes() == 1);
    rig.clock.advance(10s);
    CHECK(rig.alpha->probes() == 2);
    CHECK(rig.monitor.snapshot("alpha").state == State::healthy);

    rig.alpha->script_health(Step::hang());
    rig.beta->script_health(Step::fail(ErrorKind::unavailable, "down"));
    rig.clock.advance(10s);
    CHECK(rig.alpha->probes() == 3);
    CHECK(rig.monitor.snapshot("beta").state == State::unhealthy);

    rig.monitor.stop();
    CHECK(rig.clock.pending_timers() == 0);
    CHECK(rig.alpha->seen().back().ctx.cancelled());
    rig.clock.advance(1min);
    CHECK(rig.alpha->probes() == 3);
    // The abandoned probe finishing late records nothing.
    rig.alpha->release_hung();
    auto alpha = rig.monitor.snapshot("alpha");
    CHECK(alpha.state == State::healthy);
    CHECK(alpha.consecutive_failures == 0);

    rig.monitor.start();  // can start again
    rig.clock.advance(10s);
    CHECK(rig.alpha->probes() == 4);
}

TEST_CASE("a monitor destroyed with a probe in flight leaves the late answer harmless", "[health]") {
    ManualClock clock;
    CaptureLogger log;
    auto backend = std::make_shared<ScriptedBackend>("alpha", clock);
    backend->script_health(Step::hang());
    {
        HealthMonitor monitor(settings(), clock, log);
        monitor.add("alpha", backend);
        monitor.start();
        clock.advance(10s);
        CHECK(backend->probes() == 1);
    }
    CHECK(clock.pending_timers() == 0);
    backend->release_hung();
    CHECK(backend->finished() == 1);
}

TEST_CASE("probe_all with nothing to probe finishes at once", "[health]") {
    ManualClock clock;
    CaptureLogger log;
    HealthMonitor monitor(settings(), clock, log);
    monitor.record_failure("passive-only", refused);
    bool done = false;
    monitor.probe_all([&] { done = true; });
    CHECK(done);
    CHECK(monitor.snapshot_all().count("passive-only") == 1);
}

TEST_CASE("the lines logged about a recorded outcome carry the request id of the call", "[health]") {
    HealthRig rig;
    rig.monitor.record_failure("alpha", refused, "req_1");
    rig.monitor.record_failure("alpha", refused, "req_2");
    rig.monitor.record_failure("alpha", refused, "req_3");
    rig.clock.advance(30s);
    REQUIRE(rig.admits("alpha"));  // the half-open trial
    rig.monitor.record_failure("alpha", refused, "req_4");
    rig.monitor.record_failure("beta", Error::make(ErrorKind::auth, "403 key lacks permission", 403),
                               "req_5");
    rig.clock.advance(30s);
    rig.monitor.record_success("alpha", "req_6");

    CHECK(rig.log.has(LogLevel::warn, "req_1",
                   "backend 'alpha' is unhealthy: unavailable: connection refused"));
    CHECK(rig.log.has(LogLevel::warn, "req_3",
                   "circuit of backend 'alpha' opened for 30000 ms after 3 consecutive failures (last: "
                   "unavailable: connection refused)"));
    CHECK(rig.log.has(LogLevel::warn, "req_4",
                   "circuit of backend 'alpha' re-opened for 30000 ms: the half-open trial failed "
                   "(unavailable: connection refused)"));
    CHECK(rig.log.has(LogLevel::error, "req_5",
                   "backend 'beta' cannot authenticate (403 key lacks permission); calls fall back to "
                   "other backends until it answers again. Check the backend's api_key and what the key is "
                   "allowed to do"));
    CHECK(rig.log.has(LogLevel::info, "req_6",
                   "backend 'alpha' answered again; its circuit is closed"));
    CHECK(rig.log.lines().size() == 5);
}
