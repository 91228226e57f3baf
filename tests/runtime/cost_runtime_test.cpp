// The cost policy inside the whole host: config → router → cost gate → plugin → loopback fake,
// with every call written to a real SQLite ledger. Budget fallback in HYBRID, refusal in REAL,
// shadow spend in MOCK, caps rebuilt from the ledger after a restart, and a ledger that cannot
// be written.
#include <string>

#include <catch2/catch.hpp>

#include "host_rig.hpp"
#include "ledger/ledger.hpp"

using namespace switchboard;
using namespace std::chrono_literals;
using testing::FakeOpenAI;
using testing::Host;
using testing::kLlamaKey;
using testing::kOpenAIKey;
using testing::problems_of;

namespace {

// Ten bytes: with the fake counting one token per byte, the estimate (one token per byte at
// most) equals the bill: 10 tokens × $0.02 per million = 200 nano-dollars a call.
const std::string kTenBytes = "0123456789";
constexpr std::int64_t kCallNanos = 200;

// One call fits five times in the openai backend's hourly cap of $0.000001 (1,000 nano-dollars).
const char* const kCapped = R"([host]
default_mode = "MODE"
plugin_dirs = ["PLUGINS"]

[health]
probe_interval = "1h"

[cost]
pricing = "PRICING"
alert_percents = [50, 80]

[backends.openai]
plugin = "openai-embeddings"
api_key = "${OPENAI_API_KEY}"
settings = { base_url = "OPENAI_URL" }
[backends.openai.caps]
hourly = "0.000001"

[backends.mock-embed]
plugin = "mock-embeddings"

[services.embeddings]
capability = "embeddings"
real = ["openai"]
mock = "mock-embed"
)";

std::string config_in(std::string mode) {
    std::string toml = kCapped;
    toml.replace(toml.find("MODE"), 4, mode);
    return toml;
}

config::Environment keys() { return config::Environment{{{"OPENAI_API_KEY", kOpenAIKey}}}; }

EmbeddingsRequest ten_bytes() {
    EmbeddingsRequest request;
    request.inputs = {kTenBytes};
    return request;
}

std::vector<ledger::Row> ledger_rows(runtime::Runtime& rt) {
    rt.ledger().flush();
    ledger::Reader reader(rt.ledger().path());
    std::vector<ledger::Row> rows;
    reader.for_each({}, [&](const ledger::Row& row) { rows.push_back(row); });
    return rows;
}

}  // namespace

TEST_CASE("in hybrid mode a call that would pass a cap is served by the mock with reason budget", "[runtime][cost]") {
    Host host;
    host.openai.set_token_counting(FakeOpenAI::TokenCounting::bytes);
    auto& rt = host.start(config_in("hybrid"), keys());
    INFO(problems_of(rt));
    REQUIRE(rt.ok());

    for (int i = 0; i < 5; ++i) {
        auto routed = host.run(rt.router().embed("embeddings", ten_bytes()));
        REQUIRE(routed.result.ok());
        CHECK(routed.backend == "openai");
        CHECK(routed.cost.nanos == kCallNanos);
    }
    auto over = host.run(rt.router().embed("embeddings", ten_bytes()));

    REQUIRE(over.result.ok());
    CHECK(over.backend == "mock-embed");
    REQUIRE(over.fallbacks.size() == 1);
    CHECK(over.fallbacks[0].error.kind == ErrorKind::budget_exceeded);
    CHECK(router::fallback_reason(over.fallbacks[0].error) == "budget");
    CHECK(over.cost.nanos == 0);
    CHECK(over.shadow_cost.nanos > 0);  // the mock's tokens, priced on openai
    CHECK(host.openai.request_count() == 5);

    auto rows = ledger_rows(rt);
    REQUIRE(rows.size() == 6);
    std::int64_t spent = 0;
    for (const auto& row : rows) spent += row.cost.nanos;
    CHECK(spent == 5 * kCallNanos);
    CHECK(rows[0].backend == "openai");
    CHECK(rows[0].model == "text-embedding-3-small");
    CHECK(rows[0].input_tokens == 10);
    CHECK(rows[0].mode == "hybrid");
    CHECK(rows[0].outcome == "ok");
    CHECK(rows[5].backend == "mock-embed");
    CHECK(rows[5].fallback_reason == "budget");
    CHECK(rows[5].cost.nanos == 0);
    CHECK(rows[5].shadow_cost == over.shadow_cost);
}

