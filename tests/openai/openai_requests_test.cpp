#include <algorithm>
#include <chrono>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include <boost/json.hpp>
#include <catch2/catch.hpp>

#include "openai/openai_harness.hpp"

// What the plugin sends to (a loopback fake of) OpenAI and what it makes of the answers.
namespace switchboard::openai {
namespace {

namespace json = boost::json;
using namespace std::chrono_literals;
using namespace testing;

std::int64_t fake_tokens(const std::vector<std::string>& inputs) {
    std::int64_t tokens = 0;
    for (const auto& text : inputs) tokens += FakeOpenAI::count_tokens(text);
    return tokens;
}

std::vector<std::string> numbered(std::size_t count, const std::string& prefix = "text ") {
    std::vector<std::string> inputs;
    for (std::size_t i = 0; i < count; ++i) inputs.push_back(prefix + std::to_string(i));
    return inputs;
}

TEST_CASE("embed sends one POST /v1/embeddings with the key as a bearer token and exactly the documented body",
          "[openai]") {
    OpenAITest test;
    auto result = test.embed(texts({"hello", "world"}));
    REQUIRE(result.ok());

    auto requests = test.fake.requests();
    REQUIRE(requests.size() == 1);
    const auto& sent = requests[0];
    CHECK(sent.method == "POST");
    CHECK(sent.target == "/v1/embeddings");
    CHECK(sent.header("Authorization") == "Bearer " + test_key);
    CHECK(sent.header("Content-Type") == "application/json");
    CHECK_FALSE(sent.header("OpenAI-Organization"));
    CHECK_FALSE(sent.header("OpenAI-Project"));
    CHECK(body_of(sent) ==
          json::parse(R"({"model":"text-embedding-3-small","input":["hello","world"],"encoding_format":"base64"})"));

    CHECK(result->model == "text-embedding-3-small");
    REQUIRE(result->vectors.size() == 2);
    CHECK(result->vectors[0] == FakeOpenAI::embedding("text-embedding-3-small", "hello"));
    CHECK(result->vectors[1] == FakeOpenAI::embedding("text-embedding-3-small", "world"));
    CHECK(result->vectors[0].size() == 1536);
    CHECK(result->usage.prompt_tokens == 4);
    CHECK(result->usage.total_tokens == 4);

    // One debug line per upstream answer, with the call's request id and the upstream's; the key
    // is in none of the lines logged.
    CHECK(test.harness.logger.has(LogLevel::debug, "req-1", "POST /embeddings (2 inputs): 200, x-request-id req_1"));
    auto lines = test.harness.logger.lines();
    CHECK(lines.size() >= 2);
    for (const auto& line : lines) CHECK(line.message.find(test_key) == std::string::npos);
}

TEST_CASE("organization and project go out as OpenAI-Organization and OpenAI-Project", "[openai]") {
    OpenAITest test({{"organization", std::string("org-fake123")}, {"project", std::string("proj_fake456")}});
    REQUIRE(test.embed(texts({"hello"})).ok());
    auto sent = test.fake.requests().at(0);
    CHECK(sent.header("OpenAI-Organization") == "org-fake123");
    CHECK(sent.header("OpenAI-Project") == "proj_fake456");
}

TEST_CASE("a base_url with a trailing slash still reaches /v1/embeddings", "[openai]") {
    OpenAITest test;
    OpenAIEmbeddings plugin;
    BackendConfig config;
    config.backend = "openai";
    config.settings.set("base_url", test.fake.base_url() + "/");
    config.api_key = Secret(test_key);
    REQUIRE(plugin.start(test.harness.services(), config).ok());
    auto result = test.harness.run(plugin.embed(test.harness.context(), texts({"hello"})));
    REQUIRE(result.ok());
    CHECK(test.fake.requests().at(0).target == "/v1/embeddings");
}

TEST_CASE("float encoding asks for float arrays and yields the same vectors", "[openai]") {
    OpenAITest test({{"encoding_format", std::string("float")}});
    auto result = test.embed(texts({"hello", "world"}));
    REQUIRE(result.ok());
    CHECK(body_of(test.fake.requests().at(0)).at("encoding_format") == "float");
    REQUIRE(result->vectors.size() == 2);
    CHECK(result->vectors[0] == FakeOpenAI::embedding("text-embedding-3-small", "hello"));
    CHECK(result->vectors[1] == FakeOpenAI::embedding("text-embedding-3-small", "world"));
}

TEST_CASE("the request's model, dimensions and user are sent and honoured", "[openai]") {
    OpenAITest test;
    auto request = texts({"hello"});
    request.model = "text-embedding-3-large";
    request.dimensions = 256;
    request.user = "user-42";
    auto result = test.embed(request);
    REQUIRE(result.ok());
    CHECK(body_of(test.fake.requests().at(0)) ==
          json::parse(R"({"model":"text-embedding-3-large","input":["hello"],"encoding_format":"base64",
                          "dimensions":256,"user":"user-42"})"));
    CHECK(result->model == "text-embedding-3-large");
    REQUIRE(result->vectors.size() == 1);
    CHECK(result->vectors[0].size() == 256);
    CHECK(result->vectors[0] == FakeOpenAI::embedding("text-embedding-3-large", "hello", 256));
}

TEST_CASE("the backend's model setting is the default model", "[openai]") {
    OpenAITest test({{"model", std::string("text-embedding-ada-002")}});
    auto result = test.embed(texts({"hello"}));
    REQUIRE(result.ok());
    CHECK(body_of(test.fake.requests().at(0)).at("model") == "text-embedding-ada-002");
    CHECK(result->model == "text-embedding-ada-002");
}

TEST_CASE("token inputs are sent as token arrays and embedded", "[openai]") {
    OpenAITest test;
    EmbeddingsRequest request;
    request.token_inputs = {{15339, 1917}, {9906, 11, 1917, 0}};
    auto result = test.embed(request);
    REQUIRE(result.ok());
    CHECK(body_of(test.fake.requests().at(0)) ==
          json::parse(R"({"model":"text-embedding-3-small","input":[[15339,1917],[9906,11,1917,0]],
                          "encoding_format":"base64"})"));
    REQUIRE(result->vectors.size() == 2);
    CHECK(result->vectors[0] == FakeOpenAI::embedding("text-embedding-3-small", std::vector<std::int64_t>{15339, 1917}));
    CHECK(result->vectors[1] ==
          FakeOpenAI::embedding("text-embedding-3-small", std::vector<std::int64_t>{9906, 11, 1917, 0}));
    CHECK(result->usage.prompt_tokens == 6);
}

TEST_CASE("5000 inputs go out as batches of 2048, 2048 and 904 and come back in input order with summed usage",
          "[openai]") {
    OpenAITest test;
    auto inputs = numbered(5000);
    auto request = texts(inputs);
    request.dimensions = 8;  // small answers; the splitting does not depend on width
    auto result = test.embed(request);
    REQUIRE(result.ok());

    // Sent concurrently, so in any order: identify each batch by its first input.
    std::map<std::string, std::size_t> batch_sizes;
    for (const auto& sent : test.fake.requests()) {
        auto body = body_of(sent);
        const auto& input = body.at("input").as_array();
        batch_sizes[std::string(input.at(0).as_string())] = input.size();
        CHECK(body.at("dimensions") == 8);
    }
    CHECK(batch_sizes == std::map<std::string, std::size_t>{{"text 0", 2048}, {"text 2048", 2048}, {"text 4096", 904}});

    REQUIRE(result->vectors.size() == 5000);
    for (std::size_t i = 0; i < inputs.size(); ++i) {
        if (result->vectors[i] != FakeOpenAI::embedding("text-embedding-3-small", inputs[i], 8)) {
            FAIL("vector " << i << " is not the embedding of '" << inputs[i] << "'");
        }
    }
    CHECK(result->usage.prompt_tokens == fake_tokens(inputs));
    CHECK(result->usage.total_tokens == fake_tokens(inputs));
    CHECK(test.harness.logger.has(LogLevel::debug, "req-1", "3 batches for 5000 inputs, 4 at a time"));
    // The fake numbers its answers req_1.. in arrival order.
    auto requests = test.fake.requests();
    std::size_t last_batch = 0;
    for (std::size_t n = 0; n < requests.size(); ++n) {
        if (body_of(requests[n]).at("input").as_array().size() == 904) last_batch = n + 1;
    }
    CHECK(test.harness.logger.has(LogLevel::debug, "req-1",
                                  "POST /embeddings (batch 3/3, 904 inputs): 200, x-request-id req_" +
                                      std::to_string(last_batch)));
}

TEST_CASE("inputs are split where their estimated tokens (one a byte) would pass the 300,000 budget", "[openai]") {
    OpenAITest test;
    // 40 distinct texts of 8000 bytes: the plugin estimates each at 8000 tokens (a token is at
    // least one byte), so 37 fit the 300,000 budget (296,000) and 3 follow.
    std::vector<std::string> inputs;
    for (int i = 0; i < 40; ++i) {
        std::string text = "document " + std::to_string(i) + " ";
        text.resize(8000, 'x');
        inputs.push_back(text);
    }
    auto request = texts(inputs);
    request.dimensions = 8;
    auto result = test.embed(request);
    REQUIRE(result.ok());

    std::vector<std::size_t> sizes;
    for (const auto& sent : test.fake.requests()) sizes.push_back(body_of(sent).at("input").as_array().size());
    std::sort(sizes.begin(), sizes.end());
    CHECK(sizes == std::vector<std::size_t>{3, 37});
    REQUIRE(result->vectors.size() == 40);
    for (std::size_t i = 0; i < inputs.size(); ++i) {
        CHECK(result->vectors[i] == FakeOpenAI::embedding("text-embedding-3-small", inputs[i], 8));
    }
    CHECK(result->usage.prompt_tokens == 40 * 2000);  // the fake's count: a token per 4 bytes
}

TEST_CASE("with max_batch_tokens at its maximum no request passes 300,000 tokens even at one token a byte",
          "[openai]") {
    OpenAITest test({{"max_batch_tokens", std::int64_t{300'000}}, {"max_batch_inputs", std::int64_t{2048}}});
    // The worst case of the plugin's estimate: the fake counts one token a byte, so it refuses
    // (400 max_tokens_per_request, not retried) any request over the real budget.
    test.fake.set_token_counting(FakeOpenAI::TokenCounting::bytes);
    // 100 texts of 7500 bytes, 750,000 in all: 40 make exactly 300,000.
    std::vector<std::string> inputs;
    for (int i = 0; i < 100; ++i) {
        std::string text = "passage " + std::to_string(i) + " ";
        text.resize(7500, 'y');
        inputs.push_back(text);
    }
    auto request = texts(inputs);
    request.dimensions = 8;
    auto result = test.embed(request);
    INFO((result.ok() ? std::string() : result.error().message));
    REQUIRE(result.ok());

    std::vector<std::size_t> sizes;
    for (const auto& sent : test.fake.requests()) {
        auto body = body_of(sent);
        const auto& input = body.at("input").as_array();
        std::size_t bytes = 0;
        for (const auto& text : input) bytes += text.as_string().size();
        CHECK(bytes <= 300'000);
        sizes.push_back(input.size());
    }
    std::sort(sizes.begin(), sizes.end());
    CHECK(sizes == std::vector<std::size_t>{20, 40, 40});
    REQUIRE(result->vectors.size() == 100);
    CHECK(result->vectors[99] == FakeOpenAI::embedding("text-embedding-3-small", inputs[99], 8));
    CHECK(result->usage.prompt_tokens == 750'000);  // every batch accepted and counted
}

TEST_CASE("batches answered out of order are reassembled in input order", "[openai]") {
    OpenAITest test({{"max_batch_inputs", std::int64_t{2}}, {"batch_concurrency", std::int64_t{3}}});
    // The batch holding "text 0" answers last.
    for (int i = 0; i < 3; ++i) {
        test.fake.push([](const RecordedRequest& request, const Reply& normal) {
            Reply reply = normal;
            if (request.body.find("\"text 0\"") != std::string::npos) reply.delay = 200ms;
            return reply;
        });
    }
    auto inputs = numbered(6);
    auto result = test.embed(texts(inputs));
    REQUIRE(result.ok());
    REQUIRE(test.fake.request_count() == 3);
    // The plugin logs each answer as it arrives: batch 1 came last.
    std::vector<std::string> answered;
    for (const auto& line : test.harness.logger.lines()) {
        if (line.message.starts_with("POST /embeddings (batch ")) answered.push_back(line.message.substr(24, 3));
    }
    REQUIRE(answered.size() == 3);
    CHECK(answered.back() == "1/3");
    REQUIRE(result->vectors.size() == 6);
    for (std::size_t i = 0; i < inputs.size(); ++i) {
        CHECK(result->vectors[i] == FakeOpenAI::embedding("text-embedding-3-small", inputs[i]));
    }
    CHECK(result->usage.prompt_tokens == fake_tokens(inputs));
}

TEST_CASE("entries are placed by their index when the answer lists them shuffled", "[openai]") {
    OpenAITest test;
    test.fake.push([](const RecordedRequest&, const Reply& normal) {
        auto body = json::parse(normal.body);
        auto& data = body.at("data").as_array();
        std::reverse(data.begin(), data.end());
        Reply reply = normal;
        reply.body = json::serialize(body);
        return reply;
    });
    auto result = test.embed(texts({"alpha", "beta", "gamma"}));
    REQUIRE(result.ok());
    REQUIRE(result->vectors.size() == 3);
    CHECK(result->vectors[0] == FakeOpenAI::embedding("text-embedding-3-small", "alpha"));
    CHECK(result->vectors[1] == FakeOpenAI::embedding("text-embedding-3-small", "beta"));
    CHECK(result->vectors[2] == FakeOpenAI::embedding("text-embedding-3-small", "gamma"));
}

TEST_CASE("status details show the latest x-request-id and rate-limit headers", "[openai]") {
    OpenAITest test;
    CHECK(test.plugin.status_details().empty());
    REQUIRE(test.embed(texts({"hello", "world"})).ok());
    REQUIRE(test.embed(texts({"again"}), "req-2").ok());
    using Details = std::vector<std::pair<std::string, std::string>>;
    // The fake's second answer: 2 requests made, 4 + 2 tokens used of 5,000,000.
    CHECK(test.plugin.status_details() == Details{{"upstream request id", "req_2"},
                                                  {"requests remaining", "4998"},
                                                  {"tokens remaining", "4999994"},
                                                  {"requests reset in", "12ms"},
                                                  {"tokens reset in", "0ms"},
                                                  {"requests limit", "5000"},
                                                  {"tokens limit", "5000000"}});
}

TEST_CASE("status details drop the rate-limit headers the latest answer did not send", "[openai]") {
    OpenAITest test;
    REQUIRE(test.embed(texts({"hello"})).ok());
    REQUIRE(test.plugin.status_details().size() == 7);
    // An answer with only an x-request-id, as a proxy or an OpenAI-compatible server may send.
    test.fake.push([](const RecordedRequest&, const Reply& normal) {
        Reply reply = normal;
        reply.headers.clear();
        reply.headers.push_back({"Content-Type", "application/json"});
        return reply;
    });
    REQUIRE(test.embed(texts({"again"}), "req-2").ok());
    using Details = std::vector<std::pair<std::string, std::string>>;
    CHECK(test.plugin.status_details() == Details{{"upstream request id", "req_2"}});
}

TEST_CASE("health probes GET /v1/models with the key and is healthy on 200", "[openai]") {
    OpenAITest test;
    auto status = test.health();
    INFO((status.ok() ? std::string() : status.error().message));
    REQUIRE(status.ok());
    auto requests = test.fake.requests();
    REQUIRE(requests.size() == 1);
    CHECK(requests[0].method == "GET");
    CHECK(requests[0].target == "/v1/models");
    CHECK(requests[0].header("Authorization") == "Bearer " + test_key);
    CHECK_FALSE(requests[0].header("Content-Type"));
    CHECK(requests[0].body.empty());
    CHECK(test.plugin.status_details().at(0) == std::pair<std::string, std::string>{"upstream request id", "req_1"});
}

TEST_CASE("without a key no request reaches OpenAI and the call fails with auth", "[openai]") {
    OpenAITest test({}, "");
    auto error = test.embed_error(texts({"hello"}));
    CHECK(error.kind == ErrorKind::auth);
    CHECK(error.message == "no API key for backend 'openai': set OPENAI_API_KEY or api_key in [backends.openai]");
    auto probe = test.health();
    REQUIRE_FALSE(probe.ok());
    CHECK(probe.error().kind == ErrorKind::auth);
    CHECK(test.fake.request_count() == 0);
}

}  // namespace
}  // namespace switchboard::openai
