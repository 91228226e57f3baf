#include <cmath>
#include <limits>
#include <string>

#include <catch2/catch.hpp>

#include "router_rig.hpp"

using namespace std::chrono_literals;
using namespace switchboard;
using namespace switchboard::testing;
using Step = ScriptedBackend::Step;
using config::Mode;

namespace {

const std::string never_mock = ". Mode real never falls back to the mock 'mock'; mode hybrid does";

Error with_retry_after(Error error, std::chrono::milliseconds after) {
    error.retry_after = after;
    return error;
}

}  // namespace

TEST_CASE("a single real backend that times out fails the call with timeout", "[router]") {
    RouterRig rig(Mode::real);
    rig.config.services["embed"].real = {"real-a"};
    rig.build();
    rig.fake("real-a").set_default(Step::hang());

    auto routed = rig.embed({"x"}, RouterRig::id("req_slow"));

    REQUIRE_FALSE(routed.result.ok());
    const Error& error = routed.result.error();
    CHECK(error.kind == ErrorKind::timeout);
    CHECK(error.message ==
          "service 'embed' (mode real, request req_slow): no backend could serve: 'real-a': timeout: backend "
          "'real-a' did not answer within 1000 ms (fallback_timeout of service 'embed'); the call was "
          "cancelled" +
              never_mock);
    CHECK(error.upstream_status == 0);
    CHECK_FALSE(error.retry_after.has_value());
    CHECK(rig.fake("mock").calls() == 0);
}

TEST_CASE("real backends that are all rate limited fail the call as rate_limited with the soonest retry",
          "[router]") {
    RouterRig rig(Mode::real);
    rig.build();
    rig.fake("real-a").set_default(
        Step::fail(with_retry_after(Error::make(ErrorKind::rate_limited, "429 slow down", 429), 45s)));
    rig.fake("real-b").set_default(
        Step::fail(with_retry_after(Error::make(ErrorKind::rate_limited, "local limit"), 20s)));

    auto routed = rig.embed({"x"}, RouterRig::id("req_busy"));

    REQUIRE_FALSE(routed.result.ok());
    const Error& error = routed.result.error();
    CHECK(error.kind == ErrorKind::rate_limited);
    CHECK(error.message ==
          "service 'embed' (mode real, request req_busy): no backend could serve: 'real-a': rate_limited: "
          "429 slow down; 'real-b': rate_limited: local limit" +
              never_mock);
    CHECK(error.retry_after == std::chrono::milliseconds(20s));
    CHECK(error.upstream_status == 0);  // the last backend's: real-b's limit is local
}

TEST_CASE("backends that all fail the same way give that kind and the last backend's upstream status",
          "[router]") {
    RouterRig rig(Mode::real);
    rig.build();

    SECTION("auth") {
        rig.fake("real-a").set_default(Step::fail(ErrorKind::auth, "401 invalid api key sk-****", 401));
        rig.fake("real-b").set_default(Step::fail(ErrorKind::auth, "403 key lacks permission", 403));

        auto routed = rig.embed({"x"}, RouterRig::id("req_keys"));

        REQUIRE_FALSE(routed.result.ok());
        CHECK(routed.result.error().kind == ErrorKind::auth);
        CHECK(routed.result.error().upstream_status == 403);
        CHECK(routed.result.error().message ==
              "service 'embed' (mode real, request req_keys): no backend could serve: 'real-a': auth: 401 "
              "invalid api key sk-****; 'real-b': auth: 403 key lacks permission" +
                  never_mock);
    }
    SECTION("quota") {
        rig.fake("real-a").set_default(Step::fail(ErrorKind::quota, "payment required", 402));
        rig.fake("real-b").set_default(Step::fail(ErrorKind::quota, "insufficient_quota", 429));

        auto routed = rig.embed({"x"});

        REQUIRE_FALSE(routed.result.ok());
        CHECK(routed.result.error().kind == ErrorKind::quota);
        CHECK(routed.result.error().upstream_status == 429);
    }
}

