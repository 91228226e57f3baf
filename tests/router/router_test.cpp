#include <atomic>
#include <cmath>
#include <limits>
#include <regex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include <catch2/catch.hpp>

#include "router/request_id.hpp"
#include "router_rig.hpp"

using namespace std::chrono_literals;
using namespace switchboard;
using namespace switchboard::testing;
using Step = ScriptedBackend::Step;
using config::Mode;

TEST_CASE("an unknown service is a bad_request naming it and listing the known ones", "[router]") {
    RouterRig rig;
    rig.build();

    auto routed = rig.embed({"x"}, RouterRig::id("req_u"), "embedings");

    REQUIRE_FALSE(routed.result.ok());
    CHECK(routed.result.error().kind == ErrorKind::bad_request);
    CHECK(routed.result.error().message == "unknown service 'embedings' (known: docs, embed, summarize)");
    CHECK(routed.backend.empty());
    CHECK(routed.request_id == "req_u");
    for (const auto& [name, fake] : rig.fakes) CHECK(fake->calls() == 0);
}

TEST_CASE("a call that does not match the service's capability is a bad_request", "[router]") {
    RouterRig rig;
    rig.build();

    SECTION("embed on a parse service") {
        auto routed = rig.embed({"x"}, {}, "docs");
        REQUIRE_FALSE(routed.result.ok());
        CHECK(routed.result.error().kind == ErrorKind::bad_request);
        CHECK(routed.result.error().message == "service 'docs' serves 'parse', not 'embeddings'");
    }
    SECTION("parse on an embeddings service") {
        auto routed =
            run(rig.clock, rig.router->parse("embed", ParseRequest{"a.pdf", "application/pdf", "%PDF", {}}));
        REQUIRE_FALSE(routed.result.ok());
        CHECK(routed.result.error().message == "service 'embed' serves 'embeddings', not 'parse'");
    }
    SECTION("a JSON call on an embeddings service") {
        auto routed = run(rig.clock, rig.router->call("embed", JsonRequest{"", "{}"}));
        REQUIRE_FALSE(routed.result.ok());
        CHECK(routed.result.error().message == "service 'embed' serves 'embeddings', not 'a JSON operation'");
    }
    SECTION("a JSON call naming another operation") {
        auto routed = run(rig.clock, rig.router->call("summarize", JsonRequest{"translate", "{}"}));
        REQUIRE_FALSE(routed.result.ok());
        CHECK(routed.result.error().message == "service 'summarize' serves 'summarize', not 'translate'");
    }
    SECTION("both texts and tokens in one embeddings request") {
        EmbeddingsRequest request;
        request.inputs = {"x"};
        request.token_inputs = {{1, 2}};
        auto routed = run(rig.clock, rig.router->embed("embed", request));
        REQUIRE_FALSE(routed.result.ok());
        CHECK(
            routed.result.error().message ==
            "embeddings request to service 'embed' has both inputs and token_inputs; send one or the other");
    }
    for (const auto& [name, fake] : rig.fakes) CHECK(fake->calls() == 0);
}

TEST_CASE("parse and JSON calls are routed like embeddings", "[router]") {
    RouterRig rig;
    rig.config.services["docs"].mode = Mode::hybrid;
    rig.config.services["summarize"].mode = Mode::hybrid;
    rig.build();
    rig.fake("real-a").set_default(Step::fail(ErrorKind::unavailable, "down"));

    auto parsed =
        run(rig.clock, rig.router->parse("docs", ParseRequest{"a.pdf", "application/pdf", "%PDF", {}}));
    REQUIRE(parsed.result.ok());
    CHECK(parsed.backend == "mock");
    CHECK(parsed.result->markdown == "# a.pdf parsed by mock");
    CHECK(parsed.fallbacks.size() == 1);

    auto called = run(rig.clock, rig.router->call("summarize", JsonRequest{"", "{\"text\":\"hi\"}"}));
    REQUIRE(called.result.ok());
    CHECK(called.backend == "mock");
    CHECK(called.result->body == "{\"operation\":\"summarize\",\"backend\":\"mock\"}");
    CHECK(rig.fake("real-a").seen()[1].operation == "call");
}

