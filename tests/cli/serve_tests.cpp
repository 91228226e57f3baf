// `switchboard serve` as a user runs it: the real binary on the shipped config, a free port,
// plain HTTP over loopback, then SIGTERM.
#include <signal.h>

#include <chrono>
#include <filesystem>
#include <string>
#include <vector>

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/json.hpp>
#include <catch2/catch.hpp>

#include "fakes/child_process.hpp"
#include "fakes/fake_openai.hpp"
#include "fakes/temp_dir.hpp"

namespace http = boost::beast::http;
using tcp = boost::asio::ip::tcp;

namespace {

struct Answer {
    unsigned status = 0;
    std::string body;
    http::fields headers;
};

// One request on a fresh connection.
Answer send(std::uint16_t port, http::verb verb, const std::string& target, const std::string& body = "",
            const std::string& key = "") {
    boost::asio::io_context io;
    boost::beast::tcp_stream stream(io);
    stream.connect(tcp::endpoint(boost::asio::ip::make_address("127.0.0.1"), port));
    http::request<http::string_body> request(verb, target, 11);
    request.set(http::field::host, "127.0.0.1");
    request.set(http::field::content_type, "application/json");
    if (!key.empty()) request.set(http::field::authorization, "Bearer " + key);
    request.body() = body;
    request.prepare_payload();
    http::write(stream, request);
    boost::beast::flat_buffer buffer;
    http::response<http::string_body> response;
    http::read(stream, buffer, response);
    Answer answer{response.result_int(), response.body(), {}};
    for (const auto& field : response) answer.headers.insert(field.name_string(), field.value());
    return answer;
}

std::uint16_t port_of(const std::string& line) {  // "Switchboard is serving on http://127.0.0.1:PORT (…"
    auto colon = line.find(':', line.find("http://") + 7);
    REQUIRE(colon != std::string::npos);
    return static_cast<std::uint16_t>(std::stoi(line.substr(colon + 1)));
}

// `switchboard serve --config FILE` on a free loopback port, its output read until it says where.
struct Served {
    explicit Served(const std::filesystem::path& config)
        : process({std::string(SWITCHBOARD_BINARY_DIR) + "/bin/switchboard", "serve", "--config", config.string(),
                   "--listen", "127.0.0.1:0"},
                  true) {
        const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
        std::string serving;
        while (serving.empty() && process.read_lines(lines, lines.size() + 1, deadline)) {
            for (const auto& line : lines) {
                if (line.find("serving on") != std::string::npos) serving = line;
            }
        }
        INFO(joined());
        REQUIRE_FALSE(serving.empty());
        port = port_of(serving);
    }

    // SIGTERM, then the exit status and everything it wrote.
    int stop() {
        ::kill(process.pid(), SIGTERM);
        process.read_lines(lines, SIZE_MAX, std::chrono::steady_clock::now() + std::chrono::seconds(20));
        return process.wait();
    }

    std::string joined() const {
        std::string output;
        for (const auto& line : lines) output += line + "\n";
        return output;
    }

    switchboard::testing::ChildProcess process;
    std::vector<std::string> lines;
    std::uint16_t port = 0;
};

// Raw bytes on a fresh connection; what came back until the server closed it or `limit` passed.
std::string exchange_raw(std::uint16_t port, const std::string& bytes, std::chrono::milliseconds limit) {
    boost::asio::io_context io;
    boost::beast::tcp_stream stream(io);
    stream.connect(tcp::endpoint(boost::asio::ip::make_address("127.0.0.1"), port));
    boost::asio::write(stream.socket(), boost::asio::buffer(bytes));
    stream.expires_after(limit);
    std::string received;
    char chunk[4096];
    boost::system::error_code ec;
    for (;;) {
        std::size_t n = stream.read_some(boost::asio::buffer(chunk), ec);
        received.append(chunk, n);
        if (ec) break;
    }
    return received;
}

std::string error_field(const Answer& answer, const char* field) {
    auto value = boost::json::parse(answer.body).at("error").at(field);
    return value.is_string() ? std::string(value.as_string()) : boost::json::serialize(value);
}

}  // namespace