TEST_CASE("in real mode a call that would pass a cap is refused with budget_exceeded, the cap and its reset",
          "[runtime][cost]") {
    Host host;
    host.openai.set_token_counting(FakeOpenAI::TokenCounting::bytes);
    auto& rt = host.start(config_in("real"), keys());
    INFO(problems_of(rt));
    REQUIRE(rt.ok());
    for (int i = 0; i < 5; ++i) REQUIRE(host.run(rt.router().embed("embeddings", ten_bytes())).result.ok());

    auto refused = host.run(rt.router().embed("embeddings", ten_bytes()));

    REQUIRE_FALSE(refused.result.ok());
    const Error& error = refused.result.error();
    INFO(error.message);
    CHECK(error.kind == ErrorKind::budget_exceeded);
    CHECK(error.message.find("hourly cap of backend 'openai'") != std::string::npos);
    CHECK(error.message.find("$0.000001") != std::string::npos);  // the limit
    CHECK(error.message.find("resets at") != std::string::npos);
    CHECK(error.message.find("Mode real never falls back to the mock 'mock-embed'") != std::string::npos);
    REQUIRE(error.retry_after.has_value());
    CHECK(*error.retry_after > 0ms);
    CHECK(*error.retry_after <= 3600s);
    CHECK(host.openai.request_count() == 5);
    auto rows = ledger_rows(rt);
    REQUIRE(rows.size() == 6);
    CHECK(rows[5].outcome == "budget_exceeded");
    CHECK(rows[5].backend.empty());
}

TEST_CASE("a restarted host rebuilds its spend from the ledger, so caps still hold", "[runtime][cost]") {
    Host host;
    host.openai.set_token_counting(FakeOpenAI::TokenCounting::bytes);
    {
        auto& rt = host.start(config_in("real"), keys());
        REQUIRE(rt.ok());
        for (int i = 0; i < 4; ++i) REQUIRE(host.run(rt.router().embed("embeddings", ten_bytes())).result.ok());
    }
    auto& restarted = host.start(config_in("real"), keys());
    REQUIRE(restarted.ok());

    auto caps = restarted.cost().caps();
    REQUIRE(caps.size() == 1);
    CHECK(caps[0].spent.nanos == 4 * kCallNanos);
    CHECK(host.run(restarted.router().embed("embeddings", ten_bytes())).result.ok());
    auto refused = host.run(restarted.router().embed("embeddings", ten_bytes()));
    REQUIRE_FALSE(refused.result.ok());
    CHECK(refused.result.error().kind == ErrorKind::budget_exceeded);
    CHECK(host.openai.request_count() == 5);
}

TEST_CASE("in mock mode every call is priced as shadow spend on the service's real backend", "[runtime][cost]") {
    Host host;
    auto& rt = host.start(config_in("mock"), keys());
    REQUIRE(rt.ok());
    EmbeddingsRequest request;
    request.inputs = {"the quick brown fox", "jumps over the lazy dog"};

    auto routed = host.run(rt.router().embed("embeddings", request));

    REQUIRE(routed.result.ok());
    CHECK(routed.backend == "mock-embed");
    const std::int64_t tokens = routed.result->usage.prompt_tokens;
    REQUIRE(tokens > 0);
    CHECK(routed.cost.nanos == 0);
    CHECK(routed.shadow_cost.nanos == tokens * 20);  // text-embedding-3-small: $0.02 per million tokens
    CHECK(host.openai.request_count() == 0);
    auto rows = ledger_rows(rt);
    REQUIRE(rows.size() == 1);
    CHECK(rows[0].mode == "mock");
    CHECK(rows[0].shadow_cost.nanos == tokens * 20);
    CHECK(rows[0].model == "text-embedding-3-small");
}

TEST_CASE("crossing an alert threshold logs one warning per window and threshold", "[runtime][cost]") {
    Host host;
    host.openai.set_token_counting(FakeOpenAI::TokenCounting::bytes);
    auto& rt = host.start(config_in("real"), keys());
    REQUIRE(rt.ok());
    auto count = [&](const std::string& needle) {
        std::size_t n = 0;
        const std::string text = host.log_text();
        for (auto at = text.find(needle); at != std::string::npos; at = text.find(needle, at + 1)) ++n;
        return n;
    };
    for (int i = 0; i < 5; ++i) REQUIRE(host.run(rt.router().embed("embeddings", ten_bytes())).result.ok());

    CHECK(count("the hourly cap of backend 'openai' is 50% used") == 1);  // at $0.0000006 of $0.000001
    CHECK(count("the hourly cap of backend 'openai' is 80% used") == 1);
    auto caps = rt.cost().caps();
    REQUIRE(caps.size() == 1);
    CHECK(caps[0].alert_percent == 80);
}