TEST_CASE("malformed plugin results become upstream_error naming the backend, and hybrid falls back",
          "[router]") {
    struct Case {
        std::string name;
        EmbeddingsResponse response;
        std::optional<std::int32_t> dimensions;
        std::string problem;
    };
    const float nan = std::numeric_limits<float>::quiet_NaN();
    const float inf = std::numeric_limits<float>::infinity();
    std::vector<Case> cases = {
        {"too few vectors", EmbeddingsResponse{{{1, 2}}, "m", {}}, std::nullopt, "1 vector for 2 inputs"},
        {"too many vectors", EmbeddingsResponse{{{1}, {2}, {3}}, "m", {}}, std::nullopt,
         "3 vectors for 2 inputs"},
        {"empty vectors", EmbeddingsResponse{{{}, {}}, "m", {}}, std::nullopt, "vector 0 is empty"},
        {"ragged vectors", EmbeddingsResponse{{{1, 2, 3}, {1, 2}}, "m", {}}, std::nullopt,
         "vector 1 has 2 values but vector 0 has 3"},
        {"wrong size for the requested dimensions", EmbeddingsResponse{{{1, 2, 3}, {1, 2, 3}}, "m", {}}, 4,
         "vectors have 3 values but 4 dimensions were requested"},
        {"not a number", EmbeddingsResponse{{{1, 2}, {3, nan}}, "m", {}}, std::nullopt,
         "vector 1 holds nan at index 1"},
        {"infinite", EmbeddingsResponse{{{inf, 2}, {3, 4}}, "m", {}}, std::nullopt,
         "vector 0 holds inf at index 0"},
    };
    for (const auto& c : cases) {
        DYNAMIC_SECTION(c.name) {
            RouterRig rig(Mode::hybrid);
            rig.config.services["embed"].real = {"real-a"};
            rig.build();
            rig.fake("real-a").set_default(Step::answer(c.response));
            EmbeddingsRequest request;
            request.inputs = {"one", "two"};
            request.dimensions = c.dimensions;

            auto routed = run(rig.clock, rig.router->embed("embed", request));

            REQUIRE(routed.result.ok());
            CHECK(routed.backend == "mock");
            CHECK(routed.result->vectors.size() == 2);
            REQUIRE(routed.fallbacks.size() == 1);
            CHECK(routed.fallbacks[0].error.kind == ErrorKind::upstream_error);
            CHECK(routed.fallbacks[0].error.message ==
                  "backend 'real-a' returned a malformed result: " + c.problem);
        }
    }
    SECTION("a parse page numbered 0") {
        RouterRig rig;
        rig.config.services["docs"].mode = Mode::real;
        rig.build();
        ParseResponse bad;
        bad.pages = {{1, "a", "a"}, {0, "b", "b"}};
        rig.fake("real-a").set_default(Step::answer(bad));

        auto routed =
            run(rig.clock, rig.router->parse("docs", ParseRequest{"a.pdf", "application/pdf", "%PDF", {}}));

        REQUIRE_FALSE(routed.result.ok());
        REQUIRE(routed.fallbacks.size() == 1);
        CHECK(
            routed.fallbacks[0].error.message ==
            "backend 'real-a' returned a malformed result: page 1 of the result is numbered 0; page numbers "
            "start at 1");
    }
    SECTION("token inputs are counted like texts, and valid results pass untouched") {
        RouterRig rig(Mode::real);
        rig.build();
        EmbeddingsRequest request;
        request.token_inputs = {{1, 2}, {3}, {4}};
        request.dimensions = 8;

        auto routed = run(rig.clock, rig.router->embed("embed", request));

        REQUIRE(routed.result.ok());
        CHECK(routed.backend == "real-a");
        CHECK(routed.result->vectors.size() == 3);
        CHECK(routed.result->vectors[2].size() == 8);
    }
}

