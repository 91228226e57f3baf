// End-to-end tests of the `switchboard` command: the real binary, the real plugins, real files.
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include <boost/json.hpp>
#include <catch2/catch.hpp>

#include "fakes/fake_llamaparse.hpp"
#include "fakes/fake_openai.hpp"
#include "fakes/temp_dir.hpp"

namespace fs = std::filesystem;

namespace {

struct Run {
    int exit_code;
    std::string out;
    std::string err;
};

std::string read_all(const fs::path& file) {
    std::ifstream in(file, std::ios::binary);
    std::ostringstream s;
    s << in.rdbuf();
    return s.str();
}

std::string quote(const std::string& arg) {
    std::string out = "'";
    for (char c : arg) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
    return out + "'";
}

const fs::path& binary() {
    static const fs::path path = fs::path(SWITCHBOARD_BINARY_DIR) / "bin" / "switchboard";
    return path;
}

const std::string& plugin_dir() {
    static const std::string dir = SWITCHBOARD_PLUGIN_DIR;
    return dir;
}

// Runs the binary with `args`; the plugin folder and the ledger come from environment
// overrides, as a user would redirect them: the ledger goes to the scratch folder.
Run run(const switchboard::testing::TempDir& scratch, const std::vector<std::string>& args, const std::string& env = "") {
    std::string command = "env SWITCHBOARD__HOST__PLUGIN_DIRS=" + quote(plugin_dir()) +
                          " SWITCHBOARD__COST__LEDGER=" + quote((scratch.path() / "ledger.sqlite").string()) + " " +
                          env + " " + quote(binary().string());
    for (const auto& a : args) command += " " + quote(a);
    command += " >" + quote((scratch.path() / "stdout").string()) + " 2>" + quote((scratch.path() / "stderr").string());
    int status = std::system(command.c_str());
    return {WIFEXITED(status) ? WEXITSTATUS(status) : -1, read_all(scratch.path() / "stdout"),
            read_all(scratch.path() / "stderr")};
}

// The variables that point the real plugins at the loopback fakes, as a user would set them.
std::string upstream_env(const std::string& openai_key, const std::string& openai_url, const std::string& llama_key,
                         const std::string& llama_url) {
    return "OPENAI_API_KEY=" + quote(openai_key) + " OPENAI_BASE_URL=" + quote(openai_url) +
           " LLAMA_CLOUD_API_KEY=" + quote(llama_key) + " LLAMA_CLOUD_BASE_URL=" + quote(llama_url);
}

fs::path shipped_config() {
    return fs::path(SWITCHBOARD_SOURCE_DIR) / "config" / "switchboard.toml";
}

const char* kHybridConfig = R"([host]
default_mode = "hybrid"
log_level = "warn"

[backends.flaky]
plugin = "mock-embeddings"
[backends.flaky.settings]
failure_rate = 1.0
failure_kind = "unavailable"

[backends.mock-embed]
plugin = "mock-embeddings"

[services.embeddings]
capability = "embeddings"
real = ["flaky"]
mock = "mock-embed"
)";

}  // namespace

TEST_CASE("the version flag names the SDK version and plugin ABI", "[cli]") {
    switchboard::testing::TempDir s;
    auto r = run(s, {"--version"});
    CHECK(r.exit_code == 0);
    CHECK(r.out == "switchboard 0.3.0 (plugin ABI 2.1)\n");
}

TEST_CASE("every command answers --help", "[cli]") {
    switchboard::testing::TempDir s;
    for (const char* command : {"plugins", "check-config", "embed", "parse", "status", "demo", "costs"}) {
        auto r = run(s, {command, "--help"});
        INFO(command);
        CHECK(r.exit_code == 0);
        CHECK(r.out.find("Usage:") != std::string::npos);
    }
}

TEST_CASE("a bad command line exits 2", "[cli]") {
    switchboard::testing::TempDir s;
    CHECK(run(s, {"embed", "--config", shipped_config().string()}).exit_code == 2);  // no text
    CHECK(run(s, {"frobnicate"}).exit_code == 2);
    CHECK(run(s, {"embed", "--config", shipped_config().string(), "--mode", "sideways", "hi"}).exit_code == 2);
}