TEST_CASE("with an unwritable ledger paid calls are refused and mock calls go on", "[runtime][cost]") {
    Host host;
    host.openai.set_token_counting(FakeOpenAI::TokenCounting::bytes);
    // The ledger's folder would have to be inside a regular file: no user, root included, can create it.
    std::string toml = config_in("hybrid");
    toml.replace(toml.find("[cost]\n"), 7, "[cost]\nledger = \"blocker/ledger.sqlite\"\n");
    { std::ofstream(host.folder() / "blocker") << "a file, not a folder"; }
    auto& rt = host.start(toml, keys());
    INFO(problems_of(rt));
    REQUIRE(rt.ok());
    CHECK_FALSE(rt.ledger().healthy());

    auto routed = host.run(rt.router().embed("embeddings", ten_bytes()));

    REQUIRE(routed.result.ok());
    CHECK(routed.backend == "mock-embed");
    REQUIRE(routed.fallbacks.size() == 1);
    CHECK(routed.fallbacks[0].error.kind == ErrorKind::unavailable);
    CHECK(routed.fallbacks[0].error.message.find("spend ledger cannot be used") != std::string::npos);
    CHECK(routed.fallbacks[0].error.message.find("blocker") != std::string::npos);  // names the path
    CHECK(host.openai.request_count() == 0);

    SECTION("unless cost.on_ledger_failure is open") {
        toml.replace(toml.find("[cost]\n"), 7, "[cost]\non_ledger_failure = \"open\"\n");
        auto& open = host.start(toml, keys());
        REQUIRE(open.ok());
        auto paid = host.run(open.router().embed("embeddings", ten_bytes()));
        REQUIRE(paid.result.ok());
        CHECK(paid.backend == "openai");
        CHECK(host.openai.request_count() == 1);
    }
}

TEST_CASE("a real backend without a price, or with an unpriced model, is a config error", "[runtime][cost]") {
    Host host;
    std::string toml = config_in("hybrid");
    SECTION("a pricing file that does not price its plugin, and no price of its own") {
        { std::ofstream(host.folder() / "prices.toml") << "[mock-embeddings]\nfree = true\n"; }
        toml.replace(toml.find("PRICING"), 7, "prices.toml");
        auto& rt = host.start(toml, keys());
        CHECK_FALSE(rt.ok());
        CHECK(problems_of(rt).find("backend 'openai' (plugin 'openai-embeddings') is a real backend of service "
                                   "'embeddings' but has no price") != std::string::npos);
    }
    SECTION("a model the pricing file does not list") {
        toml.replace(toml.find("settings = { base_url"), 21, "settings = { model = \"text-embedding-9\", base_url");
        auto& rt = host.start(toml, keys());
        CHECK_FALSE(rt.ok());
        CHECK(problems_of(rt).find("backend 'openai' uses model 'text-embedding-9', which has no price") !=
              std::string::npos);
    }
    SECTION("a request naming an unpriced model is refused before it leaves the host") {
        auto& rt = host.start(toml, keys());
        REQUIRE(rt.ok());
        EmbeddingsRequest request = ten_bytes();
        request.model = "text-embedding-9";
        auto routed = host.run(rt.router().embed("embeddings", request));
        REQUIRE_FALSE(routed.result.ok());
        CHECK(routed.result.error().kind == ErrorKind::bad_request);
        CHECK(routed.result.error().message.find("no price for model 'text-embedding-9'") != std::string::npos);
        CHECK(host.openai.request_count() == 0);
    }
}

