#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>
#include <iterator>
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

// Loads `toml` written to switchboard.toml in `dir`, with no environment at all.
LoadResult load_text(const TempDir& dir, std::string_view toml, const Environment& env = {}) {
    return load(dir.write("switchboard.toml", toml), env);
}

const char* const minimal_service = R"(
[backends.mock-embed]
plugin = "mock-embeddings"

[services.embeddings]
capability = "embeddings"
mock = "mock-embed"
)";

}  // namespace

TEST_CASE("a full valid config is read into the exact expected structure", "[config]") {
    TempDir dir;
    fs::copy_file(fs::path(SWITCHBOARD_CONFIG_FIXTURES) / "full.toml", dir.path() / "switchboard.toml");
    fs::copy_file(fs::path(SWITCHBOARD_CONFIG_FIXTURES) / ".env.staging", dir.path() / ".env.staging");
    dir.make_folder("plugins");
    dir.make_folder("more-plugins");
    const fs::path file = dir.path() / "switchboard.toml";
    const std::string label = file.string();

    auto result = load(file, Environment{{{"SWITCHBOARD_ENV", "staging"}}});

    INFO(listing(result.problems));
    REQUIRE(result.ok());
    CHECK(result.problems.empty());
    const Config& config = *result.config;
    CHECK(config.file == file);
    CHECK(config.environment == "staging");

    CHECK(config.host.default_mode == Mode::hybrid);
    CHECK(config.host.plugin_dirs == std::vector<fs::path>{dir.path() / "plugins", dir.path() / "more-plugins"});
    CHECK(config.host.log_format == LogFormat::json);
    CHECK(config.host.log_level == switchboard::LogLevel::debug);

    CHECK(config.health.probe_interval == 15s);
    CHECK(config.health.probe_timeout == 2500ms);
    CHECK(config.health.failure_threshold == 5);
    CHECK(config.health.cooldown == 1min);

    CHECK(config.plugin_pins ==
          std::map<std::string, std::string>{
              {"mock-embeddings", "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"}});

    REQUIRE(config.backends.size() == 3);
    const BackendSettings& mock = config.backends.at("mock-embed");
    CHECK(mock.name == "mock-embed");
    CHECK(mock.plugin == "mock-embeddings");
    CHECK(mock.api_key.empty());
    CHECK(mock.where.to_string() == at(file, 17, 1));
    CHECK(mock.plugin_where.to_string() == at(file, 18, 10));
    CHECK(mock.api_key_where.to_string() == at(file, 17, 1));
    CHECK(mock.settings.origin() == label + " [backends.mock-embed.settings]");
    CHECK(mock.settings.values() ==
          std::map<std::string, SettingValue, std::less<>>{
              {"dimensions", std::int64_t{1536}},
              {"seed", std::int64_t{7}},
              {"normalize", true},
              {"scale", 0.5},
              {"models", std::vector<std::string>{"small", "large"}},
              {"retry.max_attempts", std::int64_t{3}}});

    const BackendSettings& primary = config.backends.at("openai-primary");
    CHECK(primary.plugin == "openai-embeddings");
    CHECK(primary.api_key.reveal() == "sk-from-dotenv-file-0000");
    CHECK(primary.api_key_where.to_string() == at(file, 30, 11));
    CHECK(primary.settings.values() ==
          std::map<std::string, SettingValue, std::less<>>{{"base_url", std::string("https://api.openai.com/v1")},
                                                           {"model", std::string("text-embedding-3-small")}});
    CHECK(config.backends.at("openai-backup").api_key.reveal() == "sk-backup-from-dotenv-0000");

    REQUIRE(config.services.size() == 2);
    const ServiceSettings& embeddings = config.services.at("embeddings");
    CHECK(embeddings.name == "embeddings");
    CHECK(embeddings.capability == "embeddings");
    CHECK(embeddings.mode == std::nullopt);
    CHECK(config.mode_of(embeddings) == Mode::hybrid);
    CHECK(embeddings.real == std::vector<std::string>{"openai-primary", "openai-backup"});
    CHECK(embeddings.mock == "mock-embed");
    CHECK(embeddings.fallback_timeout == 10s);
    CHECK(embeddings.where.to_string() == at(file, 40, 1));
    CHECK(embeddings.capability_where.to_string() == at(file, 41, 14));

    const ServiceSettings& offline = config.services.at("embeddings-offline");
    CHECK(offline.mode == Mode::mock);
    CHECK(offline.real.empty());
    CHECK(offline.mock == "mock-embed");
    CHECK(offline.fallback_timeout == 30s);
}

