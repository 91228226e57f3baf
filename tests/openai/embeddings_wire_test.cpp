#include <optional>
#include <string>
#include <vector>

#include <boost/json.hpp>
#include <catch2/catch.hpp>

#include "openai_embeddings/embeddings_wire.hpp"

namespace switchboard::openai {
namespace {

namespace json = boost::json;

EmbeddingsRequest texts(std::vector<std::string> inputs) {
    EmbeddingsRequest request;
    request.inputs = std::move(inputs);
    return request;
}

// A 200 body with `data` as given.
std::string answer(std::string data, std::string usage = R"({"prompt_tokens":7,"total_tokens":7})") {
    return R"({"object":"list","data":)" + data + R"(,"model":"text-embedding-3-small","usage":)" + usage + "}";
}

const Secret no_key;

std::string parse_problem(const std::string& body, std::size_t inputs, std::optional<std::int32_t> dimensions = {},
                          const Secret& key = no_key) {
    auto parsed = parse_embeddings(body, inputs, dimensions, key);
    REQUIRE_FALSE(parsed.ok());
    CHECK(parsed.error().kind == ErrorKind::upstream_error);
    return parsed.error().message;
}

TEST_CASE("the request body holds model, input and encoding_format and nothing unset", "[openai]") {
    auto request = texts({"first", "second", "third"});
    auto body = json::parse(embeddings_body(request, Batch{1, 3, 0}, "text-embedding-3-small", EncodingFormat::base64));
    CHECK(body == json::parse(R"({"model":"text-embedding-3-small","input":["second","third"],"encoding_format":"base64"})"));
}

TEST_CASE("the request body carries dimensions, user and float encoding when set", "[openai]") {
    auto request = texts({"only"});
    request.dimensions = 256;
    request.user = "user-42";
    auto body = json::parse(embeddings_body(request, Batch{0, 1, 0}, "text-embedding-3-large", EncodingFormat::floats));
    CHECK(body == json::parse(R"({"model":"text-embedding-3-large","input":["only"],"encoding_format":"float",
                                  "dimensions":256,"user":"user-42"})"));
}

TEST_CASE("token inputs are sent as arrays of token arrays", "[openai]") {
    EmbeddingsRequest request;
    request.token_inputs = {{1, 2, 3}, {100255}, {42}};
    auto body = json::parse(embeddings_body(request, Batch{0, 2, 0}, "text-embedding-3-small", EncodingFormat::base64));
    CHECK(body.at("input") == json::parse("[[1,2,3],[100255]]"));
}

TEST_CASE("texts are JSON-escaped in the body", "[openai]") {
    auto request = texts({"quote \" backslash \\ newline \n tab \t é"});
    auto body = json::parse(embeddings_body(request, Batch{0, 1, 0}, "m", EncodingFormat::base64));
    CHECK(body.at("input").at(0).as_string() == "quote \" backslash \\ newline \n tab \t é");
}

TEST_CASE("a base64 answer decodes to vectors with model and usage", "[openai]") {
    auto parsed = parse_embeddings(answer(R"([{"object":"embedding","index":0,"embedding":"AACAPwAAAMAAAAA/"},
                                              {"object":"embedding","index":1,"embedding":"AACAPgAAYEAAAIA/"}])"),
                                   2, std::nullopt, no_key);
    REQUIRE(parsed.ok());
    CHECK(parsed->vectors == std::vector<std::vector<float>>{{1.0f, -2.0f, 0.5f}, {0.25f, 3.5f, 1.0f}});
    CHECK(parsed->model == "text-embedding-3-small");
    CHECK(parsed->usage.prompt_tokens == 7);
    CHECK(parsed->usage.total_tokens == 7);
}

TEST_CASE("a float answer decodes to the same values", "[openai]") {
    auto parsed = parse_embeddings(answer(R"([{"object":"embedding","index":0,"embedding":[1.0,-2,0.5]}])"), 1, 3, no_key);
    REQUIRE(parsed.ok());
    CHECK(parsed->vectors == std::vector<std::vector<float>>{{1.0f, -2.0f, 0.5f}});
}

TEST_CASE("entries are placed by their index, not by their position in data", "[openai]") {
    auto parsed = parse_embeddings(answer(R"([{"object":"embedding","index":2,"embedding":[3.0]},
                                              {"object":"embedding","index":0,"embedding":[1.0]},
                                              {"object":"embedding","index":1,"embedding":[2.0]}])"),
                                   3, std::nullopt, no_key);
    REQUIRE(parsed.ok());
    CHECK(parsed->vectors == std::vector<std::vector<float>>{{1.0f}, {2.0f}, {3.0f}});
}

