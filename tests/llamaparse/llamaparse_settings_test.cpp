#include <string>

#include <catch2/catch.hpp>

#include "config/config.hpp"
#include "fakes/manual_clock.hpp"
#include "fakes/temp_dir.hpp"
#include "llamaparse/llamaparse.hpp"
#include "llamaparse/llamaparse_settings.hpp"
#include "llamaparse/poll_schedule.hpp"

namespace switchboard::llamaparse {
namespace {

using namespace std::chrono_literals;

constexpr const char* origin = "switchboard.toml [backends.llama.settings]";

// Each setting written at line 10 + its index, column 1.
Settings settings_of(std::initializer_list<std::pair<std::string, SettingValue>> values) {
    Settings settings(origin);
    int line = 10;
    for (const auto& [key, value] : values) settings.set(key, value, "switchboard.toml:" + std::to_string(line++) + ":1");
    return settings;
}

std::string refusal(std::initializer_list<std::pair<std::string, SettingValue>> values) {
    auto read = read_settings(settings_of(values));
    REQUIRE_FALSE(read.ok());
    CHECK(read.error().kind == ErrorKind::bad_request);
    return read.error().message;
}

class NoHttp final : public HttpClient {
public:
    Task<Result<HttpResponse>> send(CallContext, HttpRequest) override {
        co_return Error::make(ErrorKind::internal, "not used");
    }
};

TEST_CASE("llamaparse describes itself as a parse plugin keyed by LLAMA_CLOUD_API_KEY", "[llamaparse]") {
    auto info = LlamaParse().info();
    CHECK(info.name == "llamaparse");
    CHECK(info.capabilities == std::vector<std::string>{"parse"});
    CHECK(info.api_key_prefix == "llx-");
    CHECK(info.api_key_env == "LLAMA_CLOUD_API_KEY");
    CHECK(info.settings_from_env == std::vector<std::pair<std::string, std::string>>{{"base_url", "LLAMA_CLOUD_BASE_URL"}});
}

TEST_CASE("llamaparse settings default to v2, the public endpoint, fast tier and 1-5 s polls within 30 min",
          "[llamaparse]") {
    auto read = read_settings(Settings(origin));
    REQUIRE(read.ok());
    const auto& s = read.value();
    CHECK(s.api == Api::v2);
    CHECK(s.base_url == "https://api.cloud.llamaindex.ai");
    CHECK(s.tier == "fast");
    CHECK(s.version == "latest");
    CHECK(s.parse_mode.empty());
    CHECK(s.scope().empty());
    CHECK(s.poll_initial == 1000ms);
    CHECK(s.poll_step == 1000ms);
    CHECK(s.poll_max == 5000ms);
    CHECK(s.job_timeout == 1'800'000ms);
    CHECK_FALSE(s.expand_items);
}

TEST_CASE("llamaparse settings are read as written, the base URL without its trailing slash", "[llamaparse]") {
    auto read = read_settings(settings_of({{"api", std::string("v1")},
                                           {"base_url", std::string("http://127.0.0.1:8080/llama/")},
                                           {"parse_mode", std::string("parse_page_with_llm")},
                                           {"organization_id", std::string("org 1")},
                                           {"project_id", std::string("prj-2")},
                                           {"poll_initial_ms", std::int64_t{200}},
                                           {"poll_step_ms", std::int64_t{0}},
                                           {"poll_max_ms", std::int64_t{200}},
                                           {"job_timeout_ms", std::int64_t{60'000}},
                                           {"expand_items", true}}));
    REQUIRE(read.ok());
    const auto& s = read.value();
    CHECK(s.api == Api::v1);
    CHECK(s.base_url == "http://127.0.0.1:8080/llama");
    CHECK(s.parse_mode == "parse_page_with_llm");
    CHECK(s.scope() == std::vector<std::pair<std::string, std::string>>{{"organization_id", "org 1"}, {"project_id", "prj-2"}});
    CHECK(s.poll_initial == 200ms);
    CHECK(s.poll_step == 0ms);
    CHECK(s.poll_max == 200ms);
    CHECK(s.job_timeout == 60'000ms);
    CHECK(s.expand_items);
}

TEST_CASE("llamaparse refuses bad settings, naming the key and where it was written", "[llamaparse]") {
    CHECK(refusal({{"api", std::string("v3")}}) == "setting 'api' at switchboard.toml:10:1 must be \"v2\" or \"v1\", got \"v3\"");
    CHECK(refusal({{"base_url", std::string("api.cloud.llamaindex.ai")}}) ==
          "setting 'base_url' at switchboard.toml:10:1 must start with http:// or https://, got \"api.cloud.llamaindex.ai\"");
    CHECK(refusal({{"base_url", std::string("https://x.test/?a=1")}}) ==
          "setting 'base_url' at switchboard.toml:10:1 must not carry a query or fragment, got \"https://x.test/?a=1\"");
    CHECK(refusal({{"tier", std::string("premium")}}) ==
          "setting 'tier' at switchboard.toml:10:1 must be one of fast, cost_effective, agentic, agentic_plus, got \"premium\"");
    CHECK(refusal({{"version", std::string()}}) == "setting 'version' at switchboard.toml:10:1 must not be empty");
    CHECK(refusal({{"poll_initial_ms", std::int64_t{0}}}) ==
          "setting 'poll_initial_ms' at switchboard.toml:10:1 must be between 1 and 3600000 (milliseconds), got 0");
    CHECK(refusal({{"poll_initial_ms", std::int64_t{3000}}, {"poll_max_ms", std::int64_t{2000}}}) ==
          "setting 'poll_max_ms' at switchboard.toml:11:1 must not be below poll_initial_ms (3000), got 2000");
    CHECK(refusal({{"job_timeout_ms", std::string("30m")}}) == "setting 'job_timeout_ms' at switchboard.toml:10:1 must be an integer");
    CHECK(refusal({{"api", std::string("v1")}, {"expand_items", std::string("yes")}}) ==
          "setting 'expand_items' at switchboard.toml:11:1 must be a boolean");
}

TEST_CASE("llamaparse refuses settings of the other API generation and unknown keys", "[llamaparse]") {
    CHECK(refusal({{"api", std::string("v1")}, {"tier", std::string("agentic")}}) ==
          "setting 'tier' at switchboard.toml:11:1 applies to api = \"v2\" only; remove it or set api = \"v2\"");
    CHECK(refusal({{"parse_mode", std::string("parse_page_with_llm")}}) ==
          "setting 'parse_mode' at switchboard.toml:10:1 applies to api = \"v1\" only; remove it or set api = \"v1\"");
    // v2 answers carry no place for items, so v2 would fetch them only to drop them.
    CHECK(refusal({{"expand_items", true}}) ==
          "setting 'expand_items' at switchboard.toml:10:1 applies to api = \"v1\" only; remove it or set api = \"v1\"");
    CHECK(refusal({{"api", std::string("v2")}, {"expand_items", false}}) ==
          "setting 'expand_items' at switchboard.toml:11:1 applies to api = \"v1\" only; remove it or set api = \"v1\"");
    CHECK(refusal({{"poll_interval_ms", std::int64_t{5}}}) ==
          "unknown setting 'poll_interval_ms' in switchboard.toml [backends.llama.settings] (known: api, base_url, tier, "
          "version, parse_mode, organization_id, project_id, poll_initial_ms, poll_step_ms, poll_max_ms, job_timeout_ms, "
          "expand_items)");
}

TEST_CASE("llamaparse start needs the host's HTTP client and refuses bad settings", "[llamaparse]") {
    switchboard::testing::ManualClock clock;
    NoHttp http;
    BackendConfig config;
    config.backend = "llama";
    config.settings = settings_of({});

    LlamaParse without_http;
    auto refused = without_http.start(HostServices{nullptr, &clock, nullptr, nullptr}, config);
    REQUIRE_FALSE(refused.ok());
    CHECK(refused.error().message ==
          "llamaparse backend 'llama' needs the host's HTTP client and clock (HostServices::http is null)");

    config.settings = settings_of({{"tier", std::string("turbo")}});
    LlamaParse bad_tier;
    auto bad = bad_tier.start(HostServices{nullptr, &clock, nullptr, &http}, config);
    REQUIRE_FALSE(bad.ok());
    CHECK(bad.error().kind == ErrorKind::bad_request);

    config.settings = settings_of({});
    LlamaParse keyless;
    CHECK(keyless.start(HostServices{nullptr, &clock, nullptr, &http}, config).ok());
}

TEST_CASE("llamaparse polls after 1, 2, 3, 4, 5, 5 s and cuts the last wait at the job timeout", "[llamaparse]") {
    LlamaParseSettings settings;
    settings.job_timeout = 17s;
    auto start = Clock::time_point{} + 1h;
    PollSchedule schedule(settings, start, std::nullopt);
    auto now = start;
    std::vector<double> waits;
    while (auto wait = schedule.next_wait(now)) {
        waits.push_back(std::chrono::duration<double>(*wait).count());
        now += *wait;
    }
    CHECK(waits == std::vector<double>{1, 2, 3, 4, 5, 2});
    CHECK_FALSE(schedule.deadline_first());
}

TEST_CASE("llamaparse stops polling once the next poll would not come before the call's deadline", "[llamaparse]") {
    LlamaParseSettings settings;
    auto start = Clock::time_point{} + 1h;
    PollSchedule schedule(settings, start, start + 3500ms);
    CHECK(schedule.next_wait(start) == Clock::duration(1s));
    CHECK(schedule.next_wait(start + 1s) == Clock::duration(2s));
    CHECK_FALSE(schedule.next_wait(start + 3s).has_value());  // 3 s more would reach 6 s
    CHECK(schedule.deadline_first());
}

}  // namespace
}  // namespace switchboard::llamaparse

namespace switchboard::llamaparse {
namespace {

TEST_CASE("the shipped prices charge each v1 parse mode as the tier it is sent as", "[llamaparse]") {
    // The host prices a parse by the mode the client named; the plugin sends a v1 mode to a v2
    // backend as its counterpart tier (and back), so the two must cost the same.
    testing::TempDir dir;
    auto file = dir.write("switchboard.toml", "[backends.parser]\nplugin = \"llamaparse\"\n");
    auto loaded = config::load(file, config::Environment{});
    REQUIRE(loaded.config);
    const auto& credits = loaded.config->backends.at("parser").price.credits_per_page;
    for (auto [mode, tier] : v1_mode_v2_tier) {
        INFO(mode << " / " << tier);
        REQUIRE(credits.contains(std::string(mode)));
        REQUIRE(credits.contains(std::string(tier)));
        CHECK(credits.at(std::string(mode)) == credits.at(std::string(tier)));
    }
}

}  // namespace
}  // namespace switchboard::llamaparse
