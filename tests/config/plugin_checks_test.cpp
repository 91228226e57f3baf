#include <catch2/catch.hpp>

#include <filesystem>
#include <string>
#include <vector>

#include "config/config.hpp"
#include "config_test_support.hpp"

namespace fs = std::filesystem;
using namespace switchboard::config;
using switchboard::config::testing::describe;
using switchboard::config::testing::listing;
using switchboard::config::testing::TempDir;
using switchboard::config::testing::at;

namespace {

const std::vector<switchboard::PluginInfo> scanned{
    {"mock-embeddings", "1.0.0", {"embeddings"}, "", "", {}},
    {"mock-parse", "1.0.0", {"parse"}, "", "", {}},
    {"openai-embeddings", "1.0.0", {"embeddings"}, "sk-", "", {}},
};

Config load_ok(const fs::path& file, const Environment& env = {}) {
    auto result = load(file, env);
    INFO(listing(result.problems));
    REQUIRE(result.ok());
    return *result.config;
}

}  // namespace

TEST_CASE("a backend naming a plugin that was not found is an error with a did-you-mean", "[config]") {
    TempDir dir;
    auto file = dir.write("switchboard.toml", R"([backends.typo]
plugin = "mock-embedings"

[backends.unknown]
plugin = "azure-embeddings"

[services.embeddings]
capability = "embeddings"
mode = "mock"
real = ["unknown"]
mock = "typo"
)");
    Config config = load_ok(file);

    CHECK(describe(check_against_plugins(config, scanned)) ==
          std::vector<std::string>{
              at(file, 2, 10) + ": error: backends.typo.plugin: no plugin named 'mock-embedings' was found in the "
                                "plugin folders (did you mean 'mock-embeddings'?)",
              at(file, 5, 10) + ": error: backends.unknown.plugin: no plugin named 'azure-embeddings' was found in "
                                "the plugin folders; found: mock-embeddings, mock-parse, openai-embeddings"});
    CHECK(describe(check_against_plugins(config, {})) ==
          std::vector<std::string>{
              at(file, 2, 10) + ": error: backends.typo.plugin: no plugin named 'mock-embedings' was found in the "
                                "plugin folders; no plugins were found at all: check host.plugin_dirs",
              at(file, 5, 10) + ": error: backends.unknown.plugin: no plugin named 'azure-embeddings' was found in "
                                "the plugin folders; no plugins were found at all: check host.plugin_dirs",
              at(file, 8, 14) + ": error: services.embeddings.capability: no plugin offers capability 'embeddings'"});
}

TEST_CASE("a service whose capability a backend's plugin does not offer is an error", "[config]") {
    TempDir dir;
    auto file = dir.write("switchboard.toml", R"([backends.mock-embed]
plugin = "mock-embeddings"

[backends.mock-parse]
plugin = "mock-parse"

[services.parse]
capability = "parse"
mock = "mock-embed"

[services.embeddings]
capability = "embedings"
mock = "mock-embed"

[services.summaries]
capability = "summarize"
mock = "mock-parse"
)");
    Config config = load_ok(file);

    CHECK(describe(check_against_plugins(config, scanned)) ==
          std::vector<std::string>{
              at(file, 8, 14) + ": error: services.parse.capability: backend 'mock-embed' (plugin 'mock-embeddings') "
                                "does not offer capability 'parse'; it offers 'embeddings'",
              at(file, 12, 14) + ": error: services.embeddings.capability: no plugin offers capability 'embedings' "
                                 "(did you mean 'embeddings'?)",
              at(file, 16, 14) + ": error: services.summaries.capability: no plugin offers capability 'summarize'; "
                                 "offered: embeddings, parse"});
}

