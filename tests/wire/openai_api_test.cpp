// The OpenAI embeddings API as the host serves it: request checks, both encodings, and the
// error envelope and status for every error kind.
#include <cstring>

#include <boost/json.hpp>
#include <catch2/catch.hpp>

#include "wire/openai_api.hpp"

using namespace switchboard;
using namespace switchboard::wire;

namespace {

OpenAIEmbeddingsCall parse_ok(std::string_view body) {
    ApiError error;
    auto call = parse_openai_embeddings(body, error);
    INFO(error.message);
    REQUIRE(call.ok());
    return std::move(call).value();
}

ApiError parse_error(std::string_view body) {
    ApiError error;
    auto call = parse_openai_embeddings(body, error);
    REQUIRE_FALSE(call.ok());
    CHECK(error.status == 400);
    CHECK(error.type == "invalid_request_error");
    return error;
}

std::vector<float> floats_from_base64(std::string_view text) {
    static const std::string alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    std::string bytes;
    std::uint32_t buffer = 0;
    int bits = 0;
    for (char c : text) {
        if (c == '=') break;
        buffer = (buffer << 6) | static_cast<std::uint32_t>(alphabet.find(c));
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            bytes += static_cast<char>((buffer >> bits) & 0xff);
        }
    }
    std::vector<float> out(bytes.size() / 4);
    std::memcpy(out.data(), bytes.data(), out.size() * 4);  // this machine is little-endian, as the format
    return out;
}

}  // namespace

TEST_CASE("every input shape the OpenAI API takes becomes the SDK request", "[wire][openai]") {
    auto one = parse_ok(R"({"model":"text-embedding-3-small","input":"hello"})");
    CHECK(one.request.model == "text-embedding-3-small");
    CHECK(one.request.inputs == std::vector<std::string>{"hello"});
    CHECK_FALSE(one.base64);

    auto many = parse_ok(
        R"({"model":"m","input":["a","b"],"encoding_format":"base64","dimensions":256,"user":"u-1"})");
    CHECK(many.request.inputs == std::vector<std::string>{"a", "b"});
    CHECK(many.base64);
    CHECK(many.request.dimensions == 256);
    CHECK(many.request.user == "u-1");

    auto tokens = parse_ok(R"({"model":"m","input":[1,2,3]})");
    REQUIRE(tokens.request.token_inputs.size() == 1);
    CHECK(tokens.request.token_inputs[0] == std::vector<std::int32_t>{1, 2, 3});

    auto nested = parse_ok(R"({"model":"m","input":[[1,2],[3]],"encoding_format":"float"})");
    CHECK(nested.request.token_inputs.size() == 2);
    CHECK(nested.request.inputs.empty());
}

TEST_CASE("a bad embeddings request is a 400 naming the field and what is wrong", "[wire][openai]") {
    CHECK(parse_error("{not json").message.find("the request body is not valid JSON") == 0);
    CHECK(parse_error("[1,2]").message == "the request body must be a JSON object, got an array");
    auto unknown = parse_error(R"({"model":"m","input":"x","temperature":1})");
    CHECK(unknown.message == "Unrecognized request argument supplied: temperature");
    CHECK(unknown.param == "temperature");
    CHECK(parse_error(R"({"input":"x"})").message == "you must provide a model parameter");
    CHECK(parse_error(R"({"model":"","input":"x"})").param == "model");
    CHECK(parse_error(R"({"model":"m"})").message == "you must provide an input parameter");
    CHECK(parse_error(R"({"model":"m","input":""})").message == "'input' must not be an empty string");
    CHECK(parse_error(R"({"model":"m","input":[]})").message == "'input' must not be an empty array");
    CHECK(parse_error(R"({"model":"m","input":["a",""]})").message == "'input[1]' must not be an empty string");
    CHECK(parse_error(R"({"model":"m","input":["a",3]})").message ==
          "'input[1]' is an integer; an array of strings must hold only strings");
    CHECK(parse_error(R"({"model":"m","input":[1,-2]})").message ==
          "'input[1]' is not a token id (a non-negative integer)");
    CHECK(parse_error(R"({"model":"m","input":{"a":1}})").param == "input");
    CHECK(parse_error(R"({"model":"m","input":"x","encoding_format":"hex"})").param == "encoding_format");
    CHECK(parse_error(R"({"model":"m","input":"x","dimensions":0})").param == "dimensions");
    CHECK(parse_error(R"({"model":"m","input":"x","user":5})").param == "user");

    std::string too_many = R"({"model":"m","input":[)";
    for (int i = 0; i < 2049; ++i) too_many += std::string(i ? "," : "") + "\"x\"";
    too_many += "]}";
    CHECK(parse_error(too_many).message == "'input' has 2049 items; at most 2048 are allowed per request");
}