TEST_CASE("backends that fail in different ways fail the call as unavailable", "[router]") {
    RouterRig rig(Mode::real);

    SECTION("a rate limit and a timeout") {
        rig.build();
        rig.fake("real-a").set_default(
            Step::fail(with_retry_after(Error::make(ErrorKind::rate_limited, "429 slow down", 429), 5s)));
        rig.fake("real-b").set_default(Step::hang());

        auto routed = rig.embed({"x"}, RouterRig::id("req_mixed"));

        REQUIRE_FALSE(routed.result.ok());
        const Error& error = routed.result.error();
        CHECK(error.kind == ErrorKind::unavailable);
        CHECK(error.message ==
              "service 'embed' (mode real, request req_mixed): no backend could serve: 'real-a': "
              "rate_limited: 429 slow down; 'real-b': timeout: backend 'real-b' did not answer within 1000 "
              "ms (fallback_timeout of service 'embed'); the call was cancelled" +
                  never_mock);
        CHECK(error.retry_after == std::chrono::milliseconds(5s));
        CHECK(error.upstream_status == 0);
    }
    SECTION("circuits opened by auth failures are skipped as unavailable") {
        rig.config.health.failure_threshold = 1;
        rig.build();
        rig.fake("real-a").set_default(Step::fail(ErrorKind::auth, "401 invalid api key sk-****", 401));
        rig.fake("real-b").set_default(Step::fail(ErrorKind::auth, "401 invalid api key sk-****", 401));
        REQUIRE(rig.embed({"x"}).result.error().kind == ErrorKind::auth);  // opens both circuits

        auto skipped = rig.embed({"x"});

        REQUIRE_FALSE(skipped.result.ok());
        REQUIRE(skipped.fallbacks.size() == 2);
        CHECK(skipped.fallbacks[1].error.message.rfind("circuit open until", 0) == 0);
        CHECK(skipped.result.error().kind == ErrorKind::unavailable);
        CHECK(skipped.result.error().retry_after == std::chrono::milliseconds(30s));
        CHECK(rig.fake("real-a").calls() == 1);
    }
    SECTION("a rate limit next to an open circuit") {
        rig.config.health.failure_threshold = 1;
        rig.build();
        rig.health->record_failure("real-b", Error::make(ErrorKind::rate_limited, "429 slow down", 429));
        rig.fake("real-a").set_default(Step::fail(ErrorKind::rate_limited, "429 slow down", 429));

        auto routed = rig.embed({"x"});

        REQUIRE_FALSE(routed.result.ok());
        REQUIRE(routed.fallbacks.size() == 2);
        CHECK(routed.fallbacks[0].error.kind == ErrorKind::rate_limited);
        CHECK(routed.fallbacks[1].error.kind == ErrorKind::unavailable);
        CHECK(routed.result.error().kind == ErrorKind::unavailable);
        CHECK(rig.fake("real-b").calls() == 0);
    }
    SECTION("a backend that is not running next to a timeout") {
        rig.backends.erase("real-a");
        rig.build();
        rig.fake("real-b").set_default(Step::hang());

        auto routed = rig.embed({"x"});

        REQUIRE_FALSE(routed.result.ok());
        CHECK(routed.fallbacks[0].error.kind == ErrorKind::unavailable);
        CHECK(routed.fallbacks[1].error.kind == ErrorKind::timeout);
        CHECK(routed.result.error().kind == ErrorKind::unavailable);
    }
}

TEST_CASE("a malformed answer to a single input fails the call as upstream_error", "[router]") {
    struct Case {
        std::string name;
        EmbeddingsResponse response;
        std::string problem;
    };
    const float nan = std::numeric_limits<float>::quiet_NaN();
    const std::vector<Case> cases = {
        {"an empty vector", EmbeddingsResponse{{{}}, "m", {}}, "vector 0 is empty"},
        {"no vector at all", EmbeddingsResponse{{}, "m", {}}, "0 vectors for 1 input"},
        {"a NaN", EmbeddingsResponse{{{0.5f, nan, 0.25f}}, "m", {}}, "vector 0 holds nan at index 1"},
    };
    for (const auto& c : cases) {
        DYNAMIC_SECTION(c.name) {
            RouterRig rig(Mode::real);
            rig.config.services["embed"].real = {"real-a"};
            rig.build();
            rig.fake("real-a").set_default(Step::answer(c.response));

            auto routed = rig.embed({"only"}, RouterRig::id("req_bad"));

            REQUIRE_FALSE(routed.result.ok());
            CHECK(routed.result.error().kind == ErrorKind::upstream_error);
            CHECK(routed.result.error().message ==
                  "service 'embed' (mode real, request req_bad): no backend could serve: 'real-a': "
                  "upstream_error: backend 'real-a' returned a malformed result: " +
                      c.problem + never_mock);
        }
    }
}