TEST_CASE("API keys are required where a service can route for real and are checked without being shown",
          "[config]") {
    TempDir dir;
    auto file = dir.write("switchboard.toml", R"([backends.mock-embed]
plugin = "mock-embeddings"

[backends.no-key-real]
plugin = "openai-embeddings"

[backends.no-key-mock-only]
plugin = "openai-embeddings"

[backends.no-key-unused]
plugin = "openai-embeddings"

[backends.wrong-prefix]
plugin = "openai-embeddings"
api_key = "${WRONG_PREFIX}"

[backends.with-space]
plugin = "openai-embeddings"
api_key = "${WITH_SPACE}"

[backends.too-short]
plugin = "openai-embeddings"
api_key = "${TOO_SHORT}"

[backends.good]
plugin = "openai-embeddings"
api_key = "${GOOD}"

[services.live]
capability = "embeddings"
mode = "hybrid"
real = ["no-key-real", "good", "wrong-prefix", "with-space", "too-short"]
mock = "mock-embed"

[services.offline]
capability = "embeddings"
mode = "mock"
real = ["no-key-mock-only"]
mock = "mock-embed"
)");
    const std::vector<std::string> secrets{"pk-live-qwertyuiopas", "sk-zxcvbn mlkjhgfdsa", "sk-abc12",
                                           "sk-goodgoodgood1234"};
    Config config = load_ok(file, Environment{{{"WRONG_PREFIX", secrets[0]},
                                               {"WITH_SPACE", secrets[1]},
                                               {"TOO_SHORT", secrets[2]},
                                               {"GOOD", secrets[3]}}});

    auto problems = describe(check_against_plugins(config, scanned));

    CHECK(problems ==
          std::vector<std::string>{
              at(file, 4, 1) + ": warning: backends.no-key-real: has no API key, so it starts unhealthy (auth) and "
                               "service 'live' falls back to the mock; set api_key to a key starting with 'sk-', "
                               "preferably through a variable: api_key = \"${NAME}\"",
              at(file, 7, 1) + ": warning: backends.no-key-mock-only: has no API key; it cannot serve until one is "
                               "set: set api_key to a key starting with 'sk-', preferably through a variable: "
                               "api_key = \"${NAME}\"",
              at(file, 15, 11) + ": error: backends.wrong-prefix.api_key: API key pk-**** does not start with 'sk-', "
                                 "which plugin 'openai-embeddings' expects; check that the key is for this provider",
              at(file, 19, 11) + ": error: backends.with-space.api_key: API key sk-**** contains whitespace; remove "
                                 "the stray space or line break",
              at(file, 23, 11) + ": error: backends.too-short.api_key: API key sk-**** is too short to be a key "
                                 "(fewer than 11 characters); check that it was copied whole"});
    for (const auto& line : problems) {
        for (const auto& secret : secrets) CHECK(line.find(secret.substr(3)) == std::string::npos);
    }
}

TEST_CASE("a missing API key is an error once any service routes to the backend in real mode", "[config]") {
    TempDir dir;
    auto file = dir.write("switchboard.toml", R"([host]
default_mode = "real"

[backends.mock-embed]
plugin = "mock-embeddings"

[backends.openai]
plugin = "openai-embeddings"
api_key = "${OPENAI_API_KEY:-}"

[services.a]
capability = "embeddings"
mode = "mock"
real = ["openai"]
mock = "mock-embed"

[services.b]
capability = "embeddings"
real = ["openai"]

[services.c]
capability = "embeddings"
real = ["openai"]
)");
    Config config = load_ok(file);

    CHECK(describe(check_against_plugins(config, scanned)) ==
          std::vector<std::string>{
              at(file, 9, 11) + ": error: backends.openai: has no API key, but services 'b' and 'c' route to it in "
                                "real mode; set api_key to a key starting with 'sk-', preferably through a variable: "
                                "api_key = \"${NAME}\""});
}

namespace {

// A plugin that names its key variable and takes base_url from the environment, as the real
// OpenAI plugin does.
const std::vector<switchboard::PluginInfo> env_aware{
    {"mock-embeddings", "1.0.0", {"embeddings"}, "", "", {}},
    {"openai-embeddings", "1.0.0", {"embeddings"}, "sk-", "OPENAI_API_KEY", {{"base_url", "OPENAI_BASE_URL"}}},
};

constexpr const char* kEnvConfig = R"([backends.mock-embed]
plugin = "mock-embeddings"

[backends.openai]
plugin = "openai-embeddings"

[backends.pinned]
plugin = "openai-embeddings"
api_key = "sk-from-the-config-file-0001"
settings = { base_url = "http://10.0.0.1/v1" }

[services.live]
capability = "embeddings"
mode = "MODE"
real = ["openai", "pinned"]
mock = "mock-embed"
)";

