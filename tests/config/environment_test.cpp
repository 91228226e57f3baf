#include <catch2/catch.hpp>

#include <filesystem>
#include <string>
#include <vector>

#include "config/config.hpp"
#include "config_test_support.hpp"

namespace fs = std::filesystem;
using namespace std::chrono_literals;
using switchboard::SettingValue;
using namespace switchboard::config;
using switchboard::config::testing::describe;
using switchboard::config::testing::listing;
using switchboard::config::testing::TempDir;
using switchboard::config::testing::at;

namespace {

const char* const keyed_backend = R"([backends.openai]
plugin = "openai-embeddings"
api_key = "${OPENAI_API_KEY}"

[services.embeddings]
capability = "embeddings"
mode = "real"
real = ["openai"]
)";

std::string api_key_of(const LoadResult& result) {
    REQUIRE(result.config);
    return result.config->backends.at("openai").api_key.reveal();
}

}  // namespace

TEST_CASE("${VAR:-default} takes the default when VAR is unset or empty, and $$ is a literal $", "[config]") {
    TempDir dir;
    auto file = dir.write("switchboard.toml", R"([backends.b]
plugin = "p"

[backends.b.settings]
url = "${BASE_URL:-http://localhost:8080}"
price = "$$5 per $ and $"
region = "${REGION:-us}"
zone = "${ZONE:-}"
path = "${ROOT}/data"

[services.s]
capability = "embeddings"
mock = "b"
)");

    auto result = load(file, Environment{{{"REGION", "eu"}, {"ZONE", ""}, {"ROOT", "/srv"}}});

    INFO(listing(result.problems));
    REQUIRE(result.ok());
    const auto& values = result.config->backends.at("b").settings.values();
    CHECK(values.at("url") == SettingValue(std::string("http://localhost:8080")));
    CHECK(values.at("price") == SettingValue(std::string("$5 per $ and $")));
    CHECK(values.at("region") == SettingValue(std::string("eu")));
    CHECK(values.at("zone") == SettingValue(std::string("")));
    CHECK(values.at("path") == SettingValue(std::string("/srv/data")));
}

TEST_CASE("a missing variable names the variable, the key that needs it and the .env file to use", "[config]") {
    TempDir dir;
    auto file = dir.write("switchboard.toml", std::string(keyed_backend) + R"(
[backends.openai.settings]
url = "${BASE_URL"
)");

    auto result = load(file, Environment{{{"SWITCHBOARD_ENV", "production"}}});

    CHECK_FALSE(result.ok());
    CHECK(describe(result.problems) ==
          std::vector<std::string>{
              at(file, 3, 11) + ": error: backends.openai.api_key: environment variable OPENAI_API_KEY is not set "
                                "(needed by backends.openai.api_key); set it or add it to .env.production",
              at(file, 11, 7) + ": error: backends.openai.settings.url: unterminated '${' at character 1; close it "
                                "with '}' or write '$$' for a literal '$'"});
}

TEST_CASE("SWITCHBOARD_ENV selects the .env file beside the config, development by default", "[config]") {
    TempDir dir;
    auto file = dir.write("switchboard.toml", keyed_backend);
    dir.write(".env.development", "OPENAI_API_KEY=sk-development-key-0001\n");
    dir.write(".env.production", "OPENAI_API_KEY=sk-production-key-0002\n");

    SECTION("no SWITCHBOARD_ENV reads .env.development") {
        auto result = load(file, {});
        INFO(listing(result.problems));
        CHECK(result.ok());
        CHECK(result.config->environment == "development");
        CHECK(api_key_of(result) == "sk-development-key-0001");
    }
    SECTION("SWITCHBOARD_ENV=production reads .env.production") {
        auto result = load(file, Environment{{{"SWITCHBOARD_ENV", "production"}}});
        INFO(listing(result.problems));
        CHECK(result.ok());
        CHECK(result.config->environment == "production");
        CHECK(api_key_of(result) == "sk-production-key-0002");
    }
    SECTION("an environment without a .env file is fine when the variables are set") {
        auto result = load(file, Environment{{{"SWITCHBOARD_ENV", "ci"}, {"OPENAI_API_KEY", "sk-ci-key-000000003"}}});
        INFO(listing(result.problems));
        CHECK(result.ok());
        CHECK(result.problems.empty());
        CHECK(api_key_of(result) == "sk-ci-key-000000003");
    }
    SECTION("a name that could leave the folder is refused and no .env file is read") {
        auto result = load(file, Environment{{{"SWITCHBOARD_ENV", "../production"}}});
        CHECK(describe(result.problems) ==
              std::vector<std::string>{
                  "environment variable SWITCHBOARD_ENV: error: invalid environment name '../production'; use "
                  "letters, digits, '-', '_' and '.', not starting with '.'",
                  at(file, 3, 11) + ": error: backends.openai.api_key: environment variable OPENAI_API_KEY is not "
                                    "set (needed by backends.openai.api_key); set it in the environment"});
    }
}