TEST_CASE("answers of the wrong shape are upstream errors saying what is wrong", "[openai]") {
    CHECK(parse_problem("{\"object\":\"list\",", 1).starts_with("is not valid JSON ("));
    CHECK(parse_problem("[1,2]", 1) == "is not a JSON object: [1,2]");
    // The key is redacted before the body is cut to 120 bytes: no piece of it is quoted.
    const std::string key = "sk-test-0123456789abcdef0123456789abcdef";
    CHECK(parse_problem("[" + std::string(107, '1') + "," + key + "]", 1, {}, Secret(key)) ==
          "is not valid JSON (syntax error): [" + std::string(107, '1') + ",sk-****]");
    CHECK(parse_problem("[\"" + std::string(106, 'q') + key + " and more\"]", 1, {}, Secret(key)) ==
          "is not a JSON object: [\"" + std::string(106, 'q') + "sk-**** and …");
    CHECK(parse_problem(R"({"object":"embedding","data":[]})", 1) == "has \"object\": \"embedding\", expected \"list\"");
    CHECK(parse_problem(R"({"object":"list","model":"m"})", 1) == "has no \"data\" array");
    CHECK(parse_problem(answer(R"([{"index":0,"embedding":[1.0]}])"), 2) == "has 1 entries in \"data\" for 2 inputs");
    CHECK(parse_problem(answer(R"([7])"), 1) == "data[0] is not an object");
    CHECK(parse_problem(answer(R"([{"embedding":[1.0]}])"), 1) == "data[0] has no integer \"index\"");
    CHECK(parse_problem(answer(R"([{"index":"0","embedding":[1.0]}])"), 1) == "data[0] has no integer \"index\"");
    CHECK(parse_problem(answer(R"([{"index":0,"embedding":[1.0]},{"index":2,"embedding":[1.0]}])"), 2) ==
          "data[1].index 2 is out of range 0..1");
    CHECK(parse_problem(answer(R"([{"index":-1,"embedding":[1.0]}])"), 1) == "data[0].index -1 is out of range 0..0");
    CHECK(parse_problem(answer(R"([{"index":0,"embedding":[1.0]},{"index":0,"embedding":[2.0]}])"), 2) ==
          "data[1].index 0 appears more than once");
    CHECK(parse_problem(answer(R"([{"index":0}])"), 1) == "data[0] has no \"embedding\"");
    CHECK(parse_problem(answer(R"([{"index":0,"embedding":[]}])"), 1) == "data[0].embedding is empty");
    CHECK(parse_problem(answer(R"([{"index":0,"embedding":""}])"), 1) == "data[0].embedding is empty");
    CHECK(parse_problem(answer(R"([{"index":0,"embedding":[1.0,"x"]}])"), 1) == "data[0].embedding[1] is not a number");
    CHECK(parse_problem(answer(R"([{"index":0,"embedding":{"a":1}}])"), 1) ==
          "data[0].embedding is neither a base64 string nor an array of numbers");
    CHECK(parse_problem(answer(R"([{"index":0,"embedding":"AAC*Pw=="}])"), 1) ==
          "data[0].embedding has '*' at offset 3, which is not in the base64 alphabet");
    CHECK(parse_problem(answer(R"([{"index":0,"embedding":"AACAPwE="}])"), 1) ==
          "data[0].embedding decodes to 5 bytes, not a multiple of 4 (float32)");
    CHECK(parse_problem(answer(R"([{"index":0,"embedding":[1.0,2.0]},{"index":1,"embedding":[1.0]}])"), 2) ==
          "data[1].embedding has 1 values, data[0] has 2");
    CHECK(parse_problem(answer(R"([{"index":0,"embedding":[1.0,2.0]}])"), 1, 3) ==
          "data[0].embedding has 2 values, but 3 dimensions were requested");
}

TEST_CASE("answers without model or usage are upstream errors", "[openai]") {
    std::string data = R"([{"index":0,"embedding":[1.0]}])";
    CHECK(parse_problem(R"({"object":"list","data":)" + data + R"(,"usage":{"prompt_tokens":1,"total_tokens":1}})", 1) ==
          "has no \"model\" string");
    CHECK(parse_problem(R"({"object":"list","data":)" + data + R"(,"model":"m"})", 1) == "has no \"usage\" object");
    CHECK(parse_problem(answer(data, R"({"total_tokens":1})"), 1) ==
          "has no non-negative integer usage.prompt_tokens");
    CHECK(parse_problem(answer(data, R"({"prompt_tokens":1,"total_tokens":-1})"), 1) ==
          "has no non-negative integer usage.total_tokens");
}

}  // namespace
}  // namespace switchboard::openai
