#include <catch2/catch.hpp>

#include <memory>
#include <optional>

#include "fakes/capture_logger.hpp"
#include "fakes/manual_clock.hpp"
#include "fakes/scripted_transport.hpp"
#include "http/backend_http_client.hpp"

using namespace std::chrono_literals;
using namespace switchboard;
using switchboard::testing::CaptureLogger;
using switchboard::testing::ManualClock;
using switchboard::testing::ScriptedTransport;

namespace {

constexpr const char* kKey = "sk-test-SECRETSECRETSECRET0123456789";

struct Fixture {
    ManualClock clock;
    CaptureLogger logger;
    ScriptedTransport transport{clock};
    config::HttpSettings settings;
    std::unique_ptr<http::BackendHttpClient> client;

    http::BackendHttpClient& make() {
        client = std::make_unique<http::BackendHttpClient>("openai", settings, transport, clock, logger,
                                                           [] { return 0.0; });
        return *client;
    }

    CallContext context() {
        CallContext ctx;
        ctx.request_id = "req-42";
        ctx.logger = &logger;
        return ctx;
    }

    static HttpRequest request() {
        HttpRequest r;
        r.method = "POST";
        r.url = "https://api.example.test/v1/embeddings";
        r.headers.push_back({"Authorization", std::string("Bearer ") + kKey});
        r.body = R"({"input":"hi"})";
        return r;
    }

    // Starts the send and moves the clock from timer to timer until it has finished.
    Result<HttpResponse> run(HttpRequest r, std::optional<CallContext> ctx = std::nullopt) {
        if (!client) make();
        auto result = std::make_shared<std::optional<Result<HttpResponse>>>();
        client->send(ctx ? *ctx : context(), std::move(r)).start([result](Result<HttpResponse> value) {
            result->emplace(std::move(value));
        });
        while (!result->has_value()) REQUIRE(clock.advance_to_next());
        return std::move(**result);
    }

    std::vector<Clock::duration> gaps() const {
        auto sent = transport.sent();
        std::vector<Clock::duration> out;
        for (std::size_t i = 1; i < sent.size(); ++i) out.push_back(sent[i].at - sent[i - 1].at);
        return out;
    }
};

}  // namespace

TEST_CASE("a request leaves with the backend's limits filled in and a 200 comes back as is", "[http][client]") {
    Fixture f;
    f.settings.connect_timeout = 1500ms;
    f.settings.timeout = 20s;
    f.settings.max_response_bytes = 1024;
    f.transport.script(ScriptedTransport::respond(200, "{}", {{"x-request-id", "req_abc"}}));

    auto result = f.run(Fixture::request());

    REQUIRE(result.ok());
    CHECK(result->status == 200);
    CHECK(result->attempts == 1);
    CHECK(result->header("X-Request-Id") == "req_abc");
    auto sent = f.transport.sent();
    REQUIRE(sent.size() == 1);
    CHECK(sent[0].request.connect_timeout == 1500ms);
    CHECK(sent[0].request.timeout == 20s);
    CHECK(sent[0].request.max_response_bytes == 1024u);
    CHECK(sent[0].request.body == R"({"input":"hi"})");
}

TEST_CASE("a request's own limits win over the backend's", "[http][client]") {
    Fixture f;
    f.transport.script(ScriptedTransport::respond(200));
    auto r = Fixture::request();
    r.timeout = 3s;
    r.connect_timeout = 250ms;
    r.max_response_bytes = 10;
    REQUIRE(f.run(r).ok());
    auto sent = f.transport.sent();
    CHECK(sent[0].request.timeout == 3s);
    CHECK(sent[0].request.connect_timeout == 250ms);
    CHECK(sent[0].request.max_response_bytes == 10u);
}

TEST_CASE("5xx answers are retried with exponential backoff, then succeed", "[http][client]") {
    Fixture f;
    f.transport.script(ScriptedTransport::respond(503, "overloaded"));
    f.transport.script(ScriptedTransport::respond(500, "oops"));
    f.transport.script(ScriptedTransport::respond(200, "ok"));

    auto result = f.run(Fixture::request());

    REQUIRE(result.ok());
    CHECK(result->body == "ok");
    CHECK(result->attempts == 3);
    // Each gap is the scripted 10 ms answer plus the backoff: 500 ms, then 1 s.
    CHECK(f.gaps() == std::vector<Clock::duration>{510ms, 1010ms});
    CHECK(f.logger.count(LogLevel::info, "attempt 1/3: POST https://api.example.test/v1/embeddings failed: "
                                         "unavailable: HTTP 503 from POST https://api.example.test/v1/embeddings: "
                                         "overloaded; retrying in 500 ms") == 1);
    CHECK(f.logger.count(LogLevel::info, "retrying in 1000 ms") == 1);
}

