#include <cmath>
#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

#include <catch2/catch.hpp>

#include "mock_common/hashing.hpp"
#include "mock_embeddings/mock_embeddings.hpp"
#include "mocks/mock_harness.hpp"

namespace switchboard::mock {
namespace {

using testing::Host;
using testing::Started;

EmbeddingsRequest texts(std::vector<std::string> inputs, std::optional<std::int32_t> dimensions = std::nullopt,
                        std::string model = "") {
    EmbeddingsRequest request;
    request.inputs = std::move(inputs);
    request.dimensions = dimensions;
    request.model = std::move(model);
    return request;
}

// Embeds through a started plugin with default settings plus `settings`.
Result<EmbeddingsResponse> embed(EmbeddingsRequest request,
                                 std::initializer_list<std::pair<std::string, SettingValue>> settings = {}) {
    Host host;
    MockEmbeddings plugin;
    testing::start_or_fail(plugin, host, settings);
    Started call(plugin.embed(host.context(), std::move(request)));
    REQUIRE(call.done());
    return std::move(call.result());
}

std::vector<float> vector_of(const std::string& text, std::int32_t dimensions = 256, std::string model = "") {
    auto response = embed(texts({text}, dimensions, std::move(model)));
    REQUIRE(response.ok());
    return response->vectors.at(0);
}

double norm(const std::vector<float>& v) {
    double squares = 0;
    for (float x : v) squares += double(x) * x;
    return std::sqrt(squares);
}

double cosine(const std::vector<float>& a, const std::vector<float>& b) {
    double dot = 0;
    for (std::size_t i = 0; i < a.size(); ++i) dot += double(a[i]) * b[i];
    return dot / (norm(a) * norm(b));
}

bool same_bits(const std::vector<float>& a, const std::vector<float>& b) {
    return a.size() == b.size() && std::memcmp(a.data(), b.data(), a.size() * sizeof(float)) == 0;
}

// FNV-1a over the vector's bytes (little-endian IEEE floats): pins the exact output.
std::uint64_t digest(const std::vector<float>& v) {
    std::string bytes;
    for (float x : v) {
        std::uint32_t bits = 0;
        std::memcpy(&bits, &x, sizeof bits);
        for (int shift = 0; shift < 32; shift += 8) bytes += static_cast<char>((bits >> shift) & 0xff);
    }
    return fnv1a64(bytes);
}

TEST_CASE("mock-embeddings describes itself as an embeddings plugin", "[mocks]") {
    MockEmbeddings plugin;
    auto info = plugin.info();
    CHECK(info.name == "mock-embeddings");
    CHECK(info.version == "1.0.0");
    CHECK(info.capabilities == std::vector<std::string>{"embeddings"});
    CHECK(info.api_key_prefix.empty());
}

TEST_CASE("the same text, model and dimensions give the same vector, bit for bit", "[mocks]") {
    auto first = vector_of("The quick brown fox jumps over the lazy dog.", 512);
    auto second = vector_of("The quick brown fox jumps over the lazy dog.", 512);
    CHECK(same_bits(first, second));
    // Pinned values: a change here changes every stored mock vector, on every machine.
    CHECK(digest(vector_of("the cat sat on the mat", 8)) == 0x1bb09088ff0f0ac7ULL);
    CHECK(digest(vector_of("the cat sat on the mat", 1536)) == 0x30132b9bb441b2b6ULL);
    CHECK(digest(vector_of("", 16)) == 0x91f326cf49859fedULL);
}

TEST_CASE("a different model or size gives a different vector", "[mocks]") {
    const std::string text = "switchboard routes requests to plugins";
    auto base = vector_of(text, 256);
    CHECK_FALSE(same_bits(base, vector_of(text, 256, "mock-embedding-2")));
    CHECK(vector_of(text, 128).size() == 128);
    CHECK(std::abs(cosine(base, vector_of(text, 256, "mock-embedding-2"))) < 0.3);
    auto from_setting = embed(texts({text}, 256), {{"model", std::string("mock-embedding-2")}});
    REQUIRE(from_setting.ok());
    CHECK(same_bits(from_setting->vectors.at(0), vector_of(text, 256, "mock-embedding-2")));
    CHECK(from_setting->model == "mock-embedding-2");
}

TEST_CASE("every vector has unit length", "[mocks]") {
    const std::vector<std::string> texts_to_try = {
        "", "a", "!!! ???", "the cat sat on the mat", "naïve café — déjà vu", std::string(10'000, 'x'),
        "tab\tnew\nline"};
    for (std::int32_t dimensions : {1, 2, 3, 64, 1536, 8192}) {
        for (const auto& text : texts_to_try) {
            auto v = vector_of(text, dimensions);
            INFO("dimensions " << dimensions << ", text '" << text.substr(0, 20) << "'");
            CHECK(v.size() == static_cast<std::size_t>(dimensions));
            CHECK(std::abs(norm(v) - 1.0) < 1e-5);
        }
    }
}

TEST_CASE("texts that share words are closer than unrelated texts", "[mocks]") {
    struct Triple {
        std::string anchor, related, unrelated;
        double margin;  // how much closer the related text must be
    };
    std::vector<Triple> triples = {
        {"the cat sat on the mat", "a cat sat on a mat", "quarterly revenue grew", 0.4},
        {"machine learning models need training data", "training data for machine learning",
         "the weather in paris is sunny", 0.4},
        {"How do I reset my password?", "password reset instructions", "best pizza recipes in Naples", 0.3},
        // No word in common, only word forms: character 3-grams carry it.
        {"embedding vectors", "embeddings and vectorization", "banana bread", 0.1},
    };
    for (const auto& t : triples) {
        auto anchor = vector_of(t.anchor, 1536);
        double related = cosine(anchor, vector_of(t.related, 1536));
        double unrelated = cosine(anchor, vector_of(t.unrelated, 1536));
        INFO("'" << t.anchor << "': related " << related << ", unrelated " << unrelated);
        CHECK(std::abs(unrelated) < 0.1);
        CHECK(related > unrelated + t.margin);
    }
    CHECK(cosine(vector_of("the cat sat on the mat"), vector_of("the dog sat on the mat")) >
          cosine(vector_of("the cat sat on the mat"), vector_of("a cat sat on a mat")));
    // Case and punctuation do not change the words.
    CHECK(cosine(vector_of("Hello, World!"), vector_of("hello world")) > 0.999);
}

TEST_CASE("empty and featureless texts get fixed unit vectors", "[mocks]") {
    CHECK(same_bits(vector_of(""), vector_of("")));
    CHECK_FALSE(same_bits(vector_of(""), vector_of("...")));
    CHECK(std::abs(norm(vector_of("")) - 1.0) < 1e-5);
}

TEST_CASE("dimensions come from the request, else from the setting, else 1536", "[mocks]") {
    auto defaulted = embed(texts({"hi"}));
    REQUIRE(defaulted.ok());
    CHECK(defaulted->vectors.at(0).size() == 1536);
    CHECK(defaulted->model == "mock-embedding-1");

    auto from_setting = embed(texts({"hi"}), {{"dimensions", std::int64_t{64}}});
    REQUIRE(from_setting.ok());
    CHECK(from_setting->vectors.at(0).size() == 64);

    auto from_request = embed(texts({"hi"}, 32), {{"dimensions", std::int64_t{64}}});
    REQUIRE(from_request.ok());
    CHECK(from_request->vectors.at(0).size() == 32);
}

TEST_CASE("bad dimensions are refused with a message naming them", "[mocks]") {
    using testing::start_error;
    const std::string in = " in switchboard.toml [backends.mock.settings] ";
    CHECK(start_error<MockEmbeddings>({{"dimensions", std::int64_t{0}}}).message ==
          "setting 'dimensions'" + in + "must be between 1 and 8192, got 0");
    CHECK(start_error<MockEmbeddings>({{"dimensions", std::int64_t{8193}}}).message ==
          "setting 'dimensions'" + in + "must be between 1 and 8192, got 8193");
    CHECK(start_error<MockEmbeddings>({{"dimensions", std::string("big")}}).message ==
          "setting 'dimensions'" + in + "must be an integer");
    CHECK(start_error<MockEmbeddings>({{"model", std::string("")}}).message ==
          "setting 'model'" + in + "must not be empty");

    auto too_big = embed(texts({"hi"}, 9000));
    REQUIRE_FALSE(too_big.ok());
    CHECK(too_big.error().kind == ErrorKind::bad_request);
    CHECK(too_big.error().message ==
          "mock-embeddings: 'dimensions' must be between 1 and 8192, got 9000 (request req-1)");
}

TEST_CASE("unknown settings are refused with the list of known ones", "[mocks]") {
    auto error = testing::start_error<MockEmbeddings>({{"dimension", std::int64_t{8}}, {"sede", std::int64_t{1}}});
    CHECK(error.kind == ErrorKind::bad_request);
    CHECK(error.message ==
          "unknown setting 'dimension', 'sede' in switchboard.toml [backends.mock.settings] (known: model, "
          "dimensions, seed, failure_rate, failure_kind, retry_after_ms, latency_ms, latency_min_ms, "
          "latency_max_ms, timeout_hang_ms)");
}

TEST_CASE("requests without inputs, or with both kinds, are bad requests", "[mocks]") {
    auto none = embed(EmbeddingsRequest{});
    REQUIRE_FALSE(none.ok());
    CHECK(none.error().message ==
          "mock-embeddings: the request has no inputs; send at least one text in 'inputs' (request req-1)");
    auto both = texts({"a"});
    both.token_inputs = {{1, 2}};
    auto mixed = embed(both);
    REQUIRE_FALSE(mixed.ok());
    CHECK(mixed.error().kind == ErrorKind::bad_request);
    CHECK(mixed.error().message ==
          "mock-embeddings: the request sets both 'inputs' and 'token_inputs'; send one of them (request req-1)");
}

TEST_CASE("usage estimates a token per four bytes of each input", "[mocks]") {
    auto response = embed(texts({"hello", "", "abcdefgh", std::string(401, 'z')}));
    REQUIRE(response.ok());
    CHECK(response->vectors.size() == 4);
    CHECK(response->usage.prompt_tokens == 2 + 0 + 2 + 101);
    CHECK(response->usage.total_tokens == response->usage.prompt_tokens);
    CHECK(response->usage.pages == 0);
    CHECK(response->usage.credits == 0.0);
}

TEST_CASE("token inputs embed deterministically and count their length", "[mocks]") {
    EmbeddingsRequest request;
    request.token_inputs = {{9906, 1917}, {1917, 9906}, {}};
    request.dimensions = 128;
    auto first = embed(request);
    auto second = embed(request);
    REQUIRE(first.ok());
    REQUIRE(second.ok());
    REQUIRE(first->vectors.size() == 3);
    for (std::size_t i = 0; i < 3; ++i) {
        CHECK(same_bits(first->vectors[i], second->vectors[i]));
        CHECK(std::abs(norm(first->vectors[i]) - 1.0) < 1e-5);
    }
    CHECK_FALSE(same_bits(first->vectors[0], first->vectors[1]));
    CHECK(cosine(first->vectors[0], first->vectors[1]) > 0.5);  // same tokens, other order
    CHECK(first->usage.prompt_tokens == 4);
}

TEST_CASE("a malformed injection returns one vector fewer, or an empty only vector", "[mocks]") {
    const std::initializer_list<std::pair<std::string, SettingValue>> malformed = {
        {"failure_rate", 1.0}, {"failure_kind", std::string("malformed")}};
    auto several = embed(texts({"a", "b", "c"}, 16), malformed);
    REQUIRE(several.ok());
    REQUIRE(several->vectors.size() == 2);
    CHECK(several->vectors[0].size() == 16);
    CHECK(several->vectors[1].size() == 16);
    // One input and the model's own width: a short vector would pass for another model's.
    auto single = embed(texts({"a"}), malformed);
    REQUIRE(single.ok());
    REQUIRE(single->vectors.size() == 1);
    CHECK(single->vectors[0].empty());
    EmbeddingsRequest tokens;
    tokens.token_inputs = {{1, 2, 3}};
    auto single_tokens = embed(tokens, malformed);
    REQUIRE(single_tokens.ok());
    REQUIRE(single_tokens->vectors.size() == 1);
    CHECK(single_tokens->vectors[0].empty());
}

TEST_CASE("each call logs at debug level with its request id", "[mocks]") {
    Host host;
    MockEmbeddings plugin;
    testing::start_or_fail(plugin, host, {{"dimensions", std::int64_t{8}}});
    Started call(plugin.embed(host.context("req-42"), texts({"a", "b"})));
    REQUIRE(call.done());
    auto lines = host.logger.lines();
    REQUIRE(lines.size() == 2);
    CHECK(lines[0].level == LogLevel::debug);
    CHECK(lines[0].request_id.empty());
    CHECK(lines[0].message ==
          "mock-embeddings started: model 'mock-embedding-1', 8 dimensions, failure_rate 0 (unavailable), "
          "latency 0 ms, seed 0");
    CHECK(lines[1].level == LogLevel::debug);
    CHECK(lines[1].request_id == "req-42");
    CHECK(lines[1].message == "embed call 0: inputs 2, model 'mock-embedding-1', dimensions 8, latency 0 ms");
}

TEST_CASE("a call before start() is an internal error, not a crash", "[mocks]") {
    Host host;
    MockEmbeddings plugin;
    Started call(plugin.embed(host.context(), texts({"a"})));
    REQUIRE(call.done());
    CHECK(call.result().error().kind == ErrorKind::internal);
    CHECK(call.result().error().message == "mock-embeddings was called before start() (request req-1)");
}

}  // namespace
}  // namespace switchboard::mock
