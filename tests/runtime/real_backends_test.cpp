// The real backend plugins inside the whole host: config → loader → runtime (health, router) →
// plugin → host HTTP client → loopback fakes of OpenAI and LlamaParse. Hybrid fallback reasons,
// client errors that must not fall back, missing keys, and no key in any log line.
#include <string>

#include <catch2/catch.hpp>

#include "host_rig.hpp"

using namespace switchboard;
using namespace std::chrono_literals;
using testing::FakeLlamaParse;
using testing::FakeOpenAI;
using testing::Host;
using testing::JobScript;
using testing::kLlamaKey;
using testing::kOpenAIKey;
using testing::problems_of;

namespace {

const char* const kHybrid = R"([host]
default_mode = "hybrid"
plugin_dirs = ["PLUGINS"]
log_level = "debug"

[health]
probe_interval = "1h"

[cost]
pricing = "PRICING"

[backends.openai]
plugin = "openai-embeddings"
api_key = "${OPENAI_API_KEY}"
settings = { base_url = "OPENAI_URL" }

[backends.llamaparse]
plugin = "llamaparse"
api_key = "${LLAMA_CLOUD_API_KEY}"
settings = { base_url = "LLAMA_URL" }

[backends.mock-embed]
plugin = "mock-embeddings"

[backends.mock-parse]
plugin = "mock-parse"

[services.embeddings]
capability = "embeddings"
real = ["openai"]
mock = "mock-embed"
fallback_timeout = "30s"

[services.documents]
capability = "parse"
real = ["llamaparse"]
mock = "mock-parse"
fallback_timeout = "300s"
)";

config::Environment keys() {
    return config::Environment{{{"OPENAI_API_KEY", kOpenAIKey}, {"LLAMA_CLOUD_API_KEY", kLlamaKey}}};
}

EmbeddingsRequest texts(std::vector<std::string> inputs = {"hello world"}) {
    EmbeddingsRequest request;
    request.inputs = std::move(inputs);
    return request;
}

ParseRequest document() {
    ParseRequest request;
    request.file_name = "notes.txt";
    request.mime_type = "text/plain";
    request.data = "first page\fsecond page";
    return request;
}

}  // namespace

TEST_CASE("in hybrid mode a healthy OpenAI backend serves and the mock is never asked", "[runtime][real]") {
    Host host;
    auto& rt = host.start(kHybrid, keys());
    INFO(problems_of(rt));
    REQUIRE(rt.ok());

    auto routed = host.run(rt.router().embed("embeddings", texts({"hello world", "second"})));

    REQUIRE(routed.result.ok());
    CHECK(routed.backend == "openai");
    CHECK(routed.fallbacks.empty());
    CHECK(routed.result->vectors.size() == 2);
    CHECK(routed.result->vectors[0] == FakeOpenAI::embedding("text-embedding-3-small", "hello world"));
    REQUIRE(host.openai.request_count() == 1);
    CHECK(host.openai.requests()[0].header("x-request-id") == std::nullopt);  // the fake's, not ours to send
}

TEST_CASE("in hybrid mode each availability failure falls back to the mock with its reason", "[runtime][real]") {
    Host host;
    struct Case {
        const char* name;
        std::vector<testing::Reply> replies;
        ErrorKind reason;
        std::size_t upstream_requests;
    };
    auto c = GENERATE(values<Case>({
        {"503 three times (retried by the host)",
         {FakeOpenAI::server_error(503), FakeOpenAI::server_error(503), FakeOpenAI::server_error(503)},
         ErrorKind::unavailable, 3},
        {"429 insufficient_quota (never retried)", {FakeOpenAI::insufficient_quota()}, ErrorKind::quota, 1},
        {"429 asking for a wait past retry_after_max", {FakeOpenAI::rate_limited(120s)}, ErrorKind::rate_limited, 1},
        {"401 invalid key", {FakeOpenAI::error(401, "Incorrect API key provided", "invalid_request_error",
                                               std::nullopt, "invalid_api_key")},
         ErrorKind::auth, 1},
        {"200 with malformed JSON", {FakeOpenAI::malformed_json()}, ErrorKind::upstream_error, 1},
        {"a body cut short, three times",
         {FakeOpenAI::truncated(), FakeOpenAI::truncated(), FakeOpenAI::truncated()}, ErrorKind::upstream_error, 3},
    }));
    INFO(c.name);
    for (auto& reply : c.replies) host.openai.push(reply);
    auto& rt = host.start(kHybrid, keys());
    REQUIRE(rt.ok());

    auto routed = host.run(rt.router().embed("embeddings", texts()));

    REQUIRE(routed.result.ok());
    CHECK(routed.backend == "mock-embed");
    REQUIRE(routed.fallbacks.size() == 1);
    CHECK(routed.fallbacks[0].backend == "openai");
    CHECK(routed.fallbacks[0].error.kind == c.reason);
    CHECK(host.openai.request_count() == c.upstream_requests);
    // What a caller sees is not redacted by the logger: it must not carry the key to begin with.
    CHECK(routed.fallbacks[0].error.message.find(kOpenAIKey.substr(8, 16)) == std::string::npos);
    CHECK(host.log_text().find(kOpenAIKey) == std::string::npos);
}