TEST_CASE("check-config accepts the shipped config", "[cli]") {
    switchboard::testing::TempDir s;
    auto r = run(s, {"check-config", shipped_config().string()});
    INFO(r.err);
    CHECK(r.exit_code == 0);
    CHECK(r.out.find(": ok (environment development, 2 backend(s), 2 service(s))") != std::string::npos);
}

TEST_CASE("check-config prints every problem with position and exits 2", "[cli]") {
    switchboard::testing::TempDir s;
    auto config = s.write("bad.toml", R"([host]
default_mode = "hybird"

[backends.mock-embed]
plugin = "mock-embedings"

[services.embeddings]
capability = "embeddings"
mock = "mock-embd"
)");
    auto r = run(s, {"check-config", config.string()});
    CHECK(r.exit_code == 2);
    const std::string file = config.string();
    CHECK(r.err.find(file + ":2:16: error: host.default_mode:") != std::string::npos);
    CHECK(r.err.find("services.embeddings.mock") != std::string::npos);
    CHECK(r.err.find("did you mean 'mock-embed'?") != std::string::npos);
    CHECK(r.err.find("error(s)") != std::string::npos);
}

TEST_CASE("plugins lists the shipped mock plugins as loaded", "[cli]") {
    switchboard::testing::TempDir s;
    auto r = run(s, {"plugins", "--config", shipped_config().string()});
    CHECK(r.exit_code == 0);
    CHECK(r.out.rfind("FILE", 0) == 0);
    for (const char* name : {"mock-embeddings", "mock-parse"}) {
        INFO(r.out);
        auto line_start = r.out.find(std::string("/") + name + ".so");
        REQUIRE(line_start != std::string::npos);
        auto line = r.out.substr(line_start, r.out.find('\n', line_start) - line_start);
        CHECK(line.find(" 1.0.0 ") != std::string::npos);
        CHECK(line.find(" 2.1 ") != std::string::npos);
        CHECK(line.ends_with("loaded"));
    }
}

TEST_CASE("embed prints OpenAI-shaped JSON and who served it", "[cli]") {
    switchboard::testing::TempDir s;
    auto r = run(s, {"embed", "--config", shipped_config().string(), "--dimensions", "8", "hello world",
                     "second text"});
    INFO(r.err);
    REQUIRE(r.exit_code == 0);
    auto json = boost::json::parse(r.out).as_object();
    CHECK(json.at("object") == "list");
    auto& data = json.at("data").as_array();
    REQUIRE(data.size() == 2);
    CHECK(data[1].at("index") == 1);
    CHECK(data[0].at("embedding").as_array().size() == 8);
    CHECK(json.at("usage").at("prompt_tokens").as_int64() > 0);
    CHECK(r.err.find("served by 'mock-embed' (mode mock, request req_") != std::string::npos);
}

TEST_CASE("embed is deterministic across runs", "[cli]") {
    switchboard::testing::TempDir s;
    auto a = run(s, {"embed", "--config", shipped_config().string(), "--dimensions", "16", "same text"});
    auto b = run(s, {"embed", "--config", shipped_config().string(), "--dimensions", "16", "same text"});
    REQUIRE(a.exit_code == 0);
    REQUIRE(b.exit_code == 0);
    auto data = boost::json::parse(a.out).at("data").as_array();
    REQUIRE(data.size() == 1);
    CHECK(data[0].at("embedding").as_array().size() == 16);
    CHECK(a.out == b.out);
}

TEST_CASE("hybrid falls back to the mock and says why", "[cli]") {
    switchboard::testing::TempDir s;
    auto config = s.write("hybrid.toml", kHybridConfig);
    auto r = run(s, {"embed", "--config", config.string(), "hello"});
    INFO(r.err);
    CHECK(r.exit_code == 0);
    CHECK(r.err.find("fell back from 'flaky': unavailable: ") != std::string::npos);
    CHECK(r.err.find("served by 'mock-embed' (mode hybrid") != std::string::npos);
}