TEST_CASE("serve answers OpenAI embeddings on a free loopback port and stops cleanly on SIGTERM", "[cli][serve]") {
    switchboard::testing::TempDir scratch;
    ::setenv("SWITCHBOARD__HOST__PLUGIN_DIRS", SWITCHBOARD_PLUGIN_DIR, 1);
    ::setenv("SWITCHBOARD__COST__LEDGER", (scratch.path() / "ledger.sqlite").c_str(), 1);
    switchboard::testing::ChildProcess host(
        {std::string(SWITCHBOARD_BINARY_DIR) + "/bin/switchboard", "serve", "--config",
         std::string(SWITCHBOARD_SOURCE_DIR) + "/config/switchboard.toml", "--listen", "127.0.0.1:0"});
    std::vector<std::string> lines;
    REQUIRE(host.read_lines(lines, 1, std::chrono::steady_clock::now() + std::chrono::seconds(20)));
    INFO(lines.front());
    const auto port = port_of(lines.front());

    auto health = send(port, http::verb::get, "/healthz");
    CHECK(health.status == 200);
    CHECK(health.headers["x-request-id"].starts_with("req_"));
    auto ready = send(port, http::verb::get, "/readyz");
    CHECK(ready.status == 200);
    CHECK(boost::json::parse(ready.body).at("checks").at("ledger") == "ok");

    auto embedded = send(port, http::verb::post, "/v1/embeddings",
                         R"({"model":"text-embedding-3-small","input":["hello","world"],"encoding_format":"float"})");
    CHECK(embedded.status == 200);
    auto body = boost::json::parse(embedded.body);
    CHECK(body.at("data").as_array().size() == 2);
    CHECK(body.at("data").as_array()[0].at("embedding").as_array().size() == 1536);
    CHECK(embedded.headers["x-switchboard-backend"] == "mock-embed");
    CHECK(embedded.headers["x-switchboard-cost-usd"] == "0.00");
    const std::string overhead(embedded.headers["x-switchboard-overhead-ms"]);
    REQUIRE_FALSE(overhead.empty());
    CHECK(std::stod(overhead) >= 0.0);

    auto metrics = send(port, http::verb::get, "/metrics");
    CHECK(metrics.status == 200);
    CHECK(std::string(metrics.headers["Content-Type"]).starts_with("text/plain; version=0.0.4"));
    INFO(metrics.body);
    CHECK(metrics.body.find(R"(switchboard_requests_total{backend="mock-embed",outcome="ok",service="embeddings"} 1)") !=
          std::string::npos);
    CHECK(metrics.body.find(R"(switchboard_budget_remaining_usd{cap="global.day"} 10)") != std::string::npos);
    CHECK(metrics.body.find(R"(switchboard_backend_healthy{backend="mock-embed"})") != std::string::npos);
    CHECK(metrics.body.find(R"(switchboard_host_overhead_seconds_count{service="embeddings"} 1)") != std::string::npos);
    CHECK(metrics.body.find(R"(switchboard_input_tokens_total{backend="mock-embed",service="embeddings"})") !=
          std::string::npos);

    auto status_page = send(port, http::verb::get, "/v1/status");
    CHECK(status_page.status == 200);
    auto state = boost::json::parse(status_page.body);
    CHECK(state.at("services").at("embeddings").at("mode") == "mock");
    CHECK(state.at("services").at("documents").at("mock") == "mock-parse");
    CHECK(state.at("backends").at("mock-embed").at("plugin") == "mock-embeddings");
    CHECK(state.at("backends").at("mock-embed").at("circuit") == "closed");
    CHECK(state.at("backends").at("mock-embed").at("last_error").is_null());
    const auto& caps = state.at("caps").as_array();
    REQUIRE(caps.size() == 2);  // the shipped global daily and monthly caps
    CHECK(caps[0].at("cap") == "global.day");
    CHECK(caps[0].at("limit_usd").as_double() == 10.0);
    CHECK(caps[0].at("spent_usd").as_double() == 0.0);
    CHECK(caps[0].at("projected_usd").as_double() == 0.0);  // mocks spend nothing
    CHECK(state.at("ledger").at("healthy") == true);

    auto bad = send(port, http::verb::post, "/v1/embeddings", R"({"model":"m","input":""})");
    CHECK(bad.status == 400);
    CHECK(boost::json::parse(bad.body).at("error").at("param") == "input");
    CHECK(send(port, http::verb::get, "/v2/nothing").status == 404);
    auto no_admin = send(port, http::verb::get, "/admin/costs/summary");
    CHECK(no_admin.status == 403);  // no admin key configured: admin routes are off
    CHECK(boost::json::parse(no_admin.body).at("error").at("code") == "admin_disabled");
    auto wrong_method = send(port, http::verb::get, "/v1/embeddings");
    CHECK(wrong_method.status == 405);
    CHECK(wrong_method.headers["Allow"] == "POST");

    ::kill(host.pid(), SIGTERM);
    lines.clear();
    host.read_lines(lines, SIZE_MAX, std::chrono::steady_clock::now() + std::chrono::seconds(20));  // to EOF
    CHECK(std::find(lines.begin(), lines.end(), "stopped") != lines.end());
    const int status = host.wait();
    CHECK(WIFEXITED(status));
    CHECK(WEXITSTATUS(status) == 0);
}