TEST_CASE("an upstream that never answers is cut off at the fallback timeout and the mock serves", "[runtime][real]") {
    Host host;
    host.openai.push(FakeOpenAI::never_answer());
    auto& rt = host.start(kHybrid, keys());
    REQUIRE(rt.ok());

    auto pending = host.begin(rt.router().embed("embeddings", texts()));
    REQUIRE(host.openai.server().wait_for_requests(1, 10s));
    host.clock.advance(30s);  // the service's fallback_timeout
    auto routed = host.finish(pending);

    REQUIRE(routed.result.ok());
    CHECK(routed.backend == "mock-embed");
    REQUIRE(routed.fallbacks.size() == 1);
    CHECK(routed.fallbacks[0].error.kind == ErrorKind::timeout);
    // The cancelled exchange closed its connection: nothing is left holding the upstream.
    CHECK(host.openai.server().wait_for_open_connections(0, 10s));
}

TEST_CASE("client errors are returned as they are, never hidden by the mock", "[runtime][real]") {
    Host host;
    host.openai.push(FakeOpenAI::invalid_request("'$.input' is invalid.", "input"));
    auto& rt = host.start(kHybrid, keys());
    REQUIRE(rt.ok());

    auto routed = host.run(rt.router().embed("embeddings", texts()));

    REQUIRE_FALSE(routed.result.ok());
    CHECK(routed.result.error().kind == ErrorKind::bad_request);
    CHECK(routed.result.error().upstream_status == 400);
    CHECK(routed.backend == "openai");
    CHECK(routed.fallbacks.empty());
    CHECK(host.openai.request_count() == 1);
}

TEST_CASE("a LlamaParse job that fails or a 402 falls back to the mock parser", "[runtime][real]") {
    Host host;
    host.llama.use_clock(&host.clock);
    ErrorKind reason = ErrorKind::upstream_error;
    SECTION("the job fails upstream") {
        host.llama.script_next_job(JobScript::fails("Unsupported file structure"));
    }
    SECTION("the account is out of credits") {
        host.llama.push(FakeLlamaParse::error(402, "Insufficient credits"));
        reason = ErrorKind::quota;
    }
    auto& rt = host.start(kHybrid, keys());
    REQUIRE(rt.ok());

    auto routed = host.run(rt.router().parse("documents", document()));

    REQUIRE(routed.result.ok());
    CHECK(routed.backend == "mock-parse");
    REQUIRE(routed.fallbacks.size() == 1);
    CHECK(routed.fallbacks[0].backend == "llamaparse");
    CHECK(routed.fallbacks[0].error.kind == reason);
    CHECK(routed.fallbacks[0].error.message.find(kLlamaKey.substr(9, 16)) == std::string::npos);
    CHECK(host.log_text().find(kLlamaKey) == std::string::npos);
}

TEST_CASE("a healthy LlamaParse backend parses through upload and polling", "[runtime][real]") {
    Host host;
    host.llama.use_clock(&host.clock);
    auto& rt = host.start(kHybrid, keys());
    REQUIRE(rt.ok());

    auto routed = host.run(rt.router().parse("documents", document()));

    INFO((routed.result.ok() ? std::string() : describe(routed.result.error())));
    INFO(host.log_text());
    REQUIRE(routed.result.ok());
    CHECK(routed.backend == "llamaparse");
    REQUIRE(routed.result->pages.size() == 2);
    CHECK(routed.result->pages[1].markdown == FakeLlamaParse::page_markdown(2, "second page"));
    CHECK(routed.result->usage.pages == 2);
    CHECK(routed.result->usage.credits == 2.0);  // tier fast: 1 credit a page
}