TEST_CASE("an environment variable beats the same name in the .env file", "[config]") {
    TempDir dir;
    auto file = dir.write("switchboard.toml", keyed_backend);
    dir.write(".env.development", "OPENAI_API_KEY=sk-from-the-file-0001\n");

    auto result = load(file, Environment{{{"OPENAI_API_KEY", "sk-from-the-environment-2"}}});

    INFO(listing(result.problems));
    CHECK(result.ok());
    CHECK(api_key_of(result) == "sk-from-the-environment-2");
}

TEST_CASE(".env lines accept export, quotes and comments, and malformed lines are errors with their line", "[config]") {
    TempDir dir;
    auto file = dir.write("switchboard.toml", R"([backends.b]
plugin = "p"

[backends.b.settings]
good = "${GOOD}"
spaced = "${SPACED}"
single = "${SINGLE}"
escaped = "${ESCAPED}"

[services.s]
capability = "embeddings"
mock = "b"
)");
    auto dotenv = dir.write(".env.development", R"(# a comment, then a blank line

GOOD=1
export SPACED = "two words"   # trailing comment
SINGLE='it''s'
ESCAPED="a\"b\\n"
sk-secret-value-1234
BAD NAME=2
QUOTED="sk-unterminated-secret
CLOSED="x" y
GOOD=3
)");

    auto result = load(file, {});

    CHECK(describe(result.problems) ==
          std::vector<std::string>{
              at(dotenv, 5, 12) + ": error: unexpected text after the closing single quote in the value of SINGLE",
              at(dotenv, 7, 1) + ": error: expected KEY=VALUE",
              at(dotenv, 8, 1) + ": error: invalid variable name before '='; use letters, digits and '_', not "
                                 "starting with a digit",
              at(dotenv, 9, 8) + ": error: unterminated double quote in the value of QUOTED",
              at(dotenv, 10, 12) + ": error: unexpected text after the closing double quote in the value of CLOSED",
              at(dotenv, 11, 1) + ": warning: GOOD is already set on line 3; the later value wins",
              at(file, 7, 10) + ": error: backends.b.settings.single: environment variable SINGLE is not set (needed "
                                "by backends.b.settings.single); set it or add it to .env.development"});
    REQUIRE(result.config);
    const auto& values = result.config->backends.at("b").settings.values();
    CHECK(values.at("good") == SettingValue(std::string("3")));
    CHECK(values.at("spaced") == SettingValue(std::string("two words")));
    CHECK(values.at("escaped") == SettingValue(std::string("a\"b\\n")));
    for (const auto& line : describe(result.problems)) CHECK(line.find("secret") == std::string::npos);
}

TEST_CASE("SWITCHBOARD__ variables override config keys with values of the type the key needs", "[config]") {
    TempDir dir;
    auto file = dir.write("switchboard.toml", R"([host]
default_mode = "mock"

[backends.mock-embed]
plugin = "mock-embeddings"

[backends.mock-embed.settings]
dimensions = 1536
label = "file"
scale = 1.0
tags = ["a"]
retry = { enabled = true }

[backends.openai-a]
plugin = "openai-embeddings"

[backends.openai-b]
plugin = "openai-embeddings"

[services.embeddings]
capability = "embeddings"
mode = "hybrid"
real = ["openai-a"]
mock = "mock-embed"
)");

    auto result = load(file, Environment{{
                                 {"SWITCHBOARD__HOST__DEFAULT_MODE", "real"},
                                 {"SWITCHBOARD__SERVICES__EMBEDDINGS__MODE", "mock"},
                                 {"SWITCHBOARD__SERVICES__EMBEDDINGS__REAL", "openai-b, openai-a"},
                                 {"SWITCHBOARD__SERVICES__EMBEDDINGS__FALLBACK_TIMEOUT", "2s"},
                                 {"SWITCHBOARD__HEALTH__FAILURE_THRESHOLD", "5"},
                                 {"switchboard__health__cooldown", "1m"},
                                 {"SWITCHBOARD__BACKENDS__MOCK_EMBED__SETTINGS__DIMENSIONS", "8"},
                                 {"SWITCHBOARD__BACKENDS__MOCK_EMBED__SETTINGS__LABEL", "${NOT_EXPANDED}"},
                                 {"SWITCHBOARD__BACKENDS__MOCK_EMBED__SETTINGS__SCALE", "0.25"},
                                 {"SWITCHBOARD__BACKENDS__MOCK_EMBED__SETTINGS__TAGS", "x, y,,z"},
                                 {"SWITCHBOARD__BACKENDS__MOCK_EMBED__SETTINGS__RETRY__ENABLED", "FALSE"},
                             }});

    INFO(listing(result.problems));
    REQUIRE(result.ok());
    CHECK(result.problems.empty());
    const Config& config = *result.config;
    CHECK(config.host.default_mode == Mode::real);
    CHECK(config.health.failure_threshold == 5);
    CHECK(config.health.cooldown == 30s);  // lower-case names are not overrides
    const ServiceSettings& embeddings = config.services.at("embeddings");
    CHECK(embeddings.mode == Mode::mock);
    CHECK(embeddings.real == std::vector<std::string>{"openai-b", "openai-a"});
    CHECK(embeddings.fallback_timeout == 2s);
    CHECK(config.backends.at("mock-embed").settings.values() ==
          std::map<std::string, SettingValue, std::less<>>{{"dimensions", std::int64_t{8}},
                                                           {"label", std::string("${NOT_EXPANDED}")},
                                                           {"scale", 0.25},
                                                           {"tags", std::vector<std::string>{"x", "y", "z"}},
                                                           {"retry.enabled", false}});
}

