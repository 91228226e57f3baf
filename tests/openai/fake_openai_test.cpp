#include <cmath>
#include <string>
#include <vector>

#include <boost/json.hpp>
#include <catch2/catch.hpp>

#include "fakes/fake_openai.hpp"
#include "fakes/http_harness.hpp"

// The loopback fake itself speaks the reference wire format: what it refuses and how it answers.
namespace switchboard::testing {
namespace {

namespace json = boost::json;

const std::string key = "sk-test-0123456789abcdef0123456789abcdef";

struct Raw {
    FakeOpenAI fake{key};
    HttpHarness harness;

    // One attempt, any status returned as is.
    HttpResponse send(std::string method, std::string path, std::string body = {},
                      std::vector<HttpHeader> headers = {{"Authorization", "Bearer " + key},
                                                         {"Content-Type", "application/json"}}) {
        HttpRequest request;
        request.method = std::move(method);
        request.url = fake.base_url() + path;
        request.headers = std::move(headers);
        request.body = std::move(body);
        request.retry = false;
        request.classify = [](const HttpResponse&) { return std::optional<Error>(); };
        auto result = harness.run(harness.client().send(harness.context(), std::move(request)));
        REQUIRE(result.ok());
        return std::move(result).value();
    }

    // The error envelope of a refused embeddings request.
    json::object refusal(int status, const std::string& body) {
        auto response = send("POST", "/embeddings", body);
        CHECK(response.status == status);
        auto parsed = json::parse(response.body).as_object();
        auto error = parsed.at("error").as_object();
        CHECK(error.size() == 4);  // message, type, param, code: all present
        return error;
    }
};

double norm(const std::vector<float>& values) {
    double squares = 0;
    for (float v : values) squares += double(v) * v;
    return std::sqrt(squares);
}

TEST_CASE("the fake answers embeddings in the reference shape with its headers", "[openai]") {
    Raw raw;
    auto response = raw.send("POST", "/embeddings", R"({"model":"text-embedding-3-small","input":"hello world"})");
    CHECK(response.status == 200);
    CHECK(response.header("Content-Type") == "application/json");
    CHECK(response.header("x-request-id") == "req_1");
    CHECK(response.header("openai-processing-ms") == "1");
    CHECK(response.header("x-ratelimit-limit-requests") == "5000");
    CHECK(response.header("x-ratelimit-remaining-requests") == "4999");
    CHECK(response.header("x-ratelimit-remaining-tokens") == "4999997");
    CHECK(response.header("x-ratelimit-reset-requests") == "12ms");

    auto body = json::parse(response.body).as_object();
    CHECK(body.at("object") == "list");
    CHECK(body.at("model") == "text-embedding-3-small");
    CHECK(body.at("usage") == json::parse(R"({"prompt_tokens":3,"total_tokens":3})"));
    auto& data = body.at("data").as_array();
    REQUIRE(data.size() == 1);
    CHECK(data[0].at("object") == "embedding");
    CHECK(data[0].at("index") == 0);
    auto& numbers = data[0].at("embedding").as_array();  // float is the default format
    CHECK(numbers.size() == 1536);
    auto expected = FakeOpenAI::embedding("text-embedding-3-small", "hello world");
    CHECK(std::abs(norm(expected) - 1.0) < 1e-6);
    CHECK(static_cast<float>(numbers[0].as_double()) == expected[0]);
}

TEST_CASE("the fake truncates and renormalises to the requested dimensions", "[openai]") {
    auto full = FakeOpenAI::embedding("text-embedding-3-large", "hello");
    auto cut = FakeOpenAI::embedding("text-embedding-3-large", "hello", 4);
    CHECK(full.size() == 3072);
    REQUIRE(cut.size() == 4);
    CHECK(std::abs(norm(cut) - 1.0) < 1e-6);
    CHECK(cut[1] / cut[0] == Approx(full[1] / full[0]));
}

TEST_CASE("the fake sends base64 as packed little-endian float32", "[openai]") {
    CHECK(FakeOpenAI::base64_floats({1.0f, -2.0f, 0.5f}) == "AACAPwAAAMAAAAA/");
    Raw raw;
    auto response = raw.send("POST", "/embeddings",
                             R"({"model":"text-embedding-3-small","input":["a"],"encoding_format":"base64","dimensions":3})");
    REQUIRE(response.status == 200);
    auto data = json::parse(response.body).at("data").as_array();
    CHECK(data[0].at("embedding") ==
          json::value(FakeOpenAI::base64_floats(FakeOpenAI::embedding("text-embedding-3-small", "a", 3))));
}

TEST_CASE("the fake refuses what the real API refuses, with its envelopes", "[openai]") {
    Raw raw;
    auto unknown = raw.refusal(400, R"({"model":"text-embedding-3-small","input":"a","temperature":1})");
    CHECK(unknown.at("message") == "Unrecognized request argument supplied: temperature");
    CHECK(unknown.at("type") == "invalid_request_error");
    CHECK(unknown.at("param").is_null());
    CHECK(unknown.at("code").is_null());

    CHECK(raw.refusal(400, R"({"input":"a"})").at("message") == "you must provide a model parameter");
    CHECK(raw.refusal(400, R"({"model":"text-embedding-3-small","input":""})").at("message") ==
          "'$.input' is invalid. Please check the API reference: https://platform.openai.com/docs/api-reference.");
    CHECK(raw.refusal(400, R"({"model":"text-embedding-3-small","input":["a",""]})").at("message") ==
          "'$.input' is invalid. Please check the API reference: https://platform.openai.com/docs/api-reference.");
    CHECK(raw.refusal(400, R"({"model":"text-embedding-3-small","input":[]})").at("code") == "empty_array");
    CHECK(raw.refusal(400, R"({"model":"text-embedding-3-small","input":["a",1]})").at("message") ==
          "'$.input' is invalid. Please check the API reference: https://platform.openai.com/docs/api-reference.");

    json::array many;
    for (int i = 0; i < 2049; ++i) many.emplace_back("x");
    auto too_many = raw.refusal(400, json::serialize(json::object{{"model", "text-embedding-3-small"}, {"input", many}}));
    CHECK(too_many.at("code") == "array_above_max_length");

    CHECK(raw.refusal(400, R"({"model":"text-embedding-ada-002","input":"a","dimensions":8})").at("message") ==
          "This model does not support specifying dimensions.");
    CHECK(raw.refusal(400, R"({"model":"text-embedding-3-small","input":"a","dimensions":0})").at("param") ==
          "dimensions");
    CHECK(raw.refusal(400, R"({"model":"text-embedding-3-small","input":"a","encoding_format":"hex"})").at("param") ==
          "encoding_format");
    CHECK(raw.refusal(404, R"({"model":"nope","input":"a"})").at("code") == "model_not_found");
    CHECK(raw.refusal(400, "{not json").at("message").as_string().starts_with("We could not parse the JSON body"));

    std::string long_text(8193 * 4, 'x');
    CHECK(raw.refusal(400, R"({"model":"text-embedding-3-small","input":")" + long_text + "\"}")
              .at("message")
              .as_string()
              .starts_with("This model's maximum context length is 8192 tokens, however you requested 8193 tokens"));
}

TEST_CASE("counting a token a byte, the fake refuses a request over 300,000 tokens", "[openai]") {
    Raw raw;
    auto body = [](std::size_t extra_bytes) {
        json::array input;
        for (int i = 0; i < 40; ++i) input.emplace_back(std::string(7500, 'a'));  // 300,000 bytes
        if (extra_bytes > 0) input.emplace_back(std::string(extra_bytes, 'b'));
        return json::serialize(json::object{{"model", "text-embedding-3-small"}, {"input", input}, {"dimensions", 8}});
    };
    // A token per 4 bytes: 75,001 tokens, well within the limit.
    CHECK(raw.send("POST", "/embeddings", body(1)).status == 200);

    raw.fake.set_token_counting(FakeOpenAI::TokenCounting::bytes);
    auto exactly = raw.send("POST", "/embeddings", body(0));
    CHECK(exactly.status == 200);
    CHECK(json::parse(exactly.body).at("usage").at("prompt_tokens") == 300'000);
    auto over = raw.refusal(400, body(1));
    CHECK(over.at("message") == "Requested 300001 tokens, max 300000 tokens per request");
    CHECK(over.at("code") == "max_tokens_per_request");
}

TEST_CASE("the fake wants the key as a bearer token", "[openai]") {
    Raw raw;
    auto missing = raw.send("POST", "/embeddings", R"({"model":"text-embedding-3-small","input":"a"})",
                            {{"Content-Type", "application/json"}});
    CHECK(missing.status == 401);
    CHECK(json::parse(missing.body).at("error").at("code") == "invalid_api_key");

    auto wrong = raw.send("GET", "/models", "", {{"Authorization", "Bearer sk-other-0000000000000000000000000000"}});
    CHECK(wrong.status == 401);
    CHECK(json::parse(wrong.body).at("error").at("message") ==
          "Incorrect API key provided: sk-other*************************0000. You can find your API key at "
          "https://platform.openai.com/account/api-keys.");
}

TEST_CASE("the fake lists models and answers unknown routes with a 404 envelope", "[openai]") {
    Raw raw;
    auto models = raw.send("GET", "/models", "", {{"Authorization", "Bearer " + key}});
    CHECK(models.status == 200);
    auto body = json::parse(models.body);
    CHECK(body.at("object") == "list");
    CHECK(body.at("data").as_array().size() == 3);
    CHECK(body.at("data").at(0).at("id") == "text-embedding-3-small");

    auto unknown = raw.send("POST", "/completions", "{}");
    CHECK(unknown.status == 404);
    CHECK(json::parse(unknown.body).at("error").at("message") == "Invalid URL (POST /v1/completions)");
}

TEST_CASE("pushed replies answer the next requests in order, then the fake answers normally", "[openai]") {
    Raw raw;
    raw.fake.push(FakeOpenAI::insufficient_quota());
    raw.fake.push(FakeOpenAI::rate_limited(std::chrono::milliseconds(2812)));
    CHECK(raw.fake.pending() == 2);
    const std::string body = R"({"model":"text-embedding-3-small","input":"a"})";

    auto first = raw.send("POST", "/embeddings", body);
    CHECK(first.status == 429);
    CHECK(json::parse(first.body).at("error").at("code") == "insufficient_quota");
    CHECK(first.header("x-request-id") == "req_1");

    auto second = raw.send("POST", "/embeddings", body);
    CHECK(second.status == 429);
    CHECK(second.header("Retry-After") == "3");
    CHECK(json::parse(second.body).at("error").at("message").as_string().find("Please try again in 2.812s.") !=
          json::string::npos);

    CHECK(raw.send("POST", "/embeddings", body).status == 200);
    CHECK(raw.fake.pending() == 0);
    CHECK(raw.fake.request_count() == 3);
}

}  // namespace
}  // namespace switchboard::testing