TEST_CASE("real mode never answers from the mock: unavailable exits 10", "[cli]") {
    switchboard::testing::TempDir s;
    auto config = s.write("hybrid.toml", kHybridConfig);
    auto r = run(s, {"embed", "--config", config.string(), "--mode", "real", "hello"});
    CHECK(r.exit_code == 10);
    CHECK(r.out.empty());
    CHECK(r.err.find("error: unavailable: ") != std::string::npos);
    CHECK(r.err.find("served by") == std::string::npos);
}

TEST_CASE("an unknown service is a bad request naming the known ones", "[cli]") {
    switchboard::testing::TempDir s;
    auto r = run(s, {"embed", "--config", shipped_config().string(), "--service", "nope", "hello"});
    CHECK(r.exit_code == 15);
    CHECK(r.err.find("error: bad_request: unknown service 'nope' (known: documents, embeddings) (request req_") !=
          std::string::npos);
}

TEST_CASE("parse turns HTML into markdown, or JSON with --json", "[cli]") {
    switchboard::testing::TempDir s;
    auto doc = s.write("page.html", "<html><body><h1>Quarterly report</h1><p>Revenue grew.</p></body></html>");
    auto r = run(s, {"parse", "--config", shipped_config().string(), doc.string()});
    INFO(r.err);
    REQUIRE(r.exit_code == 0);
    CHECK(r.out.find("# Quarterly report") != std::string::npos);
    CHECK(r.out.find("Revenue grew.") != std::string::npos);
    CHECK(r.err.find("served by 'mock-parse'") != std::string::npos);

    auto j = run(s, {"parse", "--config", shipped_config().string(), "--json", doc.string()});
    REQUIRE(j.exit_code == 0);
    auto json = boost::json::parse(j.out).as_object();
    CHECK(json.at("pages").as_array().size() == 1);
    CHECK(json.at("usage").at("pages") == 1);
}

TEST_CASE("parse of a missing file is a usage error", "[cli]") {
    switchboard::testing::TempDir s;
    auto missing = (s.path() / "missing.pdf").string();
    auto r = run(s, {"parse", "--config", shipped_config().string(), missing});
    CHECK(r.exit_code == 2);
    CHECK(r.err.find("path: File does not exist: " + missing) != std::string::npos);
}

TEST_CASE("status probes every backend", "[cli]") {
    switchboard::testing::TempDir s;
    auto r = run(s, {"status", "--config", shipped_config().string()});
    INFO(r.err);
    CHECK(r.exit_code == 0);
    for (const char* backend : {"\nmock-embed ", "\nmock-parse "}) {
        auto start = r.out.find(backend);
        REQUIRE(start != std::string::npos);
        auto line = r.out.substr(start + 1, r.out.find('\n', start + 1) - start - 1);
        INFO(line);
        CHECK(line.find(" healthy  closed ") != std::string::npos);
    }
}

TEST_CASE("demo lists plugins and makes one embed and one parse call", "[cli]") {
    switchboard::testing::TempDir s;
    auto r = run(s, {"demo", "--config", shipped_config().string()});
    INFO(r.err);
    CHECK(r.exit_code == 0);
    CHECK(r.out.find("mock-embeddings") != std::string::npos);
    CHECK(r.out.find("served by 'mock-embed'") != std::string::npos);
    CHECK(r.out.find("# Welcome to Switchboard") != std::string::npos);
}

TEST_CASE("an API key in config never appears in output, even where a problem quotes it", "[cli]") {
    switchboard::testing::TempDir s;
    const std::string key = "sk-proj-DoNotPrintThisKey0123456789";
    // The key lands where a typo would be quoted back: the problem must show it redacted.
    auto config = s.write("keyed.toml", R"([backends.mock-embed]
plugin = "mock-embeddings"
api_key = "${FLAKY_KEY}"
[services.embeddings]
capability = "embeddings"
mock = "${FLAKY_KEY}"
)");
    auto r = run(s, {"check-config", config.string(), "--log-level", "trace"}, "FLAKY_KEY=" + key);
    INFO(r.err);
    CHECK(r.exit_code == 2);
    CHECK(r.err.find("services.embeddings.mock") != std::string::npos);
    CHECK(r.err.find("[REDACTED]") != std::string::npos);
    CHECK(r.out.find(key) == std::string::npos);
    CHECK(r.err.find(key) == std::string::npos);
}