TEST_CASE("every attempt is logged with the request id and the key never is", "[http][client]") {
    Fixture f;
    f.transport.script(ScriptedTransport::respond(502));
    f.transport.script(ScriptedTransport::respond(200));
    REQUIRE(f.run(Fixture::request()).ok());

    auto lines = f.logger.lines();
    REQUIRE(lines.size() == 4);  // attempt 1 start, its failure, attempt 2 start, its success
    for (const auto& line : lines) {
        CHECK(line.request_id == "req-42");
        CHECK(line.message.find(kKey) == std::string::npos);
        CHECK(line.message.find("Bearer") == std::string::npos);
    }
    CHECK(lines[0].message == "attempt 1/3: POST https://api.example.test/v1/embeddings");
    CHECK(lines[3].message == "attempt 2/3: POST https://api.example.test/v1/embeddings -> 200 in 10 ms");
}

TEST_CASE("when every attempt fails the last error comes back, saying how many attempts were made", "[http][client]") {
    Fixture f;
    f.transport.script(ScriptedTransport::respond(503, "busy"));

    auto result = f.run(Fixture::request());

    REQUIRE_FALSE(result.ok());
    CHECK(result.error().kind == ErrorKind::unavailable);
    CHECK(result.error().upstream_status == 503);
    CHECK(result.error().message ==
          "HTTP 503 from POST https://api.example.test/v1/embeddings: busy (after 3 attempts)");
    CHECK(f.transport.sent().size() == 3);
    CHECK(f.logger.count(LogLevel::warn, "no attempts left") == 1);
}

TEST_CASE("a 429 waits exactly what retry-after-ms or Retry-After says", "[http][client]") {
    Fixture f;
    SECTION("retry-after-ms") {
        f.transport.script(ScriptedTransport::respond(429, "slow down", {{"retry-after-ms", "1234"}}));
    }
    SECTION("Retry-After in seconds") {
        f.transport.script(ScriptedTransport::respond(429, "slow down", {{"Retry-After", "1.234"}}));
    }
    f.transport.script(ScriptedTransport::respond(200));

    REQUIRE(f.run(Fixture::request()).ok());
    CHECK(f.gaps() == std::vector<Clock::duration>{1244ms});
}

