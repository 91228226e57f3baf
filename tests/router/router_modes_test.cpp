#include <functional>
#include <string>
#include <vector>

#include <catch2/catch.hpp>

#include "router_rig.hpp"

using namespace std::chrono_literals;
using namespace switchboard;
using namespace switchboard::testing;
using Step = ScriptedBackend::Step;
using config::Mode;

namespace {

struct FailureCase {
    std::string name;
    std::function<Step()> step;
    bool falls_back;
    std::function<Error(const std::string& backend)> reported;  // what the router says about it
};

Error error(ErrorKind kind, std::string message, int status = 0) {
    return Error::make(kind, std::move(message), status);
}

std::vector<FailureCase> failure_cases() {
    EmbeddingsResponse three_for_two;
    three_for_two.vectors = {{1, 2}, {3, 4}, {5, 6}};
    return {
        {"unavailable", [] { return Step::fail(ErrorKind::unavailable, "connection refused"); }, true,
         [](const std::string&) { return error(ErrorKind::unavailable, "connection refused"); }},
        {"timeout by deadline", [] { return Step::answer().after(5000ms); }, true,
         [](const std::string& backend) {
             return error(ErrorKind::timeout,
                          "backend '" + backend +
                              "' did not answer within 1000 ms (fallback_timeout of service "
                              "'embed'); the call was cancelled");
         }},
        {"rate_limited", [] { return Step::fail(ErrorKind::rate_limited, "429 slow down", 429); }, true,
         [](const std::string&) { return error(ErrorKind::rate_limited, "429 slow down", 429); }},
        {"quota", [] { return Step::fail(ErrorKind::quota, "insufficient_quota", 402); }, true,
         [](const std::string&) { return error(ErrorKind::quota, "insufficient_quota", 402); }},
        {"auth", [] { return Step::fail(ErrorKind::auth, "401 invalid api key sk-****", 401); }, true,
         [](const std::string&) { return error(ErrorKind::auth, "401 invalid api key sk-****", 401); }},
        {"bad_request", [] { return Step::fail(ErrorKind::bad_request, "400 input too long", 400); }, false,
         [](const std::string&) { return error(ErrorKind::bad_request, "400 input too long", 400); }},
        {"upstream_error", [] { return Step::fail(ErrorKind::upstream_error, "truncated JSON body"); }, true,
         [](const std::string&) { return error(ErrorKind::upstream_error, "truncated JSON body"); }},
        {"internal", [] { return Step::fail(ErrorKind::internal, "invariant broken"); }, false,
         [](const std::string&) { return error(ErrorKind::internal, "invariant broken"); }},
        {"exception thrown by the call", [] { return Step::throw_in_call("boom"); }, false,
         [](const std::string& backend) {
             return error(ErrorKind::internal, "backend '" + backend + "' embed threw: boom");
         }},
        {"exception thrown in the coroutine body", [] { return Step::throw_in_body("boom"); }, false,
         [](const std::string&) { return error(ErrorKind::internal, "unhandled exception: boom"); }},
        {"malformed result", [three_for_two] { return Step::answer(three_for_two); }, true,
         [](const std::string& backend) {
             return error(ErrorKind::upstream_error,
                          "backend '" + backend + "' returned a malformed result: 3 vectors for 2 inputs");
         }},
    };
}

void require_same(const Error& actual, const Error& expected) {
    CHECK(to_string(actual.kind) == to_string(expected.kind));
    CHECK(actual.message == expected.message);
    CHECK(actual.upstream_status == expected.upstream_status);
}

void require_steps(const std::vector<router::FallbackStep>& actual, const std::vector<std::string>& backends,
                   const FailureCase& failure) {
    REQUIRE(actual.size() == backends.size());
    for (std::size_t i = 0; i < backends.size(); ++i) {
        CHECK(actual[i].backend == backends[i]);
        require_same(actual[i].error, failure.reported(backends[i]));
    }
}

std::string listing(const std::vector<std::string>& backends, const FailureCase& failure) {
    std::string text;
    for (const auto& backend : backends) {
        Error e = failure.reported(backend);
        text += (text.empty() ? "'" : "; '") + backend + "': " + std::string(to_string(e.kind)) + ": " +
                e.message;
    }
    return text;
}

}  // namespace