TEST_CASE("status exits 3 and shows why when a backend fails its probe", "[cli]") {
    switchboard::testing::TempDir s;
    auto config = s.write("hybrid.toml", kHybridConfig);
    auto r = run(s, {"status", "--config", config.string()});
    CHECK(r.exit_code == 3);
    auto line_start = r.out.find("\nflaky ");
    REQUIRE(line_start != std::string::npos);
    auto line = r.out.substr(line_start + 1, r.out.find('\n', line_start + 1) - line_start - 1);
    CHECK(line.find(" unhealthy ") != std::string::npos);
    CHECK(line.find("unavailable: ") != std::string::npos);
}

TEST_CASE("a service error exits with the code of its kind when every backend failed the same way", "[cli]") {
    switchboard::testing::TempDir s;
    const std::pair<const char*, int> cases[] = {
        {"unavailable", 10}, {"timeout", 11}, {"rate_limited", 12}, {"malformed", 16}};
    for (auto [kind, code] : cases) {
        auto config = s.write("one.toml", std::string(R"([host]
log_level = "error"
[backends.only]
plugin = "mock-embeddings"
[backends.only.settings]
failure_rate = 1.0
failure_kind = ")") + kind + R"("
timeout_hang_ms = 200
[services.embeddings]
capability = "embeddings"
mode = "real"
real = ["only"]
fallback_timeout = "100ms"
)");
        auto r = run(s, {"embed", "--config", config.string(), "hello"});
        INFO(kind << ": " << r.err);
        CHECK(r.exit_code == code);
        CHECK(r.out.empty());
    }
}

TEST_CASE("check-config creates no ledger file, and reports a ledger path that cannot be written", "[cli]") {
    switchboard::testing::TempDir s;
    auto config = s.write("plain.toml", "[host]\nlog_level = \"warn\"\n");
    auto r = run(s, {"check-config", config.string()});  // the ledger: s/ledger.sqlite
    INFO(r.err);
    CHECK(r.exit_code == 0);
    CHECK_FALSE(std::filesystem::exists(s.path() / "ledger.sqlite"));

    auto blocker = s.write("not-a-folder", "a file where the ledger's folder would go");
    auto b = run(s, {"check-config", config.string()},
                 "SWITCHBOARD__COST__LEDGER=" + quote((blocker / "ledger.sqlite").string()));
    INFO(b.err);
    CHECK(b.exit_code == 2);
    CHECK(b.err.find(": error: cost.ledger: cannot create the folder " + blocker.string() +
                     " for the spend ledger " + blocker.string() + "/ledger.sqlite") != std::string::npos);
    CHECK(b.err.find(": 1 error(s), 0 warning(s)") != std::string::npos);
}

TEST_CASE("check-config fails on warnings too", "[cli]") {
    switchboard::testing::TempDir s;
    auto config = s.write("warn.toml", R"([backends.e]
plugin = "mock-embeddings"
[services.embeddings]
capability = "embeddings"
mode = "hybrid"
real = ["e"]
)");
    auto r = run(s, {"check-config", config.string()});
    INFO(r.err);
    CHECK(r.exit_code == 2);
    CHECK(r.err.find(": warning: services.embeddings") != std::string::npos);
    CHECK(r.err.find(": 0 error(s), 1 warning(s)") != std::string::npos);
}