TEST_CASE("an override creates a missing [host] or [health] key and is cited by its variable", "[config]") {
    TempDir dir;
    auto file = dir.write("switchboard.toml", R"([backends.mock-embed]
plugin = "mock-embeddings"

[services.embeddings]
capability = "embeddings"
mock = "mock-embed"
)");

    auto result = load(file, Environment{{{"SWITCHBOARD__HEALTH__PROBE_INTERVAL", "250ms"},
                                          {"SWITCHBOARD__HOST__PLUGIN_DIRS", "does-not-exist"}}});

    CHECK(result.ok());
    CHECK(result.config->health.probe_interval == 250ms);
    CHECK(describe(result.problems) ==
          std::vector<std::string>{"environment variable SWITCHBOARD__HOST__PLUGIN_DIRS: warning: host.plugin_dirs: "
                                   "plugin folder '" +
                                   (dir.path() / "does-not-exist").string() + "' does not exist"});
}

TEST_CASE("a bad override is an error positioned at its variable", "[config]") {
    TempDir dir;
    auto file = dir.write("switchboard.toml", R"([backends.mock-embed]
plugin = "mock-embeddings"

[backends.mock-embed.settings]
dimensions = 1536

[services.embeddings]
capability = "embeddings"
mock = "mock-embed"
)");

    auto result = load(file, Environment{{
                                 {"SWITCHBOARD__HEALTH", "5"},
                                 {"SWITCHBOARD__HEALTH__FAILURE_THRESHOLD", "five"},
                                 {"SWITCHBOARD__HOSTS__DEFAULT_MODE", "real"},
                                 {"SWITCHBOARD__HOST__DEFAULT_MOD", "real"},
                                 {"SWITCHBOARD__SERVICES__EMBEDDINGS__MODE", "hybird"},
                                 {"SWITCHBOARD__SERVICES__EMBEDINGS__MODE", "mock"},
                                 {"SWITCHBOARD__BACKENDS__MOCK_EMBED__SETTINGS__DIMENSION", "8"},
                                 {"SWITCHBOARD__BACKENDS__MOCK_EMBED__SETTINGS", "8"},
                                 {"SWITCHBOARD__SERVICES____MODE", "mock"},
                             }});

    CHECK_FALSE(result.ok());
    const std::string var = "environment variable ";
    CHECK(describe(result.problems) ==
          std::vector<std::string>{
              var + "SWITCHBOARD__BACKENDS__MOCK_EMBED__SETTINGS: error: backends.mock-embed.settings: is a table; "
                    "override one of its keys, as in SWITCHBOARD__BACKENDS__MOCK_EMBED__SETTINGS__KEY",
              var + "SWITCHBOARD__BACKENDS__MOCK_EMBED__SETTINGS__DIMENSION: error: backends.mock-embed.settings: no "
                    "setting named like 'dimension' is defined (did you mean 'dimensions'?); an override can only "
                    "change what the file defines",
              var + "SWITCHBOARD__HEALTH: error: health: expected exactly one key after the section, as in "
                    "SWITCHBOARD__HEALTH__PROBE_INTERVAL",
              var + "SWITCHBOARD__HEALTH__FAILURE_THRESHOLD: error: health.failure_threshold: expected an integer, "
                    "got 'five'",
              var + "SWITCHBOARD__HOSTS__DEFAULT_MODE: error: unknown section 'hosts' (did you mean 'host'?); "
                    "expected host, health, cost, server, plugins, backends or services",
              var + "SWITCHBOARD__HOST__DEFAULT_MOD: error: host: unknown key 'default_mod' (did you mean "
                    "'default_mode'?)",
              var + "SWITCHBOARD__SERVICES__EMBEDINGS__MODE: error: services: no service named like 'embedings' is "
                    "defined (did you mean 'embeddings'?); an override can only change what the file defines",
              var + "SWITCHBOARD__SERVICES____MODE: error: malformed override name; expected "
                    "SWITCHBOARD__SECTION__KEY or SWITCHBOARD__SECTION__NAME__KEY, segments separated by '__'",
              var + "SWITCHBOARD__SERVICES__EMBEDDINGS__MODE: error: services.embeddings.mode: invalid mode "
                    "'hybird'; expected mock, real or hybrid (did you mean 'hybrid'?)"});
}