TEST_CASE("in hybrid mode a backend without its key starts unhealthy and the mock serves", "[runtime][real]") {
    Host host;
    auto& rt = host.start(kHybrid, config::Environment{{{"OPENAI_API_KEY", ""}, {"LLAMA_CLOUD_API_KEY", kLlamaKey}}});
    INFO(problems_of(rt));
    REQUIRE(rt.ok());
    CHECK(problems_of(rt).find("warning: backends.openai: has no API key, so it starts unhealthy (auth)") !=
          std::string::npos);

    auto health = rt.health().snapshot("openai");
    CHECK(health.state == health::State::unhealthy);
    REQUIRE(health.last_error);
    CHECK(health.last_error->kind == ErrorKind::auth);
    CHECK(health.last_error->message == "no API key configured; set OPENAI_API_KEY or api_key in [backends.openai]");

    auto routed = host.run(rt.router().embed("embeddings", texts()));
    REQUIRE(routed.result.ok());
    CHECK(routed.backend == "mock-embed");
    REQUIRE(routed.fallbacks.size() == 1);
    CHECK(routed.fallbacks[0].error.kind == ErrorKind::auth);
    CHECK(host.openai.request_count() == 0);
}

TEST_CASE("in real mode a backend without its key is a config error", "[runtime][real]") {
    Host host;
    std::string toml = kHybrid;
    toml.replace(toml.find("default_mode = \"hybrid\""), 23, "default_mode = \"real\"");
    auto& rt = host.start(toml, config::Environment{{{"OPENAI_API_KEY", ""}, {"LLAMA_CLOUD_API_KEY", kLlamaKey}}});

    CHECK_FALSE(rt.ok());
    CHECK(problems_of(rt).find("error: backends.openai: has no API key, but service 'embeddings' routes to it in "
                               "real mode; set OPENAI_API_KEY in the environment or in .env.development, or api_key "
                               "in [backends.openai]") != std::string::npos);
}

TEST_CASE("keys and base URLs come from OPENAI_* and LLAMA_CLOUD_* when the config leaves them out", "[runtime][real]") {
    Host host;
    host.llama.use_clock(&host.clock);
    auto& rt = host.start(R"([host]
default_mode = "real"
plugin_dirs = ["PLUGINS"]

[health]
probe_interval = "1h"

[cost]
pricing = "PRICING"

[backends.openai]
plugin = "openai-embeddings"

[backends.llamaparse]
plugin = "llamaparse"

[services.embeddings]
capability = "embeddings"
real = ["openai"]

[services.documents]
capability = "parse"
real = ["llamaparse"]
)",
                          config::Environment{{{"OPENAI_API_KEY", kOpenAIKey},
                                               {"OPENAI_BASE_URL", host.openai.base_url()},
                                               {"LLAMA_CLOUD_API_KEY", kLlamaKey},
                                               {"LLAMA_CLOUD_BASE_URL", host.llama.base_url()}}});
    INFO(problems_of(rt));
    REQUIRE(rt.ok());

    CHECK(host.run(rt.router().embed("embeddings", texts())).result.ok());
    CHECK(host.run(rt.router().parse("documents", document())).result.ok());
    REQUIRE(host.openai.request_count() == 1);
    CHECK(host.openai.requests()[0].header("Authorization") == "Bearer " + kOpenAIKey);
    CHECK(host.llama.uploads().size() == 1);
}

TEST_CASE("status details show the upstream's request id and rate-limit headroom", "[runtime][real]") {
    Host host;
    auto& rt = host.start(kHybrid, keys());
    REQUIRE(rt.ok());
    REQUIRE(host.run(rt.router().embed("embeddings", texts())).result.ok());

    auto details = rt.status_details("openai");
    std::string shown;
    for (const auto& [label, value] : details) shown += label + "=" + value + ";";
    INFO(shown);
    CHECK(shown.find("req_") != std::string::npos);  // the fake's x-request-id
    CHECK(shown.find(kOpenAIKey) == std::string::npos);
}

TEST_CASE("a password in a base URL appears in no log line and no error message", "[runtime][real]") {
    Host host;
    for (int i = 0; i < 3; ++i) host.openai.push(FakeOpenAI::server_error(503));
    std::string toml = kHybrid;
    toml.replace(toml.find("base_url = \"OPENAI_URL\""), 23, "base_url = \"OPENAI_URL_WITH_PASSWORD\"");
    std::string url = host.openai.base_url();
    url.replace(url.find("://") + 3, 0, "gateway:s3cretpw9@");
    toml.replace(toml.find("OPENAI_URL_WITH_PASSWORD"), 24, url);
    auto& rt = host.start(toml, keys());
    REQUIRE(rt.ok());

    auto routed = host.run(rt.router().embed("embeddings", texts()));

    REQUIRE(routed.fallbacks.size() == 1);
    CHECK(routed.fallbacks[0].error.kind == ErrorKind::unavailable);
    CHECK(routed.fallbacks[0].error.message.find("s3cretpw9") == std::string::npos);
    CHECK(host.log_text().find("started") != std::string::npos);  // the plugin's start line, URL included
    CHECK(host.log_text().find("s3cretpw9") == std::string::npos);
    CHECK(host.openai.request_count() == 3);
}