TEST_CASE("a run against real backends that fail in every way never shows the API keys", "[cli][real]") {
    using switchboard::testing::FakeLlamaParse;
    using switchboard::testing::FakeOpenAI;
    const std::string openai_key = "sk-test-CLIKEY-abcdefghijklmnopqrstuvwxyz012345";
    const std::string llama_key = "llx-test-CLIKEY-abcdefghijklmnopqrstuvwxyz0123";
    FakeOpenAI openai(openai_key);
    FakeLlamaParse llama(llama_key);
    switchboard::testing::TempDir s;
    auto config = s.write("hybrid.toml", R"([host]
default_mode = "hybrid"
log_level = "debug"

[backends.openai]
plugin = "openai-embeddings"
http = { max_attempts = 1 }

[backends.llamaparse]
plugin = "llamaparse"
http = { max_attempts = 1 }

[backends.mock-embed]
plugin = "mock-embeddings"

[backends.mock-parse]
plugin = "mock-parse"

[services.embeddings]
capability = "embeddings"
real = ["openai"]
mock = "mock-embed"

[services.documents]
capability = "parse"
real = ["llamaparse"]
mock = "mock-parse"
)");
    auto document = s.write("notes.txt", "hello");
    const std::string env = upstream_env(openai_key, openai.base_url(), llama_key, llama.base_url());
    std::string everything;
    auto record = [&](const Run& r, int expected_exit) {
        INFO(r.out + r.err);
        CHECK(r.exit_code == expected_exit);
        everything += r.out + r.err;
    };

    openai.push(FakeOpenAI::error(401, "Incorrect API key provided: " + openai_key.substr(0, 8) + "****",
                                  "invalid_request_error", std::nullopt, "invalid_api_key"));
    record(run(s, {"embed", "--config", config.string(), "one"}, env), 0);  // served by the mock
    openai.push(FakeOpenAI::server_error(503));
    record(run(s, {"embed", "--config", config.string(), "two"}, env), 0);
    openai.push(FakeOpenAI::invalid_request("bad input"));
    record(run(s, {"embed", "--config", config.string(), "three"}, env), 15);  // bad_request, not hidden
    llama.push(FakeLlamaParse::error(401, "Invalid authentication token"));
    record(run(s, {"parse", "--config", config.string(), document.string()}, env), 0);
    llama.push(FakeLlamaParse::error(401, "Invalid authentication token"));
    record(run(s, {"status", "--config", config.string()}, env), 3);  // llamaparse unhealthy
    record(run(s, {"check-config", config.string()}, env), 0);

    CHECK(openai.request_count() >= 3);
    CHECK(everything.find("fell back from 'openai': auth") != std::string::npos);
    CHECK(everything.find("fell back from 'openai': unavailable") != std::string::npos);
    CHECK(everything.find("fell back from 'llamaparse': auth") != std::string::npos);
    CHECK(everything.find("[debug]") != std::string::npos);  // debug lines were written, and checked
    CHECK(everything.find(openai_key) == std::string::npos);
    CHECK(everything.find(llama_key) == std::string::npos);
    CHECK(everything.find(openai_key.substr(3)) == std::string::npos);
    CHECK(everything.find(llama_key.substr(4)) == std::string::npos);
}

TEST_CASE("status probes the real backends and shows what their upstream last said", "[cli][real]") {
    using switchboard::testing::FakeLlamaParse;
    using switchboard::testing::FakeOpenAI;
    const std::string openai_key = "sk-test-STATUSKEY-abcdefghijklmnopqrstuvwxyz0123";
    const std::string llama_key = "llx-test-STATUSKEY-abcdefghijklmnopqrstuvwxyz01";
    FakeOpenAI openai(openai_key);
    FakeLlamaParse llama(llama_key);
    switchboard::testing::TempDir s;
    auto config = s.write("hybrid.toml", R"([host]
default_mode = "hybrid"

[backends.openai]
plugin = "openai-embeddings"

[backends.llamaparse]
plugin = "llamaparse"

[backends.mock-embed]
plugin = "mock-embeddings"

[services.embeddings]
capability = "embeddings"
real = ["openai"]
mock = "mock-embed"

[services.documents]
capability = "parse"
real = ["llamaparse"]
)");
    auto r = run(s, {"status", "--config", config.string()},
                 upstream_env(openai_key, openai.base_url(), llama_key, llama.base_url()));

    INFO(r.out + r.err);
    CHECK(r.exit_code == 0);
    // One probe each: GET /v1/models and GET /api/v2/parse?page_size=1.
    REQUIRE(openai.request_count() == 1);
    CHECK(openai.requests()[0].method == "GET");
    CHECK(openai.requests()[0].path == "/v1/models");
    REQUIRE(llama.server().request_count() == 1);
    CHECK(llama.server().requests()[0].path == "/api/v2/parse");
    CHECK(r.out.find("\nopenai:\n  upstream request id: req_") != std::string::npos);
    CHECK(r.out.find("  requests remaining: ") != std::string::npos);
    CHECK((r.out + r.err).find(openai_key) == std::string::npos);
    CHECK((r.out + r.err).find(llama_key) == std::string::npos);
}