TEST_CASE("keys left out take the documented defaults", "[config]") {
    TempDir dir;
    auto result = load_text(dir, minimal_service);

    INFO(listing(result.problems));
    REQUIRE(result.ok());
    CHECK(result.problems.empty());
    const Config& config = *result.config;
    CHECK(config.environment == "development");
    CHECK(config.host.default_mode == Mode::mock);
    CHECK(config.host.plugin_dirs.empty());
    CHECK(config.host.log_format == LogFormat::text);
    CHECK(config.host.log_level == switchboard::LogLevel::info);
    CHECK(config.health.probe_interval == 30s);
    CHECK(config.health.probe_timeout == 5s);
    CHECK(config.health.failure_threshold == 3);
    CHECK(config.health.cooldown == 30s);
    CHECK(config.plugin_pins.empty());
    CHECK(config.services.at("embeddings").fallback_timeout == 30s);
    CHECK(config.mode_of(config.services.at("embeddings")) == Mode::mock);
}

TEST_CASE("a TOML syntax error is reported with toml++'s position and description", "[config]") {
    TempDir dir;
    auto result = load_text(dir, "[host]\ndefault_mode = \"mock\"\nlog_level = \n");

    CHECK_FALSE(result.config);
    CHECK_FALSE(result.ok());
    CHECK(describe(result.problems) ==
          std::vector<std::string>{at(dir.path() / "switchboard.toml", 3, 13) +
                                   ": error: Error while parsing key-value pair: expected value, saw '\\n'"});
}

TEST_CASE("a missing config file is one error naming the file", "[config]") {
    TempDir dir;
    auto result = load(dir.path() / "absent.toml", {});

    CHECK_FALSE(result.config);
    CHECK(describe(result.problems) ==
          std::vector<std::string>{(dir.path() / "absent.toml").string() + ": error: config file not found; check the path"});
}

TEST_CASE("unknown keys are reported at every level with a did-you-mean", "[config]") {
    TempDir dir;
    auto result = load_text(dir, R"([host]
default_mdoe = "mock"

[health]
probe_intervall = "10s"

[plugins.mock-embeddings]
sha265 = "x"

[backends.mock-embed]
plugin = "mock-embeddings"
apikey = "k"

[backends.mock-embed.settings]
anything_goes = 1

[services.embeddings]
capability = "embeddings"
mock = "mock-embed"
fallback = "1s"

[servics.x]
colour = 1
)");
    const auto file = dir.path() / "switchboard.toml";

    CHECK(describe(result.problems) ==
          std::vector<std::string>{
              at(file, 2, 1) + ": error: host: unknown key 'default_mdoe' (did you mean 'default_mode'?)",
              at(file, 5, 1) + ": error: health: unknown key 'probe_intervall' (did you mean 'probe_interval'?)",
              at(file, 7, 1) + ": error: plugins.mock-embeddings: missing required key 'sha256'",
              at(file, 8, 1) + ": error: plugins.mock-embeddings: unknown key 'sha265' (did you mean 'sha256'?)",
              at(file, 12, 1) + ": error: backends.mock-embed: unknown key 'apikey' (did you mean 'api_key'?)",
              at(file, 20, 1) + ": error: services.embeddings: unknown key 'fallback' (did you mean 'fallback_timeout'?)",
              at(file, 22, 2) + ": error: unknown key 'servics' (did you mean 'services'?)"});
}