TEST_CASE("200 calls in flight against a cap that fits 50: exactly 50 reach the upstream", "[runtime][cost]") {
    Host host;
    host.openai.set_token_counting(FakeOpenAI::TokenCounting::bytes);
    std::string toml = config_in("hybrid");
    toml.replace(toml.find("hourly = \"0.000001\""), 19, "hourly = \"0.00001\"");  // 50 × 200 nano-dollars
    auto& rt = host.start(toml, keys());
    REQUIRE(rt.ok());

    std::vector<Host::Pending<router::Routed<EmbeddingsResponse>>> calls;
    for (int i = 0; i < 200; ++i) calls.push_back(host.begin(rt.router().embed("embeddings", ten_bytes())));
    std::vector<router::Routed<EmbeddingsResponse>> answers;
    for (auto& call : calls) answers.push_back(host.finish(call));

    std::size_t paid = 0;
    std::size_t budget = 0;
    for (const auto& answer : answers) {
        REQUIRE(answer.result.ok());
        if (answer.backend == "openai") ++paid;
        if (!answer.fallbacks.empty() && answer.fallbacks[0].error.kind == ErrorKind::budget_exceeded) ++budget;
    }
    CHECK(paid == 50);
    CHECK(budget == 150);
    CHECK(host.openai.request_count() == 50);
    auto caps = rt.cost().caps();
    REQUIRE(caps.size() == 1);
    CHECK(caps[0].spent.nanos == 50 * kCallNanos);
    CHECK(caps[0].reserved.nanos == 0);
    std::int64_t spent = 0;
    for (const auto& row : ledger_rows(rt)) spent += row.cost.nanos;
    CHECK(spent == 50 * kCallNanos);
}

TEST_CASE("a backend's local rpm limit sends the call after the limit to the mock until the bucket refills",
          "[runtime][cost]") {
    Host host;
    std::string toml = config_in("hybrid");
    toml.replace(toml.find("[backends.openai.caps]"), 22, "[backends.openai.limits]\nrpm = 2\n[backends.openai.caps]");
    auto& rt = host.start(toml, keys());
    INFO(problems_of(rt));
    REQUIRE(rt.ok());

    CHECK(host.run(rt.router().embed("embeddings", ten_bytes())).backend == "openai");
    CHECK(host.run(rt.router().embed("embeddings", ten_bytes())).backend == "openai");
    auto limited = host.run(rt.router().embed("embeddings", ten_bytes()));

    CHECK(limited.backend == "mock-embed");
    REQUIRE(limited.fallbacks.size() == 1);
    CHECK(limited.fallbacks[0].error.kind == ErrorKind::rate_limited);
    REQUIRE(limited.fallbacks[0].error.retry_after.has_value());
    CHECK(*limited.fallbacks[0].error.retry_after <= 30s);  // one request refills in 60 s / 2
    CHECK(limited.fallbacks[0].error.message.find("openai") != std::string::npos);
    CHECK(host.openai.request_count() == 2);
    CHECK(rt.health().snapshot("openai").consecutive_failures == 0);  // a local limit is not the backend's fault

    host.clock.advance(30s);  // the bucket refills one request every 30 s
    CHECK(host.run(rt.router().embed("embeddings", ten_bytes())).backend == "openai");
    CHECK(host.openai.request_count() == 3);
}

TEST_CASE("an attempt that answered garbage may have been billed: it counts at its estimate", "[runtime][cost]") {
    Host host;
    host.openai.push(FakeOpenAI::malformed_json());
    std::string toml = config_in("hybrid");
    toml.replace(toml.find("[backends.openai.caps]"), 22, "[backends.openai.http]\nmax_attempts = 1\n[backends.openai.caps]");
    auto& rt = host.start(toml, keys());
    INFO(problems_of(rt));
    REQUIRE(rt.ok());

    auto routed = host.run(rt.router().embed("embeddings", ten_bytes()));

    REQUIRE(routed.result.ok());
    CHECK(routed.backend == "mock-embed");
    REQUIRE(routed.fallbacks.size() == 1);
    CHECK(routed.fallbacks[0].error.kind == ErrorKind::upstream_error);
    CHECK(routed.cost.nanos == kCallNanos);  // ten bytes at most ten tokens: the estimate
    auto caps = rt.cost().caps();
    REQUIRE(caps.size() == 1);
    CHECK(caps[0].spent.nanos == kCallNanos);
    CHECK(caps[0].reserved.nanos == 0);
    auto rows = ledger_rows(rt);  // the attempt on its own row, against its own backend
    REQUIRE(rows.size() == 2);
    CHECK(rows[0].backend == "openai");
    CHECK(rows[0].outcome == "upstream_error");
    CHECK(rows[0].cost.nanos == kCallNanos);
    CHECK(rows[0].request_id == routed.request_id);
    CHECK(rows[1].backend == "mock-embed");
    CHECK(rows[1].outcome == "ok");
    CHECK(rows[1].cost.nanos == 0);
    CHECK(rows[1].fallback_reason == "upstream_error");
    CHECK(rows[1].request_id == routed.request_id);

    auto& restarted = host.start(toml, keys());  // the backend's cap still holds the attempt
    REQUIRE(restarted.ok());
    auto after = restarted.cost().caps();
    REQUIRE(after.size() == 1);
    CHECK(after[0].key.name == "openai");
    CHECK(after[0].spent.nanos == kCallNanos);
}