TEST_CASE("embeddings go out as JSON floats or as base64 of little-endian float32", "[wire][openai]") {
    EmbeddingsResponse response;
    response.vectors = {{0.5f, -1.25f, 3.0f}, {1e-7f, 0.0f, -0.0f}};
    response.model = "text-embedding-3-small";
    response.usage.prompt_tokens = 7;
    response.usage.total_tokens = 7;

    auto floats = boost::json::parse(to_openai_json(response, false));
    CHECK(floats.at("data").as_array()[0].at("embedding").as_array()[1].as_double() == -1.25);

    auto encoded = boost::json::parse(to_openai_json(response, true));
    CHECK(encoded.at("object") == "list");
    CHECK(encoded.at("model") == "text-embedding-3-small");
    CHECK(encoded.at("usage").at("prompt_tokens") == 7);
    const auto& data = encoded.at("data").as_array();
    REQUIRE(data.size() == 2);
    CHECK(data[1].at("index") == 1);
    CHECK(floats_from_base64(data[0].at("embedding").as_string()) == response.vectors[0]);
    CHECK(floats_from_base64(data[1].at("embedding").as_string()) == response.vectors[1]);
    CHECK(data[0].at("embedding").as_string() == "AAAAPwAAoL8AAEBA");  // 0.5, -1.25, 3.0

    // 4 and 8 bytes end in padding: one and two '='.
    response.vectors = {{0.5f}, {0.5f, -1.25f}};
    auto padded = boost::json::parse(to_openai_json(response, true)).at("data").as_array();
    CHECK(padded[0].at("embedding").as_string() == "AAAAPw==");
    CHECK(padded[1].at("embedding").as_string() == "AAAAPwAAoL8=");
    CHECK(floats_from_base64(padded[1].at("embedding").as_string()) == response.vectors[1]);
}

TEST_CASE("each error kind has the OpenAI status and envelope a client expects", "[wire][openai]") {
    struct Case {
        ErrorKind kind;
        int status;
        const char* type;
    };
    for (auto [kind, status, type] : {Case{ErrorKind::bad_request, 400, "invalid_request_error"},
                                      Case{ErrorKind::rate_limited, 429, "requests"},
                                      Case{ErrorKind::quota, 429, "insufficient_quota"},
                                      Case{ErrorKind::budget_exceeded, 429, "budget_exceeded"},
                                      Case{ErrorKind::auth, 502, "upstream_error"},
                                      Case{ErrorKind::upstream_error, 502, "upstream_error"},
                                      Case{ErrorKind::unavailable, 503, "server_error"},
                                      Case{ErrorKind::timeout, 504, "server_error"},
                                      Case{ErrorKind::internal, 500, "server_error"}}) {
        auto api = api_error_for(Error::make(kind, "what happened"));
        INFO(to_string(kind));
        CHECK(api.status == status);
        CHECK(api.type == type);
        auto body = boost::json::parse(api.body()).as_object();
        const auto& error = body.at("error").as_object();
        CHECK(error.at("message") == "what happened");
        CHECK(error.at("type") == type);
        CHECK(error.contains("param"));
        CHECK(error.contains("code"));
    }
}