TEST_CASE("a Retry-After longer than retry_after_max is not waited for", "[http][client]") {
    Fixture f;
    f.settings.retry_after_max = 60s;
    f.transport.script(ScriptedTransport::respond(429, "later", {{"Retry-After", "120"}}));

    auto result = f.run(Fixture::request());

    REQUIRE_FALSE(result.ok());
    CHECK(result.error().kind == ErrorKind::rate_limited);
    CHECK(result.error().retry_after == std::chrono::milliseconds(120'000));
    CHECK(f.transport.sent().size() == 1);
    CHECK(f.logger.count(LogLevel::warn, "the upstream asked to wait 120000 ms, more than retry_after_max 60000 ms") == 1);
}

TEST_CASE("a plugin's classify decides: a quota 429 is final, its message is kept", "[http][client]") {
    Fixture f;
    f.transport.script(ScriptedTransport::respond(429, R"({"error":{"code":"insufficient_quota"}})"));
    auto r = Fixture::request();
    r.classify = [](const HttpResponse& response) -> std::optional<Error> {
        if (response.status == 429) return Error::make(ErrorKind::quota, "You exceeded your current quota");
        return std::nullopt;
    };

    auto result = f.run(r);

    REQUIRE_FALSE(result.ok());
    CHECK(result.error().kind == ErrorKind::quota);
    CHECK(result.error().message == "You exceeded your current quota");
    CHECK(result.error().upstream_status == 429);  // filled in by the host
    CHECK(f.transport.sent().size() == 1);
}

TEST_CASE("client errors are not retried, and map by status when the plugin does not classify", "[http][client]") {
    Fixture f;
    auto [status, kind] = GENERATE(table<int, ErrorKind>({{400, ErrorKind::bad_request},
                                                          {401, ErrorKind::auth},
                                                          {402, ErrorKind::quota},
                                                          {403, ErrorKind::auth},
                                                          {404, ErrorKind::bad_request},
                                                          {422, ErrorKind::bad_request},
                                                          {301, ErrorKind::upstream_error}}));
    f.transport.script(ScriptedTransport::respond(status, "no"));

    auto result = f.run(Fixture::request());

    REQUIRE_FALSE(result.ok());
    CHECK(result.error().kind == kind);
    CHECK(result.error().upstream_status == status);
    CHECK(f.transport.sent().size() == 1);
}

TEST_CASE("408 and 429 without a quota classification are retried", "[http][client]") {
    Fixture f;
    int status = GENERATE(408, 429);
    f.transport.script(ScriptedTransport::respond(status));
    f.transport.script(ScriptedTransport::respond(200));
    REQUIRE(f.run(Fixture::request()).ok());
    CHECK(f.transport.sent().size() == 2);
}

TEST_CASE("x-should-retry from the upstream overrides the status", "[http][client]") {
    Fixture f;
    SECTION("false stops a 503 from being retried") {
        f.transport.script(ScriptedTransport::respond(503, "", {{"x-should-retry", "false"}}));
        CHECK_FALSE(f.run(Fixture::request()).ok());
        CHECK(f.transport.sent().size() == 1);
    }
    SECTION("true retries a 409") {
        f.transport.script(ScriptedTransport::respond(409, "", {{"x-should-retry", "true"}}));
        f.transport.script(ScriptedTransport::respond(200));
        CHECK(f.run(Fixture::request()).ok());
        CHECK(f.transport.sent().size() == 2);
    }
}

TEST_CASE("connection-level transport failures are retried, the others are not", "[http][client]") {
    Fixture f;
    SECTION("connection refused") {
        f.transport.script(ScriptedTransport::fail(ErrorKind::unavailable, "could not connect", true));
        f.transport.script(ScriptedTransport::respond(200));
        CHECK(f.run(Fixture::request()).ok());
        CHECK(f.transport.sent().size() == 2);
    }
    SECTION("reset mid-body") {
        f.transport.script(ScriptedTransport::fail(ErrorKind::upstream_error, "connection reset mid-body", true));
        f.transport.script(ScriptedTransport::respond(200));
        CHECK(f.run(Fixture::request()).ok());
        CHECK(f.transport.sent().size() == 2);
    }
    SECTION("a body over the size cap") {
        f.transport.script(ScriptedTransport::fail(ErrorKind::upstream_error, "response body larger than 10 bytes", false));
        auto result = f.run(Fixture::request());
        REQUIRE_FALSE(result.ok());
        CHECK(result.error().kind == ErrorKind::upstream_error);
        CHECK(result.error().message == "response body larger than 10 bytes");
        CHECK(f.transport.sent().size() == 1);
    }
}

TEST_CASE("a request marked not to be retried gets one attempt", "[http][client]") {
    Fixture f;
    f.transport.script(ScriptedTransport::respond(503));
    auto r = Fixture::request();
    r.retry = false;
    auto result = f.run(r);
    REQUIRE_FALSE(result.ok());
    CHECK(result.error().kind == ErrorKind::unavailable);
    CHECK(f.transport.sent().size() == 1);
    CHECK(f.logger.count(LogLevel::debug, "attempt 1/1:") == 1);
}

TEST_CASE("the total deadline bounds attempts and waits together", "[http][client]") {
    Fixture f;
    f.settings.deadline = 1200ms;
    f.settings.timeout = 60s;
    f.transport.script(ScriptedTransport::respond(503));

    auto result = f.run(Fixture::request());

    // Attempt 1 at 0 ms, backoff 500 ms, attempt 2 at 510 ms, then a 1 s wait would end past 1200 ms.
    REQUIRE_FALSE(result.ok());
    CHECK(f.transport.sent().size() == 2);
    CHECK(f.transport.sent()[0].request.timeout == 1200ms);  // never longer than what is left
    CHECK(f.transport.sent()[1].request.timeout == 690ms);
    CHECK(result.error().message.ends_with("(after 2 attempts)"));
    CHECK(f.logger.count(LogLevel::warn, "waiting 1000 ms would pass the deadline") == 1);
}

TEST_CASE("the caller's deadline is honoured too", "[http][client]") {
    Fixture f;
    f.transport.script(ScriptedTransport::respond(200));
    auto ctx = f.context();
    ctx.deadline = f.clock.now() + 2s;
    REQUIRE(f.run(Fixture::request(), ctx).ok());
    CHECK(f.transport.sent()[0].request.timeout == 2s);
}

TEST_CASE("cancelling the call aborts the exchange in flight", "[http][client]") {
    Fixture f;
    f.transport.set_latency(10s);
    f.transport.script(ScriptedTransport::respond(200));
    f.make();
    auto ctx = f.context();
    auto result = std::make_shared<std::optional<Result<HttpResponse>>>();
    f.client->send(ctx, Fixture::request()).start([result](Result<HttpResponse> v) { result->emplace(std::move(v)); });

    f.clock.advance(1s);
    REQUIRE_FALSE(result->has_value());
    ctx.cancellation->cancel();
    f.clock.run_ready();

    REQUIRE(result->has_value());
    REQUIRE_FALSE((*result)->ok());
    CHECK((*result)->error().kind == ErrorKind::timeout);
    CHECK((*result)->error().message == "POST https://api.example.test/v1/embeddings cancelled by the caller");
    CHECK(f.transport.cancelled() == 1);
    CHECK(f.transport.sent().size() == 1);
}

TEST_CASE("cancelling the call during a backoff wait ends it without another attempt", "[http][client]") {
    Fixture f;
    f.transport.script(ScriptedTransport::respond(503));
    f.make();
    auto ctx = f.context();
    auto result = std::make_shared<std::optional<Result<HttpResponse>>>();
    f.client->send(ctx, Fixture::request()).start([result](Result<HttpResponse> v) { result->emplace(std::move(v)); });

    f.clock.advance(100ms);  // the 503 arrived at 10 ms; now waiting 500 ms
    REQUIRE_FALSE(result->has_value());
    ctx.cancellation->cancel();
    f.clock.run_ready();

    REQUIRE(result->has_value());
    CHECK((*result)->error().kind == ErrorKind::timeout);
    CHECK((*result)->error().message.ends_with("cancelled by the caller"));
    CHECK(f.transport.sent().size() == 1);
    CHECK(f.clock.pending_timers() == 0);
}

TEST_CASE("a Retry-After too large to represent is not retried and stays positive", "[http][client]") {
    Fixture f;
    f.transport.script(ScriptedTransport::respond(429, "later", {{"retry-after-ms", "1e30"}}));

    auto result = f.run(Fixture::request());

    REQUIRE_FALSE(result.ok());
    CHECK(result.error().kind == ErrorKind::rate_limited);
    REQUIRE(result.error().retry_after);
    CHECK(*result.error().retry_after > f.settings.retry_after_max);
    CHECK(f.transport.sent().size() == 1);
}

TEST_CASE("a password in the URL never reaches a log line or an error message", "[http][client]") {
    Fixture f;
    f.transport.script(ScriptedTransport::respond(503, "busy"));
    auto r = Fixture::request();
    r.url = "https://gateway:s3cretpw@api.example.test/v1/embeddings";

    auto result = f.run(r);

    REQUIRE_FALSE(result.ok());
    CHECK(result.error().message ==
          "HTTP 503 from POST https://api.example.test/v1/embeddings: busy (after 3 attempts)");
    REQUIRE(f.logger.lines().size() > 3);
    for (const auto& line : f.logger.lines()) CHECK(line.message.find("s3cretpw") == std::string::npos);
    CHECK(f.transport.sent()[0].request.url == r.url);  // the request itself keeps its credentials
}

TEST_CASE("a call context without a cancellation is served, not crashed on", "[http][client]") {
    Fixture f;
    f.transport.script(ScriptedTransport::respond(200, "ok"));
    auto ctx = f.context();
    ctx.cancellation = nullptr;
    auto result = f.run(Fixture::request(), ctx);
    REQUIRE(result.ok());
    CHECK(result->body == "ok");
}
