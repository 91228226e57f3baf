#include <cmath>
#include <cstdlib>
#include <string>

#include <catch2/catch.hpp>

#include "fakes/http_harness.hpp"
#include "openai/openai_harness.hpp"

// Against the real OpenAI API, only when asked for ("[real]") and OPENAI_API_KEY is set;
// OPENAI_BASE_URL points it elsewhere. Costs a few tokens.
namespace switchboard::openai {
namespace {

using namespace testing;

TEST_CASE("the real OpenAI API embeds, probes and reports its rate limits", "[.real][openai]") {
    const char* key = std::getenv("OPENAI_API_KEY");
    if (!key || !*key) {
        WARN("OPENAI_API_KEY is not set: skipping the real OpenAI test");
        return;
    }
    const std::string secret = key;
    // The harness joins its loop thread when destroyed, so a failed REQUIRE cannot leave a joinable
    // thread behind; declared after the plugin, it also stops that loop (and any call still in
    // flight after a REQUIRE gave up waiting) before the plugin goes.
    OpenAIEmbeddings plugin;
    HttpHarness harness;
    BackendConfig config;
    config.backend = "openai-real";
    if (const char* base_url = std::getenv("OPENAI_BASE_URL"); base_url && *base_url) {
        config.settings.set("base_url", std::string(base_url));
    }
    config.api_key = Secret(secret);
    REQUIRE(plugin.start(harness.services(), config).ok());

    auto request = texts({"The quick brown fox", "jumps over the lazy dog"});
    request.dimensions = 256;
    auto result = harness.run(plugin.embed(harness.context("real-1"), request), std::chrono::seconds(60));
    INFO((result.ok() ? std::string() : describe(result.error())));
    REQUIRE(result.ok());
    REQUIRE(result->vectors.size() == 2);
    for (const auto& vector : result->vectors) {
        REQUIRE(vector.size() == 256);
        double squares = 0;
        for (float v : vector) squares += double(v) * v;
        CHECK(std::sqrt(squares) == Approx(1.0).epsilon(1e-3));
    }
    CHECK(result->model.starts_with("text-embedding-3-small"));
    CHECK(result->usage.prompt_tokens > 0);

    auto probe = harness.run(plugin.health(harness.context("real-2")), std::chrono::seconds(60));
    INFO((probe.ok() ? std::string() : describe(probe.error())));
    CHECK(probe.ok());
    auto details = plugin.status_details();
    REQUIRE_FALSE(details.empty());
    CHECK(details.front().first == "upstream request id");
    CHECK_FALSE(harness.logger.contains(secret));
}

}  // namespace
}  // namespace switchboard::openai