TEST_CASE("the request id reaches the plugin, its context and every log line about the call", "[router]") {
    RouterRig rig(Mode::hybrid);
    rig.build();
    rig.fake("real-a").set_default(Step::fail(ErrorKind::unavailable, "connection refused"));
    const auto start = rig.clock.now();

    auto routed = rig.embed({"x"}, RouterRig::id("req_0123456789abcdef"));

    REQUIRE(routed.result.ok());
    auto seen = rig.fake("real-a").seen();
    REQUIRE(seen.size() == 1);
    CHECK(seen[0].ctx.request_id == "req_0123456789abcdef");
    CHECK(seen[0].ctx.logger == &rig.backend_log);
    CHECK(seen[0].ctx.deadline == start + 1000ms);
    CHECK(rig.fake("real-b").seen()[0].ctx.request_id == "req_0123456789abcdef");
    CHECK(rig.log.has(LogLevel::debug, "req_0123456789abcdef",
                   "service 'embed' (mode hybrid): calling backend 'real-a' (attempt 1 of 3)"));
    CHECK(
        rig.log.has(LogLevel::warn, "req_0123456789abcdef",
                 "service 'embed': backend 'real-a' failed (unavailable: connection refused); next: real-b"));
    CHECK(rig.log.has(LogLevel::debug, "req_0123456789abcdef",
                   "service 'embed' (mode hybrid): calling backend 'real-b' (attempt 2 of 3)"));
    CHECK(rig.log.has(LogLevel::debug, "req_0123456789abcdef",
                   "service 'embed': backend 'real-b' served in 0 ms"));
    for (const auto& line : rig.log.lines()) {
        if (line.message.rfind("service 'embed'", 0) == 0) CHECK(line.request_id == "req_0123456789abcdef");
    }
}

TEST_CASE("a request id is generated when the caller gives none: req_ and 16 hex digits, unique",
          "[router]") {
    RouterRig rig;
    rig.build();
    std::set<std::string> ids;
    const std::regex shape("req_[0-9a-f]{16}");
    for (int i = 0; i < 50; ++i) {
        auto routed = rig.embed({"x"});
        CHECK(std::regex_match(routed.request_id, shape));
        ids.insert(routed.request_id);
    }
    CHECK(ids.size() == 50);
    auto seen = rig.fake("real-a").seen();
    REQUIRE(seen.size() == 50);
    CHECK(ids.count(seen[7].ctx.request_id) == 1);

    std::set<std::string> many;
    for (int i = 0; i < 10000; ++i) many.insert(router::new_request_id());
    CHECK(many.size() == 10000);
}

TEST_CASE("modes switch at run time, per service and by default, and per call", "[router]") {
    RouterRig rig(std::nullopt);  // embed follows the default mode
    rig.config.host.default_mode = Mode::mock;
    rig.config.services["docs"].mode = Mode::real;
    rig.build();

    CHECK(rig.router->mode("embed") == Mode::mock);
    CHECK(rig.embed({"x"}).backend == "mock");

    rig.router->set_default_mode(Mode::real);
    CHECK(rig.router->mode("embed") == Mode::real);
    CHECK(rig.router->mode("docs") == Mode::real);
    CHECK(rig.embed({"x"}).backend == "real-a");
    CHECK(rig.log.contains("default mode switched from mock to real (for services without their own mode)"));

    rig.router->set_default_mode(Mode::mock);
    CHECK(rig.router->mode("docs") == Mode::real);  // has its own mode

    REQUIRE(rig.router->set_mode("embed", Mode::hybrid).ok());
    CHECK(rig.router->mode("embed") == Mode::hybrid);
    rig.router->set_default_mode(Mode::real);
    CHECK(rig.router->mode("embed") == Mode::hybrid);  // now has its own mode
    CHECK(rig.log.contains("service 'embed': mode switched from mock to hybrid"));

    rig.fake("real-a").set_default(Step::fail(ErrorKind::unavailable, "down"));
    rig.fake("real-b").set_default(Step::fail(ErrorKind::unavailable, "down"));
    auto hybrid = rig.embed({"x"});
    CHECK(hybrid.backend == "mock");
    CHECK(hybrid.mode == Mode::hybrid);

    auto forced = rig.embed({"x"}, RouterRig::id("req_forced", Mode::real));
    CHECK(forced.mode == Mode::real);
    CHECK_FALSE(forced.result.ok());
    CHECK(rig.router->mode("embed") == Mode::hybrid);  // a per-call mode changes nothing else

    auto unknown = rig.router->set_mode("nope", Mode::real);
    REQUIRE_FALSE(unknown.ok());
    CHECK(unknown.error().kind == ErrorKind::bad_request);
    CHECK(unknown.error().message == "unknown service 'nope' (known: docs, embed, summarize)");

    CHECK(rig.router->services() == std::vector<std::string>{"docs", "embed", "summarize"});
}