TEST_CASE("every mode handles every failure kind: the served backend, the reasons and the error",
          "[router]") {
    for (Mode mode : {Mode::mock, Mode::real, Mode::hybrid}) {
        for (const auto& failure : failure_cases()) {
            const std::string mode_text = mode == Mode::mock   ? "mock"
                                          : mode == Mode::real ? "real"
                                                               : "hybrid";
            DYNAMIC_SECTION("mode " << mode_text << ", " << failure.name) {
                RouterRig rig(mode);
                rig.build();
                // Every backend the mode may use fails this way; in hybrid the mock stays healthy.
                if (mode == Mode::mock) {
                    rig.fake("mock").set_default(failure.step());
                } else {
                    rig.fake("real-a").set_default(failure.step());
                    rig.fake("real-b").set_default(failure.step());
                }

                auto routed = rig.embed({"first", "second"}, RouterRig::id("req_table"));

                CHECK(routed.request_id == "req_table");
                CHECK(routed.mode == mode);
                const std::vector<std::string> tried = mode == Mode::mock
                                                           ? std::vector<std::string>{"mock"}
                                                           : std::vector<std::string>{"real-a", "real-b"};
                if (!failure.falls_back) {
                    // Returned as it is, by the first backend tried, which is the only one called.
                    REQUIRE_FALSE(routed.result.ok());
                    require_same(routed.result.error(), failure.reported(tried.front()));
                    CHECK(routed.backend == tried.front());
                    CHECK(routed.fallbacks.empty());
                    CHECK(rig.fake(tried.front()).calls() == 1);
                    CHECK(rig.fake("real-b").calls() == 0);
                    if (mode != Mode::mock) CHECK(rig.fake("mock").calls() == 0);
                } else if (mode == Mode::hybrid) {
                    REQUIRE(routed.result.ok());
                    CHECK(routed.backend == "mock");
                    CHECK(routed.result->model == "mock");
                    require_steps(routed.fallbacks, tried, failure);
                } else {
                    REQUIRE_FALSE(routed.result.ok());
                    CHECK(routed.backend.empty());
                    require_steps(routed.fallbacks, tried, failure);
                    std::string expected =
                        "service 'embed' (mode " + mode_text +
                        ", request req_table): no backend could serve: " + listing(tried, failure);
                    if (mode == Mode::real)
                        expected += ". Mode real never falls back to the mock 'mock'; mode hybrid does";
                    // Every backend failed the same way, so the call fails that way too.
                    const Error last = failure.reported(tried.back());
                    require_same(routed.result.error(), error(last.kind, expected, last.upstream_status));
                    // REAL never falls to the mock.
                    if (mode == Mode::real) CHECK(rig.fake("mock").calls() == 0);
                }
                // MOCK never calls a real backend, whatever happens.
                if (mode == Mode::mock) {
                    CHECK(rig.fake("real-a").calls() == 0);
                    CHECK(rig.fake("real-b").calls() == 0);
                }
            }
        }
    }
}

TEST_CASE("real backends are tried in their configured order and the first that answers serves", "[router]") {
    SECTION("real-a then real-b") {
        RouterRig rig(Mode::real);
        rig.build();
        rig.fake("real-a").set_default(Step::fail(ErrorKind::unavailable, "connection refused"));

        auto routed = rig.embed({"x"});

        REQUIRE(routed.result.ok());
        CHECK(routed.backend == "real-b");
        REQUIRE(routed.fallbacks.size() == 1);
        CHECK(routed.fallbacks[0].backend == "real-a");
        CHECK(routed.fallbacks[0].error.message == "connection refused");
        CHECK(rig.fake("mock").calls() == 0);
    }
    SECTION("the order in config wins, not the names") {
        RouterRig rig(Mode::real);
        rig.config.services["embed"].real = {"real-b", "real-a"};
        rig.build();

        auto routed = rig.embed({"x"});

        REQUIRE(routed.result.ok());
        CHECK(routed.backend == "real-b");
        CHECK(routed.fallbacks.empty());
        CHECK(rig.fake("real-a").calls() == 0);
    }
    SECTION("a healthy first real backend serves in hybrid; nothing else is called") {
        RouterRig rig(Mode::hybrid);
        rig.build();

        auto routed = rig.embed({"x"});

        REQUIRE(routed.result.ok());
        CHECK(routed.backend == "real-a");
        CHECK(rig.fake("real-b").calls() == 0);
        CHECK(rig.fake("mock").calls() == 0);
    }
}