TEST_CASE("a half-open trial the cost gate refuses is handed back, so the backend is tried again later",
          "[runtime][cost]") {
    Host host;
    host.openai.push(FakeOpenAI::server_error(503));
    std::string toml = config_in("hybrid");
    const std::string health = "[health]\n";
    toml.replace(toml.find(health), health.size(), health + "failure_threshold = 1\ncooldown = \"1s\"\n");
    toml.replace(toml.find("[backends.openai.caps]"), 22,
                 "[backends.openai.http]\nmax_attempts = 1\n[backends.openai.limits]\nrpm = 1\n[backends.openai.caps]");
    auto& rt = host.start(toml, keys());
    INFO(problems_of(rt));
    REQUIRE(rt.ok());

    auto failed = host.run(rt.router().embed("embeddings", ten_bytes()));  // 503: the circuit opens
    CHECK(failed.backend == "mock-embed");
    CHECK(rt.health().snapshot("openai").circuit == health::Circuit::open);

    host.clock.advance(2s);  // past the cooldown, but the rpm bucket needs 60 s
    for (int i = 0; i < 2; ++i) {
        auto limited = host.run(rt.router().embed("embeddings", ten_bytes()));
        CHECK(limited.backend == "mock-embed");
        REQUIRE(limited.fallbacks.size() == 1);
        INFO(limited.fallbacks[0].error.message);
        CHECK(limited.fallbacks[0].error.kind == ErrorKind::rate_limited);  // not "a trial call is deciding"
    }

    host.clock.advance(60s);
    auto back = host.run(rt.router().embed("embeddings", ten_bytes()));
    CHECK(back.backend == "openai");
    CHECK(rt.health().snapshot("openai").circuit == health::Circuit::closed);
}

TEST_CASE("a client's own cap sends its calls to the mock in hybrid mode, others' calls still go real, and it holds "
          "after a restart",
          "[runtime][cost]") {
    Host host;
    host.openai.set_token_counting(FakeOpenAI::TokenCounting::bytes);
    // No backend cap; the client "etl" may spend 400 nano-dollars a day: two calls.
    std::string toml = config_in("hybrid");
    toml.replace(toml.find("[backends.openai.caps]\nhourly = \"0.000001\"\n"),
                 std::string("[backends.openai.caps]\nhourly = \"0.000001\"\n").size(), "");
    toml += R"(
[server.clients.etl]
key_sha256 = "3eb30d5c1d7a137487ac2caacc42c8933a122c80586dd93863930418f7aec0d1"
[server.clients.etl.caps]
daily = "0.0000004"
[server.clients.notebook]
key_sha256 = "0eb30d5c1d7a137487ac2caacc42c8933a122c80586dd93863930418f7aec0d1"
)";
    auto call_as = [&](runtime::Runtime& rt, const char* client) {
        router::CallOptions options;
        options.client = client;
        return host.run(rt.router().embed("embeddings", ten_bytes(), options));
    };
    {
        auto& rt = host.start(toml, keys());
        INFO(problems_of(rt));
        REQUIRE(rt.ok());
        CHECK(call_as(rt, "etl").backend == "openai");
        CHECK(call_as(rt, "etl").backend == "openai");
        auto over = call_as(rt, "etl");
        REQUIRE(over.result.ok());
        CHECK(over.backend == "mock-embed");
        REQUIRE(over.fallbacks.size() == 1);
        CHECK(over.fallbacks[0].error.message.find("the daily cap of client 'etl'") != std::string::npos);
        CHECK(call_as(rt, "notebook").backend == "openai");
        CHECK(host.openai.request_count() == 3);
    }
    auto& restarted = host.start(toml, keys());
    REQUIRE(restarted.ok());
    CHECK(call_as(restarted, "etl").backend == "mock-embed");
    CHECK(call_as(restarted, "notebook").backend == "openai");
    CHECK(host.openai.request_count() == 4);
}