TEST_CASE("a mode a service has no backends for is refused at switch time", "[router]") {
    RouterRig rig;
    rig.config.services["docs"].mock.clear();
    rig.config.services["summarize"].real.clear();
    rig.build();

    auto no_mock = rig.router->set_mode("docs", Mode::mock);
    REQUIRE_FALSE(no_mock.ok());
    CHECK(no_mock.error().message == "service 'docs' has no mock backend, so it cannot switch to mode mock");
    auto no_real = rig.router->set_mode("summarize", Mode::real);
    REQUIRE_FALSE(no_real.ok());
    CHECK(no_real.error().message ==
          "service 'summarize' has no real backends, so it cannot switch to mode real");
    CHECK(rig.router->mode("docs") == Mode::mock);  // unchanged: still the default
}

TEST_CASE(
    "auth failures fall back, mark the backend unhealthy and are logged at error once until it recovers",
    "[router]") {
    RouterRig rig(Mode::hybrid);
    rig.config.health.failure_threshold = 100;
    rig.build();
    rig.fake("real-a").set_default(Step::fail(ErrorKind::auth, "401 invalid api key sk-****", 401));

    for (int i = 0; i < 3; ++i) {
        auto routed = rig.embed({"x"}, RouterRig::id("req_auth_" + std::to_string(i)));
        REQUIRE(routed.result.ok());
        CHECK(routed.backend == "real-b");
    }
    CHECK(rig.health->snapshot("real-a").state == health::State::unhealthy);
    const std::string loud =
        "backend 'real-a' cannot authenticate (401 invalid api key sk-****); calls fall back to other "
        "backends until it answers again. Check the backend's api_key and what the key is allowed to do";
    CHECK(rig.log.count(LogLevel::error, "real-a") == 1);
    CHECK(rig.log.has(LogLevel::error, "req_auth_0", loud));

    rig.fake("real-a").script(Step::answer());
    CHECK(rig.embed({"x"}).backend == "real-a");
    CHECK(rig.health->snapshot("real-a").state == health::State::healthy);

    CHECK(rig.embed({"x"}).backend == "real-b");  // the key broke again: logged again
    CHECK(rig.log.count(LogLevel::error, "real-a") == 2);
}

TEST_CASE("bad_request and internal errors are returned as they are and do not count against health",
          "[router]") {
    const std::pair<ErrorKind, int> kinds[] = {{ErrorKind::bad_request, 400}, {ErrorKind::internal, 0}};
    for (auto [kind, status] : kinds) {
        RouterRig rig(Mode::hybrid);
        rig.config.health.failure_threshold = 1;
        rig.build();
        rig.fake("real-a").set_default(Step::fail(kind, "the caller's own problem", status));

        auto routed = rig.embed({"x"});

        INFO(to_string(kind));
        REQUIRE_FALSE(routed.result.ok());
        CHECK(routed.result.error().kind == kind);
        CHECK(routed.result.error().message == "the caller's own problem");
        CHECK(routed.result.error().upstream_status == status);
        CHECK(routed.backend == "real-a");
        CHECK(routed.fallbacks.empty());
        CHECK(rig.fake("real-b").calls() == 0);
        CHECK(rig.fake("mock").calls() == 0);
        auto health = rig.health->snapshot("real-a");
        CHECK(health.circuit == health::Circuit::closed);
        CHECK(health.consecutive_failures == 0);
    }
}

TEST_CASE("an answer that arrives after the timeout is dropped safely", "[router]") {
    RouterRig rig(Mode::hybrid);
    rig.build();
    rig.fake("real-a").set_default(Step::answer().after(5000ms));
    rig.fake("real-b").set_default(Step::hang());

    auto routed = rig.embed({"x"}, RouterRig::id("req_late"));

    REQUIRE(routed.result.ok());
    CHECK(routed.backend == "mock");
    CHECK(routed.fallbacks.size() == 2);
    CHECK(rig.fake("real-a").finished() == 0);

    // Both late calls now finish: real-a answers on its timer, real-b is released.
    rig.clock.advance(10s);
    rig.fake("real-b").release_hung();
    CHECK(rig.fake("real-a").finished() == 1);
    CHECK(rig.fake("real-b").finished() == 1);
    CHECK(rig.fake("real-a").seen()[0].ctx.cancelled());
    CHECK(rig.fake("real-b").seen()[0].ctx.cancelled());
    // The late success changed nothing: not the health record.
    CHECK(rig.health->snapshot("real-a").consecutive_failures == 1);
    CHECK(rig.health->snapshot("real-a").state == health::State::unhealthy);
    // Nothing is left but timers already due (plugin::guarded drops its pin on the instance from one).
    rig.clock.run_ready();
    CHECK(rig.clock.pending_timers() == 0);
}