std::string with_mode(std::string_view mode) {
    std::string text = kEnvConfig;
    text.replace(text.find("MODE"), 4, mode);
    return text;
}

}  // namespace

TEST_CASE("a plugin's key and base URL come from the environment when the config sets none", "[config]") {
    TempDir dir;
    auto file = dir.write("switchboard.toml", with_mode("real"));
    Environment env{{{"OPENAI_API_KEY", "sk-from-the-environment-0001"}, {"OPENAI_BASE_URL", "http://127.0.0.1:9/v1"}}};
    Config config = load_ok(file, env);

    apply_plugin_environment(config, env_aware, env);

    const auto& openai = config.backends.at("openai");
    CHECK(openai.api_key.reveal() == "sk-from-the-environment-0001");
    CHECK(openai.api_key_where.to_string() == "environment variable OPENAI_API_KEY");
    CHECK(openai.settings.get<std::string>("base_url", "").value() == "http://127.0.0.1:9/v1");
    CHECK(openai.settings.where("base_url") == " at environment variable OPENAI_BASE_URL");
    // What the config sets wins.
    const auto& pinned = config.backends.at("pinned");
    CHECK(pinned.api_key.reveal() == "sk-from-the-config-file-0001");
    CHECK(pinned.settings.get<std::string>("base_url", "").value() == "http://10.0.0.1/v1");
    CHECK(check_against_plugins(config, env_aware).empty());
}

TEST_CASE("the key may come from .env.{environment}, the process environment wins over it", "[config]") {
    TempDir dir;
    auto file = dir.write("switchboard.toml", with_mode("real"));
    dir.write(".env.staging", "OPENAI_API_KEY=sk-from-the-dotenv-file-0001\nOPENAI_BASE_URL=http://dotenv/v1\n");
    Environment env{{{"SWITCHBOARD_ENV", "staging"}, {"OPENAI_BASE_URL", "http://process/v1"}}};
    Config config = load_ok(file, env);

    apply_plugin_environment(config, env_aware, env);

    const auto& openai = config.backends.at("openai");
    CHECK(openai.api_key.reveal() == "sk-from-the-dotenv-file-0001");
    CHECK(openai.api_key_where.to_string() == ".env.staging variable OPENAI_API_KEY");
    CHECK(openai.settings.get<std::string>("base_url", "").value() == "http://process/v1");
}

TEST_CASE("without its key variable a backend is an error in real mode and a warning in hybrid", "[config]") {
    TempDir dir;
    std::string mode = GENERATE("real", "hybrid");
    auto file = dir.write("switchboard.toml", with_mode(mode));
    Config config = load_ok(file);
    apply_plugin_environment(config, env_aware, {});

    auto problems = describe(check_against_plugins(config, env_aware));

    const std::string how = "set OPENAI_API_KEY in the environment or in .env.development, or api_key in [backends.openai]";
    if (mode == "real") {
        CHECK(problems == std::vector<std::string>{at(file, 4, 1) + ": error: backends.openai: has no API key, but "
                                                                    "service 'live' routes to it in real mode; " + how});
    } else {
        CHECK(problems == std::vector<std::string>{at(file, 4, 1) + ": warning: backends.openai: has no API key, so it "
                                                                    "starts unhealthy (auth) and service 'live' falls "
                                                                    "back to the mock; " + how});
    }
}

TEST_CASE("a config that matches its plugins has no plugin problems", "[config]") {
    TempDir dir;
    auto file = dir.write("switchboard.toml", R"([backends.mock-embed]
plugin = "mock-embeddings"

[backends.openai]
plugin = "openai-embeddings"
api_key = "${OPENAI_API_KEY}"

[services.embeddings]
capability = "embeddings"
mode = "hybrid"
real = ["openai"]
mock = "mock-embed"
)");
    Config config = load_ok(file, Environment{{{"OPENAI_API_KEY", "sk-proj-0123456789abcdef"}}});

    CHECK(check_against_plugins(config, scanned).empty());
}
