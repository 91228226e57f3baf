#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

#include <boost/json.hpp>
#include <catch2/catch.hpp>

#include "fakes/reference_base64.hpp"
#include "wire/mime.hpp"
#include "wire/openai_json.hpp"

using namespace switchboard;

TEST_CASE("embeddings are written in the OpenAI list shape with shortest round-trip floats", "[wire]") {
    EmbeddingsResponse response;
    response.vectors = {{0.6f, -0.8f, 0.0f}, {1e-7f, 1.0f, 0.125f}};
    response.model = "text-embedding-3-small";
    response.usage.prompt_tokens = 5;
    response.usage.total_tokens = 5;

    CHECK(wire::to_openai_json(response) ==
          R"({"object":"list","data":[{"object":"embedding","index":0,"embedding":[0.6,-0.8,0]},)"
          R"({"object":"embedding","index":1,"embedding":[1e-07,1,0.125]}],)"
          R"("model":"text-embedding-3-small","usage":{"prompt_tokens":5,"total_tokens":5}})");
}

TEST_CASE("every float survives the round trip through the JSON text", "[wire]") {
    EmbeddingsResponse response;
    response.vectors = {{0.1f, 0.333333343f, -0.0123456789f, 3.4e38f, 1.17549435e-38f}};
    response.model = "m \"quoted\"";
    auto json = boost::json::parse(wire::to_openai_json(response)).as_object();
    CHECK(json.at("model") == "m \"quoted\"");
    const auto& values = json.at("data").as_array()[0].at("embedding").as_array();
    REQUIRE(values.size() == response.vectors[0].size());
    for (std::size_t i = 0; i < values.size(); ++i) {
        CHECK(static_cast<float>(values[i].to_number<double>()) == response.vectors[0][i]);
    }
}

namespace {

// Base64 six bits at a time, the slow obvious way, of the floats' little-endian bytes.
std::string reference_base64(const std::vector<float>& values) {
    return switchboard::testing::reference_base64(switchboard::testing::little_endian_bytes(values));
}

}  // namespace

TEST_CASE("base64 embeddings are the exact little-endian float32 bytes, padded, in the OpenAI list shape", "[wire]") {
    EmbeddingsResponse response;
    response.vectors = {{0.5f, -1.25f, 3.0f}, {1.0f}};
    response.model = "m \"quoted\"";
    response.usage.prompt_tokens = 3;
    response.usage.total_tokens = 4;

    CHECK(wire::to_openai_json_base64(response) ==
          R"({"object":"list","data":[{"object":"embedding","index":0,"embedding":"AAAAPwAAoL8AAEBA"},)"
          R"({"object":"embedding","index":1,"embedding":"AACAPw=="}],)"
          R"("model":"m \"quoted\"","usage":{"prompt_tokens":3,"total_tokens":4}})");
}

TEST_CASE("base64 embeddings of every length modulo 3 bytes match a six-bits-at-a-time encoder", "[wire]") {
    // n floats are 4n bytes: n = 0, 1, 2 (mod 3) end in no padding, "==" and "=" respectively.
    std::vector<float> all = {0.1f, -0.333333343f, 3.4e38f, -1.17549435e-38f, 1e-45f, -0.0f, 12345.678f};
    for (std::size_t n = 0; n <= all.size(); ++n) {
        EmbeddingsResponse response;
        response.vectors = {std::vector<float>(all.begin(), all.begin() + static_cast<std::ptrdiff_t>(n)), {2.0f}};
        auto json = boost::json::parse(wire::to_openai_json_base64(response));
        const auto& data = json.at("data").as_array();
        INFO("floats: " << n);
        REQUIRE(data.size() == 2);
        CHECK(data[0].at("embedding").as_string() == reference_base64(response.vectors[0]));
        CHECK(data[1].at("embedding").as_string() == "AAAAQA==");
        CHECK(data[1].at("index") == 1);
    }
}

TEST_CASE("MIME types come from the extension, case-insensitively", "[wire]") {
    CHECK(wire::mime_type_for("report.PDF") == "application/pdf");
    CHECK(wire::mime_type_for("/a/b/notes.md") == "text/markdown");
    CHECK(wire::mime_type_for("page.htm") == "text/html");
    CHECK(wire::mime_type_for("letter.docx") ==
          "application/vnd.openxmlformats-officedocument.wordprocessingml.document");
    CHECK(wire::mime_type_for("archive.tar.zst") == "application/octet-stream");
    CHECK(wire::mime_type_for("README") == "application/octet-stream");
}