TEST_CASE("a value of the wrong type names the expected and the actual type", "[config]") {
    TempDir dir;
    auto result = load_text(dir, std::string(R"([health]
failure_threshold = "3"
probe_timeout = 5

[host]
plugin_dirs = "plugins"
log_level = 3
)") + minimal_service);
    const auto file = dir.path() / "switchboard.toml";

    CHECK(describe(result.problems) ==
          std::vector<std::string>{
              at(file, 2, 21) + ": error: health.failure_threshold: expected an integer, got a string",
              at(file, 3, 17) + ": error: health.probe_timeout: expected a duration string such as \"30s\", got an integer",
              at(file, 6, 15) + ": error: host.plugin_dirs: expected an array of strings, got a string",
              at(file, 7, 13) + ": error: host.log_level: expected a string, got an integer"});
    CHECK(result.config);
    CHECK_FALSE(result.ok());
}

TEST_CASE("bad durations, thresholds, log settings and sha256 pins are errors", "[config]") {
    TempDir dir;
    auto result = load_text(dir, std::string(R"([health]
probe_interval = "30"
probe_timeout = "5 s"
cooldown = "0s"
failure_threshold = 0

[host]
log_format = "yaml"
log_level = "warning"

[plugins.mock-embeddings]
sha256 = "ABC"
)") + minimal_service);
    const auto file = dir.path() / "switchboard.toml";

    CHECK(describe(result.problems) ==
          std::vector<std::string>{
              at(file, 2, 18) + ": error: health.probe_interval: invalid duration '30'; expected a whole number and a "
                                "unit (ms, s, m, h or d), e.g. \"250ms\" or \"30s\"",
              at(file, 3, 17) + ": error: health.probe_timeout: invalid duration '5 s'; expected a whole number and a "
                                "unit (ms, s, m, h or d), e.g. \"250ms\" or \"30s\"",
              at(file, 4, 12) + ": error: health.cooldown: must be greater than zero",
              at(file, 5, 21) + ": error: health.failure_threshold: must be at least 1, got 0",
              at(file, 8, 14) + ": error: host.log_format: invalid log format 'yaml'; expected text or json",
              at(file, 9, 13) + ": error: host.log_level: invalid log level 'warning'; expected trace, debug, info, "
                                "warn, error or critical (did you mean 'warn'?)",
              at(file, 12, 10) + ": error: plugins.mock-embeddings.sha256: invalid sha256 pin 'ABC'; expected 64 "
                                 "lowercase hex characters, as printed by sha256sum"});
}

TEST_CASE("an invalid mode is an error with the closest valid mode", "[config]") {
    TempDir dir;
    auto result = load_text(dir, R"([host]
default_mode = "Real"

[backends.mock-embed]
plugin = "mock-embeddings"

[services.x]
capability = "embeddings"
mode = "hybird"
mock = "mock-embed"
)");
    const auto file = dir.path() / "switchboard.toml";

    CHECK(describe(result.problems) ==
          std::vector<std::string>{
              at(file, 2, 16) + ": error: host.default_mode: invalid mode 'Real'; expected mock, real or hybrid "
                                "(did you mean 'real'?)",
              at(file, 9, 8) + ": error: services.x.mode: invalid mode 'hybird'; expected mock, real or hybrid "
                               "(did you mean 'hybrid'?)"});
}

TEST_CASE("a service naming a backend that is not defined is an error with a did-you-mean", "[config]") {
    TempDir dir;
    auto result = load_text(dir, R"([backends.openai-primary]
plugin = "openai-embeddings"

[backends.mock-embed]
plugin = "mock-embeddings"

[services.embeddings]
capability = "embeddings"
mode = "hybrid"
real = ["openai-primry", "azure"]
mock = "mock-embd"
)");
    const auto file = dir.path() / "switchboard.toml";

    CHECK(describe(result.problems) ==
          std::vector<std::string>{
              at(file, 10, 9) + ": error: services.embeddings.real: unknown backend 'openai-primry' (did you mean "
                                "'openai-primary'?)",
              at(file, 10, 26) + ": error: services.embeddings.real: unknown backend 'azure'; define "
                                 "[backends.azure] or use one of: mock-embed, openai-primary",
              at(file, 11, 8) + ": error: services.embeddings.mock: unknown backend 'mock-embd' (did you mean "
                                "'mock-embed'?)"});
}

TEST_CASE("services without usable backends for their mode are errors", "[config]") {
    TempDir dir;
    auto result = load_text(dir, R"([host]
default_mode = "mock"

[backends.mock-embed]
plugin = "mock-embeddings"

[backends.openai]
plugin = "openai-embeddings"

[services.nothing]
capability = "embeddings"

[services.real-without-real]
capability = "embeddings"
mode = "real"
mock = "mock-embed"

[services.mock-by-default]
capability = "embeddings"
real = ["openai"]

[services.both-roles]
capability = "embeddings"
mode = "hybrid"
real = ["mock-embed", "openai"]
mock = "mock-embed"

[services.hybrid-without-mock]
capability = "embeddings"
mode = "hybrid"
real = ["openai"]

[backends.no-plugin]
api_key = "k"
)");
    const auto file = dir.path() / "switchboard.toml";

    CHECK(describe(result.problems) ==
          std::vector<std::string>{
              at(file, 10, 1) + ": error: services.nothing: has no backends; set 'real', 'mock' or both",
              at(file, 15, 8) + ": error: services.real-without-real.mode: mode is 'real' but 'real' lists no "
                                "backends; add one to 'real' or change the mode",
              at(file, 18, 1) + ": error: services.mock-by-default: mode is 'mock' (from host.default_mode) but no "
                                "'mock' backend is set; set 'mock' or change the mode",
              at(file, 26, 8) + ": error: services.both-roles.mock: backend 'mock-embed' is listed both in 'real' "
                                "and as 'mock'; a backend plays one role in a service",
              at(file, 30, 8) + ": warning: services.hybrid-without-mock.mode: mode is 'hybrid' but no 'mock' "
                                "backend is set, so nothing takes over when the real backends fail",
              at(file, 33, 1) + ": error: backends.no-plugin: missing required key 'plugin'"});
}

TEST_CASE("relative plugin_dirs are resolved against the config file's folder", "[config]") {
    TempDir dir;
    dir.make_folder("build/plugins");
    dir.make_folder("etc");
    auto file = dir.write("etc/switchboard.toml", std::string(R"([host]
plugin_dirs = ["../build/plugins/", ")" + (dir.path() / "build" / "plugins").string() + R"("]
)") + minimal_service);

    auto result = load(file, {});

    INFO(listing(result.problems));
    REQUIRE(result.ok());
    CHECK(result.problems.empty());
    CHECK(result.config->host.plugin_dirs ==
          std::vector<fs::path>{dir.path() / "build" / "plugins", dir.path() / "build" / "plugins"});
}

TEST_CASE("a plugin folder that does not exist is a warning, not an error", "[config]") {
    TempDir dir;
    auto result = load_text(dir, std::string("[host]\nplugin_dirs = [\"missing\"]\n") + minimal_service);
    const auto file = dir.path() / "switchboard.toml";

    CHECK(result.ok());
    CHECK(describe(result.problems) ==
          std::vector<std::string>{at(file, 2, 16) + ": warning: host.plugin_dirs: plugin folder '" +
                                   (dir.path() / "missing").string() + "' does not exist"});
    CHECK(result.config->host.plugin_dirs == std::vector<fs::path>{dir.path() / "missing"});
}

TEST_CASE("backend settings are flattened into dotted keys and only string arrays are accepted", "[config]") {
    TempDir dir;
    auto result = load_text(dir, R"([backends.b]
plugin = "p"

[backends.b.settings]
retry = { max_attempts = 3, backoff = { base = "100ms" } }
tags = ["a", "b"]
sizes = [1, 2]
when = 2024-01-01

[services.s]
capability = "embeddings"
mock = "b"
)");
    const auto file = dir.path() / "switchboard.toml";

    CHECK(describe(result.problems) ==
          std::vector<std::string>{
              at(file, 7, 10) + ": error: backends.b.settings.sizes: expected an array of strings; item 1 is an integer",
              at(file, 7, 13) + ": error: backends.b.settings.sizes: expected an array of strings; item 2 is an integer",
              at(file, 8, 8) + ": error: backends.b.settings.when: dates and times are not supported in settings; "
                               "quote the value to pass it as a string"});
    REQUIRE(result.config);
    const auto& values = result.config->backends.at("b").settings.values();
    CHECK(values.at("retry.max_attempts") == SettingValue(std::int64_t{3}));
    CHECK(values.at("retry.backoff.base") == SettingValue(std::string("100ms")));
    CHECK(values.at("tags") == SettingValue(std::vector<std::string>{"a", "b"}));
}

TEST_CASE("every problem in a file is reported in one run, in file order", "[config]") {
    TempDir dir;
    auto result = load_text(dir, R"([host]
default_mode = "hybird"
log_format = "xml"

[health]
failure_threshold = "three"
cooldown = "30 seconds"

[backends.openai]
plugin = "openai-embeddings"
api_key = "${OPENAI_API_KEY}"

[services.embeddings]
capability = "embeddings"
real = ["opneai"]
timeout = "5s"
)");
    const auto file = dir.path() / "switchboard.toml";

    CHECK(describe(result.problems) ==
          std::vector<std::string>{
              at(file, 2, 16) + ": error: host.default_mode: invalid mode 'hybird'; expected mock, real or hybrid "
                                "(did you mean 'hybrid'?)",
              at(file, 3, 14) + ": error: host.log_format: invalid log format 'xml'; expected text or json",
              at(file, 6, 21) + ": error: health.failure_threshold: expected an integer, got a string",
              at(file, 7, 12) + ": error: health.cooldown: invalid duration '30 seconds'; expected a whole number and "
                                "a unit (ms, s, m, h or d), e.g. \"250ms\" or \"30s\"",
              at(file, 11, 11) + ": error: backends.openai.api_key: environment variable OPENAI_API_KEY is not set "
                                 "(needed by backends.openai.api_key); set it or add it to .env.development",
              at(file, 15, 9) + ": error: services.embeddings.real: unknown backend 'opneai' (did you mean 'openai'?)",
              at(file, 16, 1) + ": error: services.embeddings: unknown key 'timeout'; known keys: capability, mode, "
                                "real, mock, fallback_timeout, caps"});
}

TEST_CASE("Problem::to_string leaves out what it does not know", "[config]") {
    CHECK(Problem{Severity::error, Position{"a.toml", 3, 7}, "host.log_level", "bad"}.to_string() ==
          "a.toml:3:7: error: host.log_level: bad");
    CHECK(Problem{Severity::warning, Position{"a.toml"}, "", "odd"}.to_string() == "a.toml: warning: odd");
    CHECK(Problem{Severity::error, Position{}, "services.x", "bad"}.to_string() == "error: services.x: bad");
    CHECK(Position{"a.toml", 0, 0}.to_string() == "a.toml");
}

TEST_CASE("modes convert to and from their names", "[config]") {
    for (auto mode : {Mode::mock, Mode::real, Mode::hybrid}) CHECK(mode_from_string(to_string(mode)) == mode);
    CHECK(to_string(Mode::hybrid) == "hybrid");
    CHECK(mode_from_string("Hybrid") == std::nullopt);
    CHECK(mode_from_string("") == std::nullopt);
}

TEST_CASE("the complete example in docs/config-reference.md loads without problems", "[config]") {
    std::ifstream in(fs::path(SWITCHBOARD_DOCS_DIR) / "config-reference.md");
    std::string docs((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    auto section = docs.find("## Complete example");
    REQUIRE(section != std::string::npos);
    auto begin = docs.find("```toml\n", section);
    REQUIRE(begin != std::string::npos);
    begin += 8;
    auto end = docs.find("```", begin);
    REQUIRE(end != std::string::npos);

    TempDir dir;
    dir.make_folder("build/plugins");
    auto file = dir.write("config/switchboard.toml", docs.substr(begin, end - begin));
    auto result = load(file, Environment{{{"OPENAI_API_KEY", "sk-example-0123456789"}}});

    INFO(listing(result.problems));
    CHECK(result.ok());
    CHECK(result.problems.empty());
    REQUIRE(result.config);
    CHECK(result.config->services.size() == 2);
    CHECK(check_against_plugins(*result.config, {{"mock-embeddings", "1.0.0", {"embeddings"}, "", "", {}},
                                                 {"mock-parse", "1.0.0", {"parse"}, "", "", {}},
                                                 {"openai-embeddings", "1.0.0", {"embeddings"}, "sk-", "", {}}})
              .empty());
}

TEST_CASE("a backend's http table sets its timeouts, size cap and retry policy", "[config]") {
    TempDir dir;
    auto result = load_text(dir, std::string(R"([backends.openai]
plugin = "openai-embeddings"

[backends.openai.http]
connect_timeout = "2s"
timeout = "90s"
max_response_bytes = 1048576
max_attempts = 5
backoff_initial = "250ms"
backoff_max = "4s"
retry_after_max = "2m"
deadline = "5m"
)") + minimal_service);
    INFO(listing(result.problems));
    REQUIRE(result.ok());
    const HttpSettings& http = result.config->backends.at("openai").http;
    CHECK(http.connect_timeout == 2s);
    CHECK(http.timeout == 90s);
    CHECK(http.max_response_bytes == 1048576u);
    CHECK(http.max_attempts == 5);
    CHECK(http.backoff_initial == 250ms);
    CHECK(http.backoff_max == 4s);
    CHECK(http.retry_after_max == 2min);
    CHECK(http.deadline == 5min);

    // Left out: the official OpenAI client's defaults.
    const HttpSettings& defaults = result.config->backends.at("mock-embed").http;
    CHECK(defaults.connect_timeout == 5s);
    CHECK(defaults.timeout == 60s);
    CHECK(defaults.max_attempts == 3);
    CHECK(defaults.backoff_initial == 500ms);
    CHECK(defaults.backoff_max == 8s);
    CHECK(defaults.retry_after_max == 60s);
    CHECK(defaults.deadline == 120s);
}

TEST_CASE("bad values in a backend's http table are errors naming the key", "[config]") {
    TempDir dir;
    auto result = load_text(dir, std::string(R"([backends.openai]
plugin = "openai-embeddings"

[backends.openai.http]
max_attempts = 0
max_response_bytes = 10
backoff_initial = "10s"
backoff_max = "1s"
timeuot = "5s"
)") + minimal_service);
    const auto file = dir.path() / "switchboard.toml";

    CHECK(describe(result.problems) ==
          std::vector<std::string>{
              at(file, 5, 16) + ": error: backends.openai.http.max_attempts: the number of attempts must be between 1 "
                                "and 10, got 0",
              at(file, 6, 22) + ": error: backends.openai.http.max_response_bytes: the response size cap in bytes must "
                                "be between 1024 and 4294967296, got 10",
              at(file, 8, 15) + ": error: backends.openai.http.backoff_max: must not be shorter than backoff_initial "
                                "(10000 ms)",
              at(file, 9, 1) + ": error: backends.openai.http: unknown key 'timeuot' (did you mean 'timeout'?)"});
}

TEST_CASE("an environment variable overrides a value of a backend's http table", "[config]") {
    TempDir dir;
    auto result = load_text(dir, std::string(R"([backends.openai]
plugin = "openai-embeddings"
http = { max_attempts = 3 }
)") + minimal_service, Environment{{{"SWITCHBOARD__BACKENDS__OPENAI__HTTP__MAX_ATTEMPTS", "1"}}});
    INFO(listing(result.problems));
    REQUIRE(result.ok());
    CHECK(result.config->backends.at("openai").http.max_attempts == 1);
}