TEST_CASE("a timed-out attempt ends at exactly the service's fallback_timeout and the next one starts then",
          "[router]") {
    RouterRig rig(Mode::hybrid);
    rig.build();
    rig.fake("real-a").set_default(Step::hang());
    rig.fake("real-b").set_default(Step::answer().after(300ms));
    const auto start = rig.clock.now();

    Pending pending(
        rig.router->embed("embed", EmbeddingsRequest{{"x"}, {}, "", {}, ""}, RouterRig::id("req_t")));
    rig.clock.advance(999ms);
    CHECK(rig.fake("real-b").calls() == 0);
    rig.clock.advance(1ms);
    REQUIRE(rig.fake("real-b").calls() == 1);
    CHECK(rig.fake("real-b").seen()[0].ctx.deadline == start + 2000ms);
    rig.clock.advance(299ms);
    CHECK_FALSE(pending.done());
    rig.clock.advance(1ms);
    REQUIRE(pending.done());
    CHECK(pending.get().backend == "real-b");
    // The abandoned call was told to stop.
    CHECK(rig.fake("real-a").seen()[0].ctx.cancelled());
}

TEST_CASE("a service with no backend for its mode says what to configure", "[router]") {
    SECTION("mock without a mock backend") {
        RouterRig rig(Mode::mock);
        rig.config.services["embed"].mock.clear();
        rig.build();

        auto routed = rig.embed({"x"});

        REQUIRE_FALSE(routed.result.ok());
        CHECK(routed.result.error().kind == ErrorKind::unavailable);
        CHECK(
            routed.result.error().message ==
            "service 'embed' has no mock backend, so it cannot run in mode mock; set services.embed.mock or "
            "switch the service to real");
    }
    SECTION("real without real backends") {
        RouterRig rig(Mode::real);
        rig.config.services["embed"].real.clear();
        rig.build();

        auto routed = rig.embed({"x"});

        REQUIRE_FALSE(routed.result.ok());
        CHECK(routed.result.error().message ==
              "service 'embed' has no real backends, so it cannot run in mode real; list them in "
              "services.embed.real or switch the service to mock");
        CHECK(rig.fake("mock").calls() == 0);
    }
}

TEST_CASE("a configured backend that is not running is a fallback reason, never a crash", "[router]") {
    RouterRig rig(Mode::hybrid);
    rig.backends.erase("real-a");
    rig.build();

    auto routed = rig.embed({"x"});

    REQUIRE(routed.result.ok());
    CHECK(routed.backend == "real-b");
    REQUIRE(routed.fallbacks.size() == 1);
    CHECK(routed.fallbacks[0].backend == "real-a");
    CHECK(routed.fallbacks[0].error.kind == ErrorKind::unavailable);
    CHECK(routed.fallbacks[0].error.message ==
          "backend 'real-a' is not running; the startup log says why it did not start");
    CHECK(
        rig.log.contains("service 'embed' names backend 'real-a', which is not running; its calls skip it"));
}

TEST_CASE("when nobody serves, the error carries the shortest retry_after any backend asked for",
          "[router]") {
    RouterRig rig(Mode::real);
    rig.build();
    Error slow = Error::make(ErrorKind::rate_limited, "429", 429);
    slow.retry_after = 20s;
    Error slower = Error::make(ErrorKind::rate_limited, "429", 429);
    slower.retry_after = 45s;
    rig.fake("real-a").set_default(Step::fail(slower));
    rig.fake("real-b").set_default(Step::fail(slow));

    auto routed = rig.embed({"x"});

    REQUIRE_FALSE(routed.result.ok());
    REQUIRE(routed.result.error().retry_after.has_value());
    CHECK(*routed.result.error().retry_after == 20s);
    CHECK(routed.fallbacks[0].error.retry_after == 45s);
}