TEST_CASE("serve refuses to listen beyond loopback while clients cannot authenticate", "[cli][serve]") {
    ::setenv("SWITCHBOARD__HOST__PLUGIN_DIRS", SWITCHBOARD_PLUGIN_DIR, 1);
    switchboard::testing::TempDir scratch;
    ::setenv("SWITCHBOARD__COST__LEDGER", (scratch.path() / "ledger.sqlite").c_str(), 1);
    switchboard::testing::ChildProcess host(
        {std::string(SWITCHBOARD_BINARY_DIR) + "/bin/switchboard", "serve", "--config",
         std::string(SWITCHBOARD_SOURCE_DIR) + "/config/switchboard.toml", "--listen", "0.0.0.0:0"});
    std::vector<std::string> lines;
    host.read_lines(lines, SIZE_MAX, std::chrono::steady_clock::now() + std::chrono::seconds(20));
    const int status = host.wait();
    CHECK(WIFEXITED(status));
    CHECK(WEXITSTATUS(status) == 2);
    CHECK(lines.empty());  // nothing served, nothing printed on stdout
}

TEST_CASE("with client keys every call needs a key, the key is never logged, and each call is audited",
          "[cli][serve]") {
    switchboard::testing::TempDir scratch;
    const std::string key = "sk-switchboard-TESTKEY-0123456789abcdef";
    // printf %s "$key" | sha256sum
    const std::string key_sha256 = "3eb30d5c1d7a137487ac2caacc42c8933a122c80586dd93863930418f7aec0d1";
    std::string config = R"([host]
plugin_dirs = [")" + std::string(SWITCHBOARD_PLUGIN_DIR) + R"("]
[cost]
ledger = "ledger.sqlite"
[server]
admin_key_sha256 = "ffde93961389f0b08463ad848a8eea10d1f0a964381c206d63c76f5ea7127017"
[server.clients.team-a]
key_sha256 = "HASH"
services = ["embeddings"]
[backends.e]
plugin = "mock-embeddings"
[backends.p]
plugin = "mock-parse"
[services.embeddings]
capability = "embeddings"
mock = "e"
[services.other]
capability = "embeddings"
mock = "e"
[server.models]
"other-model" = "other"
)";
    config.replace(config.find("HASH"), 4, key_sha256);
    auto file = scratch.write("switchboard.toml", config);
    switchboard::testing::ChildProcess host(
        {std::string(SWITCHBOARD_BINARY_DIR) + "/bin/switchboard", "serve", "--config", file.string(), "--listen",
         "127.0.0.1:0"},
        true);
    std::vector<std::string> lines;
    std::string serving;  // the line that says where
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
    while (serving.empty() && host.read_lines(lines, lines.size() + 1, deadline)) {
        for (const auto& line : lines) {
            if (line.find("serving on") != std::string::npos) serving = line;
        }
    }
    REQUIRE_FALSE(serving.empty());
    const auto port = port_of(serving);
    CHECK(serving.find("(1 client key(s)") != std::string::npos);

    CHECK(send(port, http::verb::get, "/healthz").status == 200);  // open to probes
    const std::string body = R"({"model":"text-embedding-3-small","input":"hi"})";
    auto none = send(port, http::verb::post, "/v1/embeddings", body);
    CHECK(none.status == 401);
    CHECK(boost::json::parse(none.body).at("error").at("code") == "invalid_api_key");
    auto wrong = send(port, http::verb::post, "/v1/embeddings", body, key + "x");
    CHECK(wrong.status == 401);
    CHECK(send(port, http::verb::get, "/metrics").status == 401);
    auto right = send(port, http::verb::post, "/v1/embeddings", body, key);
    CHECK(right.status == 200);
    auto forbidden = send(port, http::verb::post, "/v1/embeddings", R"({"model":"other-model","input":"hi"})", key);
    CHECK(forbidden.status == 403);
    CHECK(boost::json::parse(forbidden.body).at("error").at("message") ==
          "client 'team-a' may not call service 'other'");

    // Admin routes: the admin key only.
    const std::string admin = "sb-admin-TESTKEY-fedcba9876543210";  // its SHA-256 is in the config
    CHECK(send(port, http::verb::get, "/admin/costs/summary", "", key).status == 401);  // a client key is not enough
    auto summary = send(port, http::verb::get, "/admin/costs/summary?group=client&by=month", "", admin);
    CHECK(summary.status == 200);
    auto lines_json = boost::json::parse(summary.body).at("lines").as_array();
    REQUIRE(lines_json.size() == 1);
    CHECK(lines_json[0].at("client") == "team-a");
    CHECK(lines_json[0].at("calls") == 1);
    auto exported = send(port, http::verb::get, "/admin/costs/export?format=csv&service=embeddings", "", admin);
    CHECK(exported.status == 200);
    CHECK(std::string(exported.headers["Content-Type"]).starts_with("text/csv"));
    CHECK(exported.body.starts_with("time,request_id,client,"));
    CHECK(exported.headers["Transfer-Encoding"] == "chunked");  // streamed, never held whole
    CHECK(send(port, http::verb::get, "/admin/costs/forecast?format=json", "", admin).status == 200);
    CHECK(send(port, http::verb::get, "/admin/costs/summary?since=someday", "", admin).status == 400);
    auto switched = send(port, http::verb::post, "/admin/services/embeddings/mode", R"({"mode":"hybrid"})", admin);
    CHECK(switched.status == 200);
    CHECK(boost::json::parse(switched.body).at("mode") == "hybrid");
    auto status_page = send(port, http::verb::get, "/v1/status", "", key);
    CHECK(boost::json::parse(status_page.body).at("services").at("embeddings").at("mode") == "hybrid");
    CHECK(send(port, http::verb::post, "/admin/services/nothing/mode", R"({"mode":"real"})", admin).status == 400);

    ::kill(host.pid(), SIGTERM);
    host.read_lines(lines, SIZE_MAX, std::chrono::steady_clock::now() + std::chrono::seconds(20));
    CHECK(host.wait() == 0);
    std::string output;
    for (const auto& line : lines) output += line + "\n";
    INFO(output);
    CHECK(output.find(key) == std::string::npos);
    CHECK(output.find(admin) == std::string::npos);
    CHECK(output.find("[audit] [" + std::string(right.headers["x-request-id"]) + "] client=team-a service=embeddings "
                      "backend=e outcome=ok cost_usd=0.00 status=200") != std::string::npos);
}

