#pragma once

#include <initializer_list>
#include <string>
#include <string_view>
#include <tuple>
#include <utility>

#include <boost/json.hpp>
#include <catch2/catch.hpp>

#include "fakes/fake_openai.hpp"
#include "fakes/http_harness.hpp"
#include "openai_embeddings/openai_embeddings.hpp"

namespace switchboard::openai::testing {

using switchboard::testing::FakeOpenAI;
using switchboard::testing::HttpHarness;
using switchboard::testing::RecordedRequest;
using switchboard::testing::Reply;

// Obviously fake; asserted never to appear in a log line or an error message.
inline const std::string test_key = "sk-test-0123456789abcdef0123456789abcdef";

// The first 8-byte piece of the test key found in `text`, or "" when none is: a key cut in two
// and only partly redacted still shows such a piece.
inline std::string key_piece_in(std::string_view text) {
    for (std::size_t at = 0; at + 8 <= test_key.size(); ++at) {
        std::string piece = test_key.substr(at, 8);
        if (text.find(piece) != std::string_view::npos) return piece;
    }
    return {};
}

inline EmbeddingsRequest texts(std::vector<std::string> inputs) {
    EmbeddingsRequest request;
    request.inputs = std::move(inputs);
    return request;
}

inline boost::json::value body_of(const RecordedRequest& request) { return boost::json::parse(request.body); }

// The FakeOpenAI, the real host HTTP stack (HttpHarness) and a started openai-embeddings plugin
// pointed at the fake as backend "openai". Members are destroyed plugin first, fake last.
class OpenAITest {
public:
    using SettingList = std::initializer_list<std::pair<std::string, SettingValue>>;

    explicit OpenAITest(SettingList settings = {}, std::string plugin_key = test_key,
                        config::HttpSettings http = {})
        : harness(http) {
        BackendConfig config;
        config.backend = "openai";
        config.settings = Settings("switchboard.toml [backends.openai.settings]");
        config.settings.set("base_url", fake.base_url());
        for (const auto& [key, value] : settings) config.settings.set(key, value);
        config.api_key = Secret(std::move(plugin_key));
        auto started = plugin.start(harness.services(), config);
        INFO((started.ok() ? std::string() : started.error().message));
        REQUIRE(started.ok());
    }

    FakeOpenAI fake{test_key};
    HttpHarness harness;
    OpenAIEmbeddings plugin;

    Result<EmbeddingsResponse> embed(EmbeddingsRequest request, std::string request_id = "req-1") {
        auto result = harness.run(plugin.embed(harness.context(std::move(request_id)), std::move(request)));
        if (!result.ok()) CHECK(result.error().message.find(test_key) == std::string::npos);
        CHECK_FALSE(harness.logger.contains(test_key));
        return result;
    }

    Status health(std::string request_id = "probe-1") {
        auto result = harness.run(plugin.health(harness.context(std::move(request_id))));
        if (!result.ok()) CHECK(result.error().message.find(test_key) == std::string::npos);
        CHECK_FALSE(harness.logger.contains(test_key));
        return result;
    }

    // The error of a call expected to fail.
    Error embed_error(EmbeddingsRequest request) {
        auto result = embed(std::move(request));
        REQUIRE_FALSE(result.ok());
        return result.error();
    }
};

}  // namespace switchboard::openai::testing