TEST_CASE("a late answer can outlive the router's caller without touching its frame", "[router]") {
    RouterRig rig(Mode::real);
    rig.config.services["embed"].real = {"real-a"};
    rig.build();
    rig.fake("real-a").set_default(Step::answer().after(1500ms));
    {
        auto routed = rig.embed({"x"});
        REQUIRE_FALSE(routed.result.ok());
        CHECK(routed.result.error().kind == ErrorKind::timeout);
    }  // the result, and the coroutine that produced it, are gone
    rig.clock.advance(1s);
    CHECK(rig.fake("real-a").finished() == 1);
}

TEST_CASE("many calls in flight at once, started from several threads, all finish correctly", "[router]") {
    RouterRig rig(Mode::hybrid);
    rig.config.health.failure_threshold = 1'000'000;
    rig.build();
    // real-a answers after 10 ms, real-b always times out, the mock answers at once.
    rig.fake("real-a").set_default(Step::answer().after(10ms));
    rig.fake("real-b").set_default(Step::answer().after(5000ms));

    constexpr int threads = 4;
    constexpr int per_thread = 100;
    std::atomic<int> served_by_a{0};
    std::atomic<int> served_by_mock{0};
    std::atomic<int> finished{0};
    std::vector<std::thread> workers;
    for (int t = 0; t < threads; ++t) {
        workers.emplace_back([&, t] {
            for (int i = 0; i < per_thread; ++i) {
                EmbeddingsRequest request;
                request.inputs = {"text " + std::to_string(i)};
                router::CallOptions options;
                options.request_id = "req_" + std::to_string(t) + "_" + std::to_string(i);
                rig.router->embed("embed", std::move(request), options)
                    .start([&](router::Routed<EmbeddingsResponse> routed) {
                        if (routed.result.ok() && routed.backend == "real-a") ++served_by_a;
                        if (routed.result.ok() && routed.backend == "mock") ++served_by_mock;
                        ++finished;
                    });
            }
        });
    }
    for (auto& worker : workers) worker.join();
    CHECK(finished == 0);
    rig.clock.advance(10ms);
    CHECK(finished == threads * per_thread);
    CHECK(served_by_a == threads * per_thread);
    CHECK(rig.fake("real-a").calls() == threads * per_thread);

    // Now real-a is down too: every call waits out real-b's 1000 ms and lands on the mock.
    rig.fake("real-a").set_default(Step::fail(ErrorKind::unavailable, "down"));
    finished = 0;
    workers.clear();
    for (int t = 0; t < threads; ++t) {
        workers.emplace_back([&] {
            for (int i = 0; i < per_thread; ++i) {
                rig.router->embed("embed", EmbeddingsRequest{{"x"}, {}, "", {}, ""})
                    .start([&](router::Routed<EmbeddingsResponse> routed) {
                        if (routed.result.ok() && routed.backend == "mock" && routed.fallbacks.size() == 2) {
                            ++served_by_mock;
                        }
                        ++finished;
                    });
            }
        });
    }
    for (auto& worker : workers) worker.join();
    rig.clock.advance(999ms);
    CHECK(finished == 0);
    rig.clock.advance(1ms);
    CHECK(finished == threads * per_thread);
    CHECK(served_by_mock == threads * per_thread);
}

TEST_CASE("a routed call reports the time spent inside the backends, every attempt added up", "[router]") {
    RouterRig rig(Mode::hybrid);
    rig.build();
    rig.fake("real-a").script(Step::fail(ErrorKind::unavailable, "down").after(std::chrono::milliseconds(40)));
    rig.fake("real-b").script(Step::answer().after(std::chrono::milliseconds(25)));

    auto routed = rig.embed({"one"});

    REQUIRE(routed.result.ok());
    CHECK(routed.backend == "real-b");
    CHECK(routed.backend_time == std::chrono::milliseconds(65));
}