TEST_CASE("bad requests get their status and the OpenAI envelope, and the host keeps serving", "[cli][serve]") {
    switchboard::testing::TempDir scratch;
    auto file = scratch.write("switchboard.toml", R"([host]
plugin_dirs = [")" + std::string(SWITCHBOARD_PLUGIN_DIR) + R"("]
[cost]
ledger = "ledger.sqlite"
[backends.e]
plugin = "mock-embeddings"
[services.embeddings]
capability = "embeddings"
mock = "e"
)");
    Served host(file);
    const auto port = host.port;
    auto post = [&](const std::string& body) { return send(port, http::verb::post, "/v1/embeddings", body); };

    auto malformed = post(R"({"model":"m","input":)");
    CHECK(malformed.status == 400);
    CHECK(error_field(malformed, "type") == "invalid_request_error");
    CHECK(error_field(malformed, "message").find("JSON") != std::string::npos);
    auto wrong_type = post(R"({"model":"m","input":42})");
    CHECK(wrong_type.status == 400);
    CHECK(error_field(wrong_type, "param") == "input");
    auto empty = post(R"({"model":"m","input":[]})");
    CHECK(empty.status == 400);
    CHECK(error_field(empty, "param") == "input");
    std::string many = R"({"model":"m","input":[)";
    for (int i = 0; i < 2049; ++i) many += std::string(i ? "," : "") + "\"x\"";
    auto too_many = post(many + "]}");
    CHECK(too_many.status == 400);
    CHECK(error_field(too_many, "message").find("2048") != std::string::npos);
    auto no_route = send(port, http::verb::get, "/v1/nothing");
    CHECK(no_route.status == 404);
    CHECK(error_field(no_route, "code") == "unknown_url");
    auto wrong_method = send(port, http::verb::delete_, "/v1/embeddings");
    CHECK(wrong_method.status == 405);
    CHECK(wrong_method.headers["Allow"] == "POST");

    // Over the body limit: refused from the header, before any of the body is read.
    const std::string oversized = exchange_raw(
        port, "POST /v1/embeddings HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: " +
                  std::to_string(65 * 1024 * 1024) + "\r\n\r\n{",
        std::chrono::seconds(10));
    CHECK(oversized.starts_with("HTTP/1.1 413 "));
    CHECK(oversized.find(R"("type":"invalid_request_error")") != std::string::npos);
    // LlamaParse's routes take files of up to 300 MB, and refuse beyond in FastAPI's shape.
    auto upload_header = [](std::size_t length) {
        return "POST /api/v2/parse/upload HTTP/1.1\r\nHost: x\r\nConnection: close\r\n"
               "Content-Type: multipart/form-data; boundary=b\r\nContent-Length: " +
               std::to_string(length) + "\r\n\r\n";
    };
    const std::string huge_upload = exchange_raw(port, upload_header(301UL * 1024 * 1024), std::chrono::seconds(10));
    CHECK(huge_upload.starts_with("HTTP/1.1 413 "));
    CHECK(huge_upload.find(R"({"detail":"the request body is )") != std::string::npos);
    CHECK(huge_upload.find("error") == std::string::npos);  // no OpenAI envelope
    // 65 MiB is over the default but within LlamaParse's: not refused for its size.
    const std::string part_head = "--b\r\nContent-Disposition: form-data; name=\"file\"; filename=\"big.txt\"\r\n"
                                  "Content-Type: text/plain\r\n\r\n";
    const std::string part_tail = "\r\n--b--\r\n";
    const std::size_t file_bytes = 65UL * 1024 * 1024;
    std::string big_upload = upload_header(part_head.size() + file_bytes + part_tail.size()) + part_head;
    big_upload.append(file_bytes, 'x');
    big_upload += part_tail;
    const std::string big_answer = exchange_raw(port, big_upload, std::chrono::seconds(20));
    INFO(big_answer.substr(0, 300));
    // Past the size limit, the route itself answers: this host has no parse service.
    CHECK(big_answer.starts_with("HTTP/1.1 503 "));
    CHECK(big_answer.find(R"({"detail":"no parse service is configured on this host)") != std::string::npos);

    // A client that sends half a header and stalls holds one connection, not the host.
    boost::asio::io_context io;
    boost::beast::tcp_stream slow(io);
    slow.connect(tcp::endpoint(boost::asio::ip::make_address("127.0.0.1"), port));
    boost::asio::write(slow.socket(), boost::asio::buffer(std::string("POST /v1/embeddings HTTP/1.1\r\nHost: x\r\n")));
    auto served = post(R"({"model":"m","input":"still here"})");
    CHECK(served.status == 200);
    CHECK(send(port, http::verb::get, "/healthz").status == 200);

    const int status = host.stop();
    INFO(host.joined());
    CHECK(WIFEXITED(status));
    CHECK(WEXITSTATUS(status) == 0);
}

TEST_CASE("a client past its own cap gets 429 budget_exceeded in real mode while other clients are served",
          "[cli][serve]") {
    switchboard::testing::FakeOpenAI upstream("sk-upstream-TESTKEY-0123456789");
    upstream.set_token_counting(switchboard::testing::FakeOpenAI::TokenCounting::bytes);
    switchboard::testing::TempDir scratch;
    // Ten bytes are at most ten tokens, $0.0000002 at $0.02 per million; the cap fits two calls.
    auto file = scratch.write("switchboard.toml", R"([host]
plugin_dirs = [")" + std::string(SWITCHBOARD_PLUGIN_DIR) + R"("]
default_mode = "real"
[health]
probe_interval = "1h"
[cost]
ledger = "ledger.sqlite"
[server.clients.etl]
key_sha256 = "3eb30d5c1d7a137487ac2caacc42c8933a122c80586dd93863930418f7aec0d1"
[server.clients.etl.caps]
daily = "0.0000004"
[server.clients.notebook]
key_sha256 = "ffde93961389f0b08463ad848a8eea10d1f0a964381c206d63c76f5ea7127017"
[backends.openai]
plugin = "openai-embeddings"
api_key = "sk-upstream-TESTKEY-0123456789"
settings = { base_url = ")" + upstream.base_url() + R"(" }
[services.embeddings]
capability = "embeddings"
real = ["openai"]
)");
    Served host(file);
    const std::string etl = "sk-switchboard-TESTKEY-0123456789abcdef";
    const std::string notebook = "sb-admin-TESTKEY-fedcba9876543210";
    const std::string body = R"({"model":"text-embedding-3-small","input":"0123456789"})";
    CHECK(send(host.port, http::verb::post, "/v1/embeddings", body, etl).status == 200);
    CHECK(send(host.port, http::verb::post, "/v1/embeddings", body, etl).status == 200);
    auto refused = send(host.port, http::verb::post, "/v1/embeddings", body, etl);
    CHECK(refused.status == 429);
    CHECK(error_field(refused, "code") == "budget_exceeded");
    CHECK(error_field(refused, "message").find("the daily cap of client 'etl'") != std::string::npos);
    CHECK_FALSE(std::string(refused.headers["Retry-After"]).empty());
    CHECK(send(host.port, http::verb::post, "/v1/embeddings", body, notebook).status == 200);
    CHECK(upstream.request_count() == 3);

    // A client sees its own caps on the status page, never another's.
    auto caps_seen_by = [&](const std::string& key) {
        std::vector<std::string> ids;
        auto page = boost::json::parse(send(host.port, http::verb::get, "/v1/status", "", key).body);
        for (const auto& cap : page.at("caps").as_array()) ids.emplace_back(cap.at("cap").as_string());
        return ids;
    };
    CHECK(caps_seen_by(etl) == std::vector<std::string>{"client.etl.day"});
    CHECK(caps_seen_by(notebook).empty());

    const int status = host.stop();
    INFO(host.joined());
    CHECK(WEXITSTATUS(status) == 0);
    CHECK(host.joined().find("sk-upstream-TESTKEY") == std::string::npos);
}