TEST_CASE("costs summary, forecast and export read what the calls wrote to the ledger", "[cli][cost]") {
    switchboard::testing::TempDir s;
    const std::string config = shipped_config().string();
    REQUIRE(run(s, {"embed", "--config", config, "one", "two"}).exit_code == 0);
    REQUIRE(run(s, {"embed", "--config", config, "three"}).exit_code == 0);
    REQUIRE(run(s, {"demo", "--config", config}).exit_code == 0);

    auto csv = run(s, {"costs", "export", "--config", config, "--format", "csv"});
    INFO(csv.err);
    REQUIRE(csv.exit_code == 0);
    CHECK(csv.out.starts_with("time,request_id,client,service,backend,model,mode,fallback_reason,input_tokens,pages,"
                              "credits,cost_usd,shadow_cost_usd,latency_ms,outcome\r\n"));
    CHECK(std::count(csv.out.begin(), csv.out.end(), '\n') == 5);  // header, 2 embeds, the demo's embed and parse
    CHECK(csv.err.find("exported 4 row(s)") != std::string::npos);

    auto json = run(s, {"costs", "export", "--config", config, "--format", "json", "--service", "embeddings"});
    REQUIRE(json.exit_code == 0);
    auto rows = boost::json::parse(json.out).as_array();
    REQUIRE(rows.size() == 3);
    CHECK(rows[0].at("client") == "cli");
    CHECK(rows[0].at("service") == "embeddings");
    CHECK(rows[0].at("backend") == "mock-embed");
    CHECK(rows[0].at("mode") == "mock");
    CHECK(rows[0].at("outcome") == "ok");
    CHECK(rows[2].at("client") == "demo");

    auto summary = run(s, {"costs", "summary", "--config", config, "--format", "json", "--group", "client", "--by",
                           "month"});
    REQUIRE(summary.exit_code == 0);
    auto report = boost::json::parse(summary.out).as_object();
    CHECK(report.at("timezone") == "UTC");
    auto lines = report.at("lines").as_array();
    REQUIRE(lines.size() == 2);  // this month: cli and demo
    CHECK(lines[0].at("client") == "cli");
    CHECK(lines[0].at("calls") == 2);
    CHECK(lines[1].at("client") == "demo");
    CHECK(lines[1].at("calls") == 2);
    CHECK(report.at("total").at("calls") == 4);

    auto table = run(s, {"costs", "summary", "--config", config});
    REQUIRE(table.exit_code == 0);
    CHECK(table.out.find("WINDOW") != std::string::npos);
    CHECK(table.out.find("embeddings") != std::string::npos);

    auto forecast = run(s, {"costs", "forecast", "--config", config, "--format", "json"});
    REQUIRE(forecast.exit_code == 0);
    auto projected = boost::json::parse(forecast.out).as_object();
    CHECK(projected.at("spent_today_usd").as_double() == 0.0);  // mocks cost nothing
    CHECK(projected.at("method").as_string().size() > 0);
    CHECK(projected.at("caps").as_array().size() == 2);  // the shipped daily and monthly caps
}

TEST_CASE("costs commands explain bad input and a missing ledger", "[cli][cost]") {
    switchboard::testing::TempDir s;
    const std::string config = shipped_config().string();
    auto missing = run(s, {"costs", "summary", "--config", config, "--format", "json"});
    CHECK(missing.exit_code == 0);
    CHECK(missing.err.find("no ledger at ") != std::string::npos);
    CHECK(boost::json::parse(missing.out).at("lines").as_array().empty());

    auto bad_time = run(s, {"costs", "export", "--config", config, "--since", "yesterday-ish"});
    CHECK(bad_time.exit_code == 2);
    CHECK(bad_time.err.find("yesterday-ish") != std::string::npos);

    CHECK(run(s, {"costs", "export", "--config", config, "--format", "xml"}).exit_code == 2);

    s.write("ledger.sqlite", "this is not a database, just text long enough to look like a file header....");
    auto corrupt = run(s, {"costs", "export", "--config", config});
    CHECK(corrupt.exit_code == 1);
    CHECK(corrupt.err.find((s.path() / "ledger.sqlite").string()) != std::string::npos);
}
