#include <chrono>
#include <string>
#include <vector>

#include <boost/json.hpp>
#include <catch2/catch.hpp>

#include "openai/openai_harness.hpp"

// Every way an OpenAI call fails, as the plugin reports it through the real host HTTP client and
// its retry policy (3 attempts, backoff 0.5 s then 1 s, no jitter; Retry-After honoured).
namespace switchboard::openai {
namespace {

using namespace std::chrono_literals;
using namespace testing;
using Catch::Matchers::StartsWith;

// " (backend 'openai', request req-1, x-request-id req_N)", as the plugin ends its messages.
std::string where(int upstream_request) {
    return " (backend 'openai', request req-1, x-request-id req_" + std::to_string(upstream_request) + ")";
}

TEST_CASE("a 400 is a bad_request quoting OpenAI's message, not retried", "[openai]") {
    OpenAITest test;
    test.fake.push(FakeOpenAI::invalid_request("'$.input' is invalid.", "input"));
    auto error = test.embed_error(texts({"hello"}));
    CHECK(error.kind == ErrorKind::bad_request);
    CHECK(error.upstream_status == 400);
    CHECK(error.message == "OpenAI 400 invalid_request_error on POST /embeddings: '$.input' is invalid." + where(1));
    CHECK(test.fake.request_count() == 1);
}

TEST_CASE("a wrong key is a 401 auth error that shows at most the masked key", "[openai]") {
    const std::string wrong_key = "sk-wrong-fedcba9876543210fedcba9876543210";
    OpenAITest test({}, wrong_key);
    auto error = test.embed_error(texts({"hello"}));
    CHECK(error.kind == ErrorKind::auth);
    CHECK(error.upstream_status == 401);
    CHECK(error.message ==
          "OpenAI 401 invalid_api_key on POST /embeddings: Incorrect API key provided: "
          "sk-wrong*****************************3210. You can find your API key at "
          "https://platform.openai.com/account/api-keys." + where(1));
    CHECK(test.fake.request_count() == 1);
    CHECK(test.fake.requests().at(0).header("Authorization") == "Bearer " + wrong_key);
    CHECK_FALSE(test.harness.logger.contains(wrong_key));
}

TEST_CASE("a 403 model_not_found is an auth error: the key's project lacks the model", "[openai]") {
    OpenAITest test;
    test.fake.push(FakeOpenAI::error(403, "Project `proj_x` does not have access to model `text-embedding-3-small`",
                                     "invalid_request_error", std::nullopt, "model_not_found"));
    auto error = test.embed_error(texts({"hello"}));
    CHECK(error.kind == ErrorKind::auth);
    CHECK(error.message == "OpenAI 403 model_not_found on POST /embeddings: Project `proj_x` does not have access to "
                           "model `text-embedding-3-small`" + where(1));
    CHECK(test.fake.request_count() == 1);
}

TEST_CASE("an unknown model is a 404 bad_request", "[openai]") {
    OpenAITest test({{"model", std::string("text-embedding-4-imaginary")}});
    auto error = test.embed_error(texts({"hello"}));
    CHECK(error.kind == ErrorKind::bad_request);
    CHECK(error.upstream_status == 404);
    CHECK(error.message == "OpenAI 404 model_not_found on POST /embeddings: The model `text-embedding-4-imaginary` does "
                           "not exist or you do not have access to it." + where(1));
    CHECK(test.fake.request_count() == 1);
}

TEST_CASE("a 429 rate limit with Retry-After is retried by the host after exactly that wait", "[openai]") {
    OpenAITest test;
    test.fake.push(FakeOpenAI::rate_limited(2s));
    auto started = test.harness.clock.now();
    auto result = test.embed(texts({"hello"}));
    REQUIRE(result.ok());
    CHECK(test.fake.request_count() == 2);
    CHECK(test.harness.clock.now() - started == 2s);
    CHECK(result->vectors.at(0) == FakeOpenAI::embedding("text-embedding-3-small", "hello"));
}

TEST_CASE("a 429 rate limit with retry-after-ms is retried after that many milliseconds", "[openai]") {
    OpenAITest test;
    test.fake.push(FakeOpenAI::rate_limited(1500ms, FakeOpenAI::RetryAfterHeader::milliseconds));
    auto started = test.harness.clock.now();
    REQUIRE(test.embed(texts({"hello"})).ok());
    CHECK(test.fake.request_count() == 2);
    CHECK(test.harness.clock.now() - started == 1500ms);
}

TEST_CASE("a 429 without Retry-After is retried after the wait its message names", "[openai]") {
    OpenAITest test;
    // "Please try again in 1.5s." and no header: the host waits what the message says.
    test.fake.push(FakeOpenAI::rate_limited(1500ms, FakeOpenAI::RetryAfterHeader::none));
    auto started = test.harness.clock.now();
    REQUIRE(test.embed(texts({"hello"})).ok());
    CHECK(test.fake.request_count() == 2);
    CHECK(test.harness.clock.now() - started == 1500ms);

    // "Please try again in 20ms."
    test.fake.push(FakeOpenAI::rate_limited(20ms, FakeOpenAI::RetryAfterHeader::none));
    started = test.harness.clock.now();
    REQUIRE(test.embed(texts({"hello"})).ok());
    CHECK(test.fake.request_count() == 4);
    CHECK(test.harness.clock.now() - started == 20ms);
}

TEST_CASE("a rate limit that outlasts every attempt is rate_limited with the upstream's retry-after", "[openai]") {
    OpenAITest test;
    for (int i = 0; i < 3; ++i) test.fake.push(FakeOpenAI::rate_limited(2s));
    auto error = test.embed_error(texts({"hello"}));
    CHECK(error.kind == ErrorKind::rate_limited);
    CHECK(error.upstream_status == 429);
    REQUIRE(error.retry_after.has_value());
    CHECK(*error.retry_after == 2s);
    CHECK_THAT(error.message, StartsWith("OpenAI 429 rate_limit_exceeded on POST /embeddings: Rate limit reached for "
                                         "text-embedding-3-small in organization org-fake on requests per min (RPM): "
                                         "Limit 3000, Used 3000, Requested 1. Please try again in 2s." ));
    CHECK_THAT(error.message, Catch::Matchers::Contains(where(3)));
    CHECK(test.fake.request_count() == 3);
}

TEST_CASE("a 429 insufficient_quota is a quota error sent exactly once", "[openai]") {
    OpenAITest test;
    test.fake.push(FakeOpenAI::insufficient_quota());
    auto error = test.embed_error(texts({"hello"}));
    CHECK(error.kind == ErrorKind::quota);
    CHECK(error.upstream_status == 429);
    CHECK(error.message == "OpenAI 429 insufficient_quota on POST /embeddings: You exceeded your current quota, please "
                           "check your plan and billing details. For more information on this error, read the docs: "
                           "https://platform.openai.com/docs/guides/error-codes/api-errors." + where(1));
    CHECK(test.fake.request_count() == 1);
}

TEST_CASE("500 on every attempt is unavailable after 3 attempts", "[openai]") {
    OpenAITest test;
    for (int i = 0; i < 3; ++i) test.fake.push(FakeOpenAI::server_error(500));
    auto started = test.harness.clock.now();
    auto error = test.embed_error(texts({"hello"}));
    CHECK(error.kind == ErrorKind::unavailable);
    CHECK(error.upstream_status == 500);
    CHECK_THAT(error.message, StartsWith("OpenAI 500 server_error on POST /embeddings: The server had an error while "
                                         "processing your request. Sorry about that!" + where(3)));
    CHECK(test.fake.request_count() == 3);
    CHECK(test.harness.clock.now() - started == 1500ms);  // backoff 0.5 s, then 1 s
}

TEST_CASE("503 on every attempt is unavailable after 3 attempts", "[openai]") {
    OpenAITest test;
    for (int i = 0; i < 3; ++i) test.fake.push(FakeOpenAI::server_error(503));
    auto error = test.embed_error(texts({"hello"}));
    CHECK(error.kind == ErrorKind::unavailable);
    CHECK_THAT(error.message, StartsWith("OpenAI 503 server_error on POST /embeddings: Our servers are experiencing "
                                         "high traffic. Please retry your requests after a brief wait." + where(3)));
    CHECK(test.fake.request_count() == 3);
}

TEST_CASE("a 503 followed by an answer succeeds on the second attempt", "[openai]") {
    OpenAITest test;
    test.fake.push(FakeOpenAI::server_error(503));
    auto result = test.embed(texts({"hello"}));
    REQUIRE(result.ok());
    CHECK(test.fake.request_count() == 2);
}

TEST_CASE("malformed JSON in a 200 answer is an upstream_error", "[openai]") {
    OpenAITest test;
    test.fake.push(FakeOpenAI::malformed_json());
    auto error = test.embed_error(texts({"hello"}));
    CHECK(error.kind == ErrorKind::upstream_error);
    CHECK_THAT(error.message, StartsWith("OpenAI answer to POST /embeddings is not valid JSON ("));
    CHECK_THAT(error.message, Catch::Matchers::EndsWith(where(1)));
    CHECK(test.fake.request_count() == 1);
}

TEST_CASE("an answer truncated on every attempt is an upstream_error", "[openai]") {
    OpenAITest test;
    for (int i = 0; i < 3; ++i) test.fake.push(FakeOpenAI::truncated());
    auto result = test.embed(texts({"hello"}));
    REQUIRE_FALSE(result.ok());
    CHECK(result.error().kind == ErrorKind::upstream_error);
    CHECK(test.fake.request_count() == 3);
}

TEST_CASE("a connection reset mid-body on every attempt is an upstream_error", "[openai]") {
    OpenAITest test;
    for (int i = 0; i < 3; ++i) test.fake.push(FakeOpenAI::reset());
    auto result = test.embed(texts({"hello"}));
    REQUIRE_FALSE(result.ok());
    CHECK(result.error().kind == ErrorKind::upstream_error);
    CHECK(test.fake.request_count() == 3);
}

TEST_CASE("answers of the wrong shape are upstream errors naming the problem", "[openai]") {
    const std::string vector_a = FakeOpenAI::base64_floats({0.6f, 0.8f});
    const std::string vector_b = FakeOpenAI::base64_floats({0.8f, 0.6f});
    auto body = [](const std::string& data) {
        return R"({"object":"list","data":)" + data +
               R"(,"model":"text-embedding-3-small","usage":{"prompt_tokens":2,"total_tokens":2}})";
    };
    auto item = [](int index, const std::string& embedding) {
        return R"({"object":"embedding","index":)" + std::to_string(index) + R"(,"embedding":")" + embedding + "\"}";
    };
    struct Case {
        std::string name;
        std::string body;
        std::string problem;
        std::optional<std::int32_t> dimensions;
    };
    std::vector<Case> cases{
        {"missing data", R"({"object":"list","model":"m","usage":{"prompt_tokens":2,"total_tokens":2}})",
         "has no \"data\" array", std::nullopt},
        {"wrong count", body("[" + item(0, vector_a) + "]"), "has 1 entries in \"data\" for 2 inputs", std::nullopt},
        {"duplicate index", body("[" + item(0, vector_a) + "," + item(0, vector_b) + "]"),
         "data[1].index 0 appears more than once", std::nullopt},
        {"bad base64", body("[" + item(0, vector_a) + "," + item(1, "AAC!Pw==") + "]"),
         "data[1].embedding has '!' at offset 3, which is not in the base64 alphabet", std::nullopt},
        {"wrong dimensions", body("[" + item(0, vector_a) + "," + item(1, vector_b) + "]"),
         "data[0].embedding has 2 values, but 3 dimensions were requested", 3},
    };
    for (const auto& c : cases) {
        SECTION(c.name) {
            OpenAITest test;
            test.fake.push(Reply::json(200, c.body));
            auto request = texts({"first", "second"});
            request.dimensions = c.dimensions;
            auto error = test.embed_error(request);
            CHECK(error.kind == ErrorKind::upstream_error);
            CHECK(error.upstream_status == 200);
            CHECK(error.message == "OpenAI answer to POST /embeddings " + c.problem + where(1));
            CHECK(test.fake.request_count() == 1);
        }
    }
}

TEST_CASE("a failed batch fails the whole call and no later batch is sent", "[openai]") {
    OpenAITest test({{"max_batch_inputs", std::int64_t{2}}, {"batch_concurrency", std::int64_t{1}}});
    test.fake.push([](const RecordedRequest&, const Reply& normal) { return normal; });
    test.fake.push(FakeOpenAI::insufficient_quota());
    auto error = test.embed_error(texts({"a", "b", "c", "d", "e", "f"}));
    CHECK(error.kind == ErrorKind::quota);
    CHECK(error.message == "OpenAI 429 insufficient_quota on POST /embeddings: You exceeded your current quota, please "
                           "check your plan and billing details. For more information on this error, read the docs: "
                           "https://platform.openai.com/docs/guides/error-codes/api-errors." + where(2));
    auto requests = test.fake.requests();
    REQUIRE(requests.size() == 2);
    CHECK(body_of(requests[0]).at("input") == boost::json::parse(R"(["a","b"])"));
    CHECK(body_of(requests[1]).at("input") == boost::json::parse(R"(["c","d"])"));
}

TEST_CASE("a quota error in one batch ends the call without waiting for the batch still in flight", "[openai]") {
    OpenAITest test({{"max_batch_inputs", std::int64_t{1}}, {"batch_concurrency", std::int64_t{2}}});
    // Whichever batch arrives first never gets an answer; the other runs out of quota.
    test.fake.push(FakeOpenAI::never_answer());
    test.fake.push(FakeOpenAI::insufficient_quota());
    auto began = std::chrono::steady_clock::now();
    auto error = test.embed_error(texts({"a", "b", "c"}));
    CHECK(error.kind == ErrorKind::quota);
    CHECK(test.fake.request_count() == 2);
    // Far less than the unanswered attempt's 60 s timeout: the plugin aborted it.
    CHECK(std::chrono::steady_clock::now() - began < std::chrono::seconds(10));
}

TEST_CASE("cancelling a call aborts every batch in flight", "[openai]") {
    OpenAITest test({{"max_batch_inputs", std::int64_t{1}}, {"batch_concurrency", std::int64_t{2}}});
    CallContext ctx = test.harness.context("req-1");
    auto cancellation = ctx.cancellation;
    test.fake.push(FakeOpenAI::never_answer());
    // The second request cancels the call (as the router's fallback timeout would), then hangs too.
    test.fake.push([cancellation](const RecordedRequest&, const Reply&) {
        cancellation->cancel();
        return FakeOpenAI::never_answer();
    });
    auto result = test.harness.run(test.plugin.embed(ctx, texts({"a", "b"})));
    REQUIRE_FALSE(result.ok());
    CHECK(result.error().kind == ErrorKind::timeout);
    CHECK(test.fake.request_count() == 2);
    CHECK(test.fake.server().wait_for_open_connections(0, std::chrono::seconds(5)));
}

TEST_CASE("an upstream message that echoes the key is redacted", "[openai]") {
    OpenAITest test;
    test.fake.push(FakeOpenAI::error(401, "Incorrect API key provided: " + test_key + ".", "invalid_request_error",
                                     std::nullopt, "invalid_api_key"));
    auto error = test.embed_error(texts({"hello"}));
    CHECK(error.kind == ErrorKind::auth);
    CHECK(error.message == "OpenAI 401 invalid_api_key on POST /embeddings: Incorrect API key provided: sk-****." +
                               where(1));
}

TEST_CASE("a key straddling the cut of a quoted upstream text is redacted before the cut", "[openai]") {
    // Each text places the key's first 12 bytes inside the part that is kept.
    OpenAITest test;
    test.fake.push(FakeOpenAI::invalid_request(std::string(488, 'm') + test_key + " tail-end"));
    auto envelope = test.embed_error(texts({"hello"}));
    CHECK(envelope.message == "OpenAI 400 invalid_request_error on POST /embeddings: " + std::string(488, 'm') +
                                  "sk-**** tail…" + where(1));

    Reply text_body;
    text_body.status = 400;
    text_body.headers.push_back({"Content-Type", "text/plain"});
    text_body.body = std::string(188, 'b') + test_key + " tail-end";
    test.fake.push(text_body);
    auto body = test.embed_error(texts({"hello"}));
    CHECK(body.message == "OpenAI 400 on POST /embeddings: " + std::string(188, 'b') + "sk-**** tail…" +
                              " (backend 'openai', request req-1, x-request-id req_2)");

    test.fake.push(Reply::json(200, std::string(108, 'j') + test_key + " tail-end"));
    auto unparsed = test.embed_error(texts({"hello"}));
    CHECK(unparsed.kind == ErrorKind::upstream_error);
    CHECK(unparsed.message == "OpenAI answer to POST /embeddings is not valid JSON (syntax error): " +
                                  std::string(108, 'j') + "sk-**** tail…" +
                                  " (backend 'openai', request req-1, x-request-id req_3)");

    for (const auto* error : {&envelope, &body, &unparsed}) {
        INFO(error->message);
        CHECK(key_piece_in(error->message).empty());
    }
}

TEST_CASE("health maps a wrong key to auth", "[openai]") {
    OpenAITest test({}, "sk-wrong-fedcba9876543210fedcba9876543210");
    auto status = test.health();
    REQUIRE_FALSE(status.ok());
    CHECK(status.error().kind == ErrorKind::auth);
    CHECK_THAT(status.error().message, StartsWith("OpenAI 401 invalid_api_key on GET /models: Incorrect API key "
                                                  "provided: sk-wrong****"));
    CHECK(test.fake.request_count() == 1);
    CHECK(test.fake.requests().at(0).target == "/v1/models");
}

TEST_CASE("health reports an upstream without a model list (404) as bad_request", "[openai]") {
    OpenAITest test;
    test.fake.push(Reply::json(404, R"({"error":{"message":"Unknown request URL: GET /v1/models",)"
                                    R"("type":"invalid_request_error","param":null,"code":"unknown_url"}})"));
    auto probe = test.health();
    REQUIRE_FALSE(probe.ok());
    CHECK(probe.error().kind == ErrorKind::bad_request);  // the health monitor takes it as reachable
    CHECK(test.fake.request_count() == 1);
}

TEST_CASE("health reports an overloaded upstream as unavailable after one attempt", "[openai]") {
    OpenAITest test;
    test.fake.push(FakeOpenAI::server_error(503));
    auto status = test.health();
    REQUIRE_FALSE(status.ok());
    CHECK(status.error().kind == ErrorKind::unavailable);
    CHECK(test.fake.request_count() == 1);
}

}  // namespace
}  // namespace switchboard::openai
