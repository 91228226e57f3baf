// The [cost] table, caps, rate limits and prices: what the loader reads, how prices merge, and
// every mistake reported with its position.
#include <catch2/catch.hpp>

#include <algorithm>
#include <filesystem>
#include <string>
#include <vector>

#include "config/config.hpp"
#include "config_test_support.hpp"

namespace fs = std::filesystem;
using namespace switchboard::config;
using switchboard::cost::Money;
using switchboard::config::testing::at;
using switchboard::config::testing::describe;
using switchboard::config::testing::listing;
using switchboard::config::testing::TempDir;

namespace {

const std::vector<switchboard::PluginInfo> scanned{
    {"mock-embeddings", "1.0.0", {"embeddings"}, "", "", {}},
    {"openai-embeddings", "1.0.0", {"embeddings"}, "", "", {}},
    {"llamaparse", "1.0.0", {"parse"}, "", "", {}},
    {"third-party", "1.0.0", {"embeddings"}, "", "", {}},
};

Config load_ok(const fs::path& file) {
    auto result = load(file, {});
    INFO(listing(result.problems));
    REQUIRE(result.ok());
    return *result.config;
}

Money usd_nanos(std::int64_t nanos) { return Money::from_nanos(nanos); }

}  // namespace

TEST_CASE("without a [cost] table the built-in prices apply and the ledger sits beside the config", "[config][cost]") {
    TempDir dir;
    auto file = dir.write("switchboard.toml", R"([backends.openai]
plugin = "openai-embeddings"
[backends.parser]
plugin = "llamaparse"
[backends.mock]
plugin = "mock-embeddings"
)");
    auto config = load_ok(file);
    CHECK(config.cost.ledger == dir.path() / "var" / "ledger.sqlite");
    CHECK(config.cost.timezone == "UTC");
    CHECK(config.cost.alert_percents == std::vector<int>{50, 80, 95});
    CHECK(config.cost.on_ledger_failure == LedgerFailure::closed);
    CHECK(config.cost.ledger_sync == LedgerSync::full);
    CHECK_FALSE(config.cost.caps.any());

    const PriceList& openai = config.backends.at("openai").price;
    CHECK(openai.usd_per_million_tokens.at("text-embedding-3-small") == usd_nanos(20'000'000));
    CHECK(openai.usd_per_million_tokens.at("text-embedding-3-large") == usd_nanos(130'000'000));
    CHECK(openai.usd_per_million_tokens.at("text-embedding-ada-002") == usd_nanos(100'000'000));
    CHECK(openai.default_model == "text-embedding-3-small");
    const PriceList& parser = config.backends.at("parser").price;
    CHECK(parser.usd_per_thousand_credits == usd_nanos(1'250'000'000));
    CHECK(parser.credits_per_page.at("fast") == 1);
    CHECK(parser.credits_per_page.at("cost_effective") == 3);
    CHECK(parser.credits_per_page.at("agentic") == 10);
    CHECK(parser.credits_per_page.at("agentic_plus") == 45);
    CHECK(config.backends.at("mock").price.free);
}

TEST_CASE("caps, limits and per-backend prices are read exactly and laid over the pricing file", "[config][cost]") {
    TempDir dir;
    dir.write("prices.toml", R"([openai-embeddings]
default_model = "text-embedding-3-small"
[openai-embeddings.usd_per_million_tokens]
"text-embedding-3-small" = 0.02
)");
    auto file = dir.write("switchboard.toml", R"([cost]
pricing = "prices.toml"
ledger = "data/spend.sqlite"
timezone = "Europe/Berlin"
on_ledger_failure = "open"
retention = "30d"
alert_percents = [90, 25]
forecast_lookback = "6h"
[cost.caps]
hourly = 1
daily = 2.5
monthly = "0.000000001"

[backends.openai]
plugin = "openai-embeddings"
[backends.openai.caps]
daily = 0.13
[backends.openai.limits]
rpm = 60
tpm = 150000
[backends.openai.pricing]
default_model = "my-finetune"
[backends.openai.pricing.usd_per_million_tokens]
"my-finetune" = "0.123456789"

[backends.mock]
plugin = "mock-embeddings"

[services.embeddings]
capability = "embeddings"
real = ["openai"]
mock = "mock"
[services.embeddings.caps]
monthly = 40
)");
    auto config = load_ok(file);
    CHECK(config.cost.ledger == dir.path() / "data" / "spend.sqlite");
    CHECK(config.cost.timezone == "Europe/Berlin");
    CHECK(config.cost.on_ledger_failure == LedgerFailure::open);
    CHECK(config.cost.retention == std::chrono::hours(24 * 30));
    CHECK(config.cost.alert_percents == std::vector<int>{25, 90});
    CHECK(config.cost.forecast_lookback == std::chrono::hours(6));
    CHECK(config.cost.caps.hourly == usd_nanos(1'000'000'000));
    CHECK(config.cost.caps.daily == usd_nanos(2'500'000'000));
    CHECK(config.cost.caps.monthly == usd_nanos(1));

    const BackendSettings& openai = config.backends.at("openai");
    CHECK(openai.caps.daily == usd_nanos(130'000'000));
    CHECK_FALSE(openai.caps.hourly.has_value());
    CHECK(openai.limits.requests_per_minute == 60);
    CHECK(openai.limits.tokens_per_minute == 150'000);
    CHECK(openai.price.default_model == "my-finetune");
    CHECK(openai.price.usd_per_million_tokens.at("my-finetune") == usd_nanos(123'456'789));
    CHECK(openai.price.usd_per_million_tokens.at("text-embedding-3-small") == usd_nanos(20'000'000));  // merged
    CHECK(openai.price.source.find("prices.toml [openai-embeddings]") != std::string::npos);
    CHECK(config.services.at("embeddings").caps.monthly == usd_nanos(40'000'000'000));
    CHECK_FALSE(config.backends.at("mock").price.priced());  // a pricing file replaces the built-in one
    CHECK(check_against_plugins(config, scanned).empty());
}

TEST_CASE("cost.ledger_sync is full unless set to normal, and another value is an error at its position", "[config][cost]") {
    TempDir dir;
    const std::string backend = "\n[backends.mock]\nplugin = \"mock-embeddings\"\n";
    CHECK(load_ok(dir.write("default.toml", "[cost]\ntimezone = \"UTC\"\n" + backend)).cost.ledger_sync ==
          LedgerSync::full);
    CHECK(load_ok(dir.write("full.toml", "[cost]\nledger_sync = \"full\"\n" + backend)).cost.ledger_sync ==
          LedgerSync::full);
    CHECK(load_ok(dir.write("normal.toml", "[cost]\nledger_sync = \"normal\"\n" + backend)).cost.ledger_sync ==
          LedgerSync::normal);

    auto file = dir.write("bad.toml", "[cost]\ntimezone = \"UTC\"\nledger_sync = \"nromal\"\n" + backend);
    auto result = load(file, {});
    CHECK_FALSE(result.ok());
    CHECK(describe(result.problems) ==
          std::vector<std::string>{at(file, 3, 15) + ": error: cost.ledger_sync: invalid ledger sync mode 'nromal'; "
                                                     "expected full or normal (did you mean 'normal'?)"});

    auto typed = dir.write("typed.toml", "[cost]\nledger_sync = false\n" + backend);
    auto typed_result = load(typed, {});
    CHECK_FALSE(typed_result.ok());
    REQUIRE(typed_result.problems.size() == 1);
    CHECK(typed_result.problems[0].to_string().rfind(at(typed, 2, 15) + ": error: cost.ledger_sync: ", 0) == 0);
}

TEST_CASE("every mistake in [cost], caps, limits and prices is reported where it is", "[config][cost]") {
    TempDir dir;
    auto file = dir.write("switchboard.toml", R"([cost]
timezone = "Mars/Olympus_Mons"
on_ledger_failure = "ajar"
alert_percents = [50, 150]
pricing = "missing.toml"
[cost.caps]
daily = -1
weekly = 5

[backends.openai]
plugin = "openai-embeddings"
[backends.openai.limits]
rpm = 0
[backends.openai.pricing]
usd_per_million_tokens = { "a" = 0.0000000001 }
credits_per_page = { fast = -1 }
)");
    auto result = load(file, {});
    auto lines = describe(result.problems);
    INFO(listing(result.problems));
    auto has = [&](const std::string& text) {
        return std::any_of(lines.begin(), lines.end(), [&](const std::string& line) { return line.find(text) != std::string::npos; });
    };
    CHECK(has(at(file, 2, 12) + ": error: cost.timezone: "));
    CHECK(has("Mars/Olympus_Mons"));
    CHECK(has(at(file, 3, 21) + ": error: cost.on_ledger_failure: invalid ledger failure policy 'ajar'; expected closed or open"));
    CHECK(has(": error: cost.alert_percents: item 2 must be a whole percentage from 1 to 100, got 150"));
    CHECK(has(at(file, 5, 11) + ": error: cost.pricing: cannot read the pricing file '" + (dir.path() / "missing.toml").string()));
    CHECK(has(at(file, 7, 9) + ": error: cost.caps.daily: a cap must be a non-negative amount in USD"));
    CHECK(has(": error: cost.caps: unknown key 'weekly'"));
    CHECK(has(": error: backends.openai.limits.rpm: requests per minute must be at least 1, got 0; remove the key for no limit"));
    CHECK(has(": error: backends.openai.pricing.usd_per_million_tokens.a: a price must be a non-negative amount in USD below "
              "9 billion with at most nine decimals"));
    CHECK(has(": error: backends.openai.pricing.credits_per_page.fast: credits per page must not be negative"));
}

TEST_CASE("a real backend must be priced, with a price for the model or tier it uses", "[config][cost]") {
    TempDir dir;
    auto file = dir.write("switchboard.toml", R"([host]
default_mode = "real"

[backends.custom]
plugin = "third-party"

[backends.openai]
plugin = "openai-embeddings"
[backends.openai.settings]
model = "text-embedding-3-smal"

[backends.parser]
plugin = "llamaparse"
[backends.parser.settings]
tier = "premium"

[backends.free]
plugin = "third-party"
[backends.free.pricing]
free = true

[services.a]
capability = "embeddings"
real = ["custom", "openai", "free"]

[services.b]
capability = "parse"
real = ["parser"]
)");
    auto config = load_ok(file);  // the loader cannot know which plugins exist
    auto problems = check_against_plugins(config, scanned);
    INFO(listing(problems));
    REQUIRE(problems.size() == 3);
    CHECK(problems[0].to_string() ==
          at(file, 4, 1) + ": error: backends.custom.pricing: backend 'custom' (plugin 'third-party') is a real backend "
                           "of service 'a' but has no price; add [backends.custom.pricing] with usd_per_million_tokens or "
                           "usd_per_thousand_credits, or free = true, or price plugin 'third-party' in the pricing file "
                           "(cost.pricing)");
    CHECK(problems[1].to_string() ==
          at(file, 7, 1) + ": error: backends.openai.pricing: backend 'openai' uses model 'text-embedding-3-smal', which "
                           "has no price (did you mean 'text-embedding-3-small'?) (priced: text-embedding-3-large, "
                           "text-embedding-3-small, text-embedding-ada-002); add it under "
                           "[backends.openai.pricing.usd_per_million_tokens]");
    CHECK(problems[2].to_string().find("backends.parser.pricing: backend 'parser' uses tier 'premium', which has no "
                                       "credits_per_page") != std::string::npos);
}

TEST_CASE("prices of its own make a backend paid even where its plugin's list says free", "[config][cost]") {
    TempDir dir;
    auto file = dir.write("switchboard.toml", R"([backends.billed]
plugin = "mock-embeddings"
[backends.billed.pricing.usd_per_million_tokens]
"mock-embedding-1" = 1.0

[backends.gift]
plugin = "openai-embeddings"
[backends.gift.pricing]
free = true
)");
    auto config = load_ok(file);
    CHECK_FALSE(config.backends.at("billed").price.free);  // the built-in list prices mock-embeddings free
    CHECK(config.backends.at("billed").price.usd_per_million_tokens.at("mock-embedding-1") == usd_nanos(1'000'000'000));
    CHECK(config.backends.at("gift").price.free);
}

TEST_CASE("a client of the HTTP service may have caps of its own, checked like any other", "[config][cost]") {
    TempDir dir;
    auto file = dir.write("switchboard.toml", R"([server.clients.etl]
key_sha256 = "3eb30d5c1d7a137487ac2caacc42c8933a122c80586dd93863930418f7aec0d1"
[server.clients.etl.caps]
daily = "2.50"
monthly = 40
[server.clients.notebook]
key_sha256 = "0eb30d5c1d7a137487ac2caacc42c8933a122c80586dd93863930418f7aec0d1"
[server.clients.notebook.caps]
hourly = -3
weekly = 1
)");
    auto result = load(file, {});
    auto lines = describe(result.problems);
    INFO(listing(result.problems));
    auto has = [&](const std::string& text) {
        return std::any_of(lines.begin(), lines.end(), [&](const std::string& line) { return line.find(text) != std::string::npos; });
    };
    CHECK(has(at(file, 9, 10) + ": error: server.clients.notebook.caps.hourly: a cap must be a non-negative amount in USD"));
    CHECK(has(": error: server.clients.notebook.caps: unknown key 'weekly'"));
    CHECK(lines.size() == 2);

    auto fixed = dir.write("fixed.toml", R"([server.clients.etl]
key_sha256 = "3eb30d5c1d7a137487ac2caacc42c8933a122c80586dd93863930418f7aec0d1"
[server.clients.etl.caps]
daily = "2.50"
monthly = 40
)");
    auto config = load_ok(fixed);
    const auto& caps = config.server.clients.at("etl").caps;
    CHECK(caps.daily == usd_nanos(2'500'000'000));
    CHECK(caps.monthly == usd_nanos(40'000'000'000));
    CHECK_FALSE(caps.hourly);
}

TEST_CASE("no client may be named 'local', the name calls without a key are recorded under", "[config][cost]") {
    TempDir dir;
    auto file = dir.write("switchboard.toml", R"([server.clients.local]
key_sha256 = "3eb30d5c1d7a137487ac2caacc42c8933a122c80586dd93863930418f7aec0d1"
)");
    auto result = load(file, {});
    auto lines = describe(result.problems);
    INFO(listing(result.problems));
    REQUIRE(lines.size() == 1);
    CHECK(lines[0].find(": error: server.clients.local: 'local' is the name calls without a client key are recorded "
                        "under") != std::string::npos);
}
