// The LlamaParse-compatible routes end to end: real loopback HTTP into an HttpServer whose handler
// is ParseApi, over the whole host (mock-parse, or the llamaparse plugin in front of the loopback
// FakeLlamaParse), with a manual clock: upload → poll → every result format through both
// generations and both v1 spellings, refusals, cancel, expiry and who may see which job.
#include <atomic>
#include <functional>
#include <memory>
#include <sstream>
#include <string>
#include <thread>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/json.hpp>
#include <catch2/catch.hpp>
#include <spdlog/sinks/ostream_sink.h>
#include <spdlog/spdlog.h>

#include "fakes/capture_logger.hpp"
#include "fakes/drive.hpp"
#include "fakes/fake_llamaparse.hpp"
#include "fakes/manual_clock.hpp"
#include "fakes/temp_dir.hpp"
#include "http/upstream_transport.hpp"
#include "ledger/ledger.hpp"
#include "runtime/runtime.hpp"
#include "server/http_server.hpp"
#include "server/parse_api.hpp"
#include "server/raw_client.hpp"
#include "server/service_metrics.hpp"
#include "switchboard/multipart.hpp"

using namespace switchboard;
using namespace std::chrono_literals;
using Catch::Matchers::Contains;
using Catch::Matchers::StartsWith;
using testing::FakeLlamaParse;
using testing::JobScript;
using testing::RawResponse;
namespace json = boost::json;

namespace {

const std::string kLlamaKey = "llx-test-PARSEAPIKEY0123456789abcdefghijkl";

const char* const kMock = R"([host]
default_mode = "mock"
plugin_dirs = ["PLUGINS"]
[health]
probe_interval = "1h"
[cost]
pricing = "PRICING"
[server]
job_ttl = "10m"
[server.clients.team-a]
key_sha256 = "1111111111111111111111111111111111111111111111111111111111111111"
[server.clients.team-b]
key_sha256 = "2222222222222222222222222222222222222222222222222222222222222222"
[server.clients.embedder]
key_sha256 = "3333333333333333333333333333333333333333333333333333333333333333"
services = ["embeddings"]
[backends.mock-parse]
plugin = "mock-parse"
[backends.slow-parse]
plugin = "mock-parse"
settings = { latency_ms = 5000 }
[backends.mock-embed]
plugin = "mock-embeddings"
[services.embeddings]
capability = "embeddings"
mock = "mock-embed"
[services.documents]
capability = "parse"
mock = "mock-parse"
[services.slow-documents]
capability = "parse"
mock = "slow-parse"
)";

// kMock with [server] parse_service naming the mock that answers after 5 s.
std::string slow_config() {
    std::string toml = kMock;
    return toml.replace(toml.find("job_ttl"), 0, "parse_service = \"slow-documents\"\n");
}

// The llamaparse plugin in front of the fake; API is the plugin's `api` setting.
std::string real_config(std::string_view api) {
    return std::string(R"([host]
default_mode = "real"
plugin_dirs = ["PLUGINS"]
[health]
probe_interval = "1h"
[cost]
pricing = "PRICING"
[server]
job_ttl = "2h"
[backends.llamaparse]
plugin = "llamaparse"
api_key = "${LLAMA_CLOUD_API_KEY}"
settings = { base_url = "LLAMA_URL", api = ")") +
           std::string(api) + R"(" }
[services.documents]
capability = "parse"
real = ["llamaparse"]
fallback_timeout = "10m"
)";
}

// The whole host with the HTTP server in front of ParseApi. A request's x-test-client header
// names the configured client it comes from (auth is Api's job, not ParseApi's).
class Rig {
public:
    explicit Rig(std::string toml, server::ParseJobLimits limits = {})
        : work_(boost::asio::make_work_guard(io_)) {
        substitute(toml, "PLUGINS", SWITCHBOARD_PLUGIN_DIR);
        substitute(toml, "PRICING", SWITCHBOARD_SOURCE_DIR "/config/pricing.toml");
        substitute(toml, "LLAMA_URL", llama.base_url());
        runtime_ = std::make_unique<runtime::Runtime>(dir_.write("switchboard.toml", toml),
                                                      config::Environment{{{"LLAMA_CLOUD_API_KEY", kLlamaKey}}},
                                                      clock, logger_, &transport_);
        INFO(problems());
        REQUIRE(runtime_->ok());
        api_ = std::make_unique<server::ParseApi>(*runtime_, clock, audit, metrics, limits);
        server_ = std::make_unique<server::HttpServer>(
            io_, server::ServerOptions{},
            [this](server::Request request) {
                const config::ClientSettings* client = nullptr;
                const auto& clients = runtime_->config()->server.clients;
                if (auto name = request.header("x-test-client"); name && clients.contains(std::string(*name))) {
                    client = &clients.at(std::string(*name));
                }
                return api_->handle(std::move(request), client);
            },
            server_log_);
        server_->start();
        thread_ = std::thread([this] { io_.run(); });
    }
    ~Rig() {
        work_.reset();
        io_.stop();
        thread_.join();
        server_.reset();
        api_.reset();
        runtime_.reset();
    }

    RawResponse send(const std::string& method, const std::string& target, const std::string& content_type = "",
                     const std::string& body = "", const std::string& client = "team-a") {
        testing::RawClient connection(server_->port());
        REQUIRE(connection.connected());
        std::string head = method + " " + target + " HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n";
        if (!content_type.empty()) head += "Content-Type: " + content_type + "\r\n";
        if (!client.empty()) head += "x-test-client: " + client + "\r\n";
        head += "Content-Length: " + std::to_string(body.size()) + "\r\n\r\n";
        REQUIRE(connection.send(head + body));
        auto response = connection.read_response();
        REQUIRE(response);
        return *response;
    }
    RawResponse get(const std::string& target, const std::string& client = "team-a") {
        return send("GET", target, "", "", client);
    }
    RawResponse post_form(const std::string& target, MultipartBody form, const std::string& client = "team-a") {
        const std::string type = form.content_type();
        return send("POST", target, type, std::move(form).finish(), client);
    }
    RawResponse post_json(const std::string& target, const std::string& body, const std::string& client = "team-a") {
        return send("POST", target, "application/json", body, client);
    }

    // Moves time and lets real I/O finish until no parse call runs.
    void finish_jobs() {
        testing::drive_until([&] { return api_->running() == 0; }, clock, transport_,
                             [&] { return runtime_->ledger().pending() == 0; });
    }

    // Moves time and lets real I/O finish until `done()`.
    void drive_until(const std::function<bool()>& done) {
        testing::drive_until(done, clock, transport_, [&] { return runtime_->ledger().pending() == 0; });
    }

    // The routes go, as at the end of `switchboard serve`, while the host and its calls stay.
    void drop_api() { api_.reset(); }

    std::string problems() const {
        std::string out;
        for (const auto& p : runtime_->problems()) out += p.to_string() + "\n";
        return out;
    }
    server::ParseApi& api() { return *api_; }
    runtime::Runtime& runtime() { return *runtime_; }

    FakeLlamaParse llama{kLlamaKey};
    testing::ManualClock clock;
    testing::CaptureLogger audit;
    server::ServiceMetrics metrics;

private:
    static void substitute(std::string& text, const std::string& from, const std::string& to) {
        for (auto at = text.find(from); at != std::string::npos; at = text.find(from, at + to.size())) {
            text.replace(at, from.size(), to);
        }
    }

    std::ostringstream log_;
    log::HostLogger logger_{std::make_shared<spdlog::logger>("parse-api-test",
                                                             std::make_shared<spdlog::sinks::ostream_sink_mt>(log_)),
                            log::Format::text, LogLevel::debug};
    testing::CaptureLogger server_log_;
    testing::TempDir dir_;
    boost::asio::io_context io_;
    boost::asio::executor_work_guard<boost::asio::io_context::executor_type> work_;
    http::UpstreamTransport transport_{io_};
    std::unique_ptr<runtime::Runtime> runtime_;
    std::unique_ptr<server::ParseApi> api_;
    std::unique_ptr<server::HttpServer> server_;
    std::thread thread_;
};

MultipartBody document(std::string name = "notes.txt", std::string data = "first page\fsecond page",
                       std::vector<std::pair<std::string, std::string>> fields = {}) {
    MultipartBody form;
    form.add_file("file", name, "application/octet-stream", data);  // what Node's FormData sends for a Blob
    for (const auto& [key, value] : fields) form.add_field(key, value);
    return form;
}

MultipartBody v2_document(std::string configuration, std::string data = "first page\fsecond page") {
    MultipartBody form;
    form.add_file("file", "notes.txt", "text/plain", data);
    form.add_field("configuration", configuration);
    return form;
}

json::value body_of(const RawResponse& response) {
    INFO(response.body);
    boost::system::error_code ec;
    auto value = json::parse(response.body, ec);
    REQUIRE_FALSE(ec);
    return value;
}

std::string detail_of(const RawResponse& response) { return std::string(body_of(response).at("detail").as_string()); }

std::string id_of(const RawResponse& response) {
    REQUIRE(response.status == 200);
    return std::string(body_of(response).at("id").as_string());
}

}  // namespace

TEST_CASE("v1: upload, poll, then markdown, text and json, under both spellings", "[server][parse]") {
    const std::string prefix = GENERATE(as<std::string>{}, "/api/parsing", "/api/v1/parsing");
    INFO(prefix);
    Rig rig(kMock);

    auto upload = rig.post_form(prefix + "/upload?project_id=p1", document());
    REQUIRE(upload.status == 200);
    auto created = body_of(upload);
    CHECK(created.at("status") == "PENDING");
    const std::string id = id_of(upload);
    CHECK(id.size() == 36);  // a UUID, as v1 ids are
    CHECK(upload.header("x-switchboard-overhead-ms"));

    rig.finish_jobs();
    auto status = rig.get(prefix + "/job/" + id);
    REQUIRE(status.status == 200);
    CHECK(body_of(status) == json::parse(R"({"id":")" + id + R"(","status":"SUCCESS","error_code":null,"error_message":null})"));
    CHECK(status.header("x-switchboard-backend") == "mock-parse");
    CHECK(status.header("x-switchboard-cost-usd") == "0.00");
    CHECK_FALSE(status.header("x-switchboard-fallback"));

    auto markdown = rig.get(prefix + "/job/" + id + "/result/markdown");
    REQUIRE(markdown.status == 200);
    CHECK(body_of(markdown) == json::parse(R"({"markdown":"first page\n---\nsecond page","job_metadata":{
        "job_pages":2,"job_credits_usage":0,"job_auto_mode_triggered_pages":0,"job_is_cache_hit":false}})"));
    CHECK(markdown.header("x-switchboard-backend") == "mock-parse");
    CHECK(body_of(rig.get(prefix + "/job/" + id + "/result/text")).at("text") == "first page\n---\nsecond page");
    auto pages = body_of(rig.get(prefix + "/job/" + id + "/result/json")).at("pages").as_array();
    REQUIRE(pages.size() == 2);
    CHECK(pages[1].at("page") == 2);
    CHECK(pages[1].at("md") == "second page");
    CHECK(pages[1].at("items") == json::parse(R"([{"type":"text","value":"second page","md":"second page"}])"));

    auto lines = rig.audit.lines();
    REQUIRE(lines.size() == 1);
    CHECK(lines[0].message == "client=team-a service=documents backend=mock-parse outcome=ok cost_usd=0.00 job=" + id +
                                  " job_status=COMPLETED");
    CHECK_THAT(rig.metrics.render(rig.runtime()),
               Contains(R"(switchboard_requests_total{backend="mock-parse",outcome="ok",service="documents"} 1)"));
}

TEST_CASE("v1 options reach the backend: mode, languages, pages and a page separator", "[server][parse]") {
    Rig rig(kMock);
    auto upload = rig.post_form("/api/parsing/upload",
                                document("scan.bin", "\x01\x02 binary", {{"parse_mode", "parse_page_without_llm"},
                                                                        {"language", "fr"},
                                                                        {"language", "de"},
                                                                        {"target_pages", "0"}}));
    const std::string id = id_of(upload);
    rig.finish_jobs();
    const std::string markdown(body_of(rig.get("/api/parsing/job/" + id + "/result/markdown")).at("markdown").as_string());
    CHECK_THAT(markdown, Contains("- Target pages: 0\n- Mode: parse_page_without_llm\n- Language: fr,de\n"));

    auto separated = rig.post_form("/api/parsing/upload", document("a.txt", "one\ftwo\fthree", {{"page_separator", "\n<<>>\n"}}));
    const std::string second = id_of(separated);
    rig.finish_jobs();
    CHECK(body_of(rig.get("/api/parsing/job/" + second + "/result/text")).at("text") == "one\n<<>>\ntwo\n<<>>\nthree");
}

TEST_CASE("v2: upload, poll with expand, and a file_id parse of a stored file, the list pages by cursor",
          "[server][parse]") {
    Rig rig(kMock);
    auto upload = rig.post_form("/api/v2/parse/upload",
                                v2_document(R"({"tier":"fast","version":"latest","page_ranges":{"target_pages":"2-3"}})",
                                            "one\ftwo\fthree"));
    REQUIRE(upload.status == 200);
    auto created = body_of(upload);
    CHECK(created.at("status") == "PENDING");
    CHECK(created.at("tier") == "fast");
    const std::string id = id_of(upload);
    CHECK_THAT(id, StartsWith("pjb-"));

    rig.finish_jobs();
    auto got = rig.get("/api/v2/parse/" + id + "?expand=markdown&expand=text,usage");
    REQUIRE(got.status == 200);
    auto answer = body_of(got);
    CHECK(answer.at("job").at("status") == "COMPLETED");
    CHECK(answer.at("job").at("usage") == json::parse(R"({"credits":0})"));
    CHECK(answer.at("markdown") == json::parse(R"({"pages":[{"page_number":2,"markdown":"two","success":true},
        {"page_number":3,"markdown":"three","success":true}]})"));
    CHECK(answer.at("text") == json::parse(R"({"pages":[{"page_number":2,"text":"two"},{"page_number":3,"text":"three"}]})"));
    CHECK(got.header("x-switchboard-backend") == "mock-parse");

    MultipartBody file;
    file.add_file("file", "stored.md", "text/markdown", "# Stored\n\nkept for later");
    file.add_field("purpose", "parse");
    auto stored = rig.post_form("/api/v1/beta/files?project_id=p9", std::move(file));
    REQUIRE(stored.status == 200);
    const std::string file_id = id_of(stored);
    CHECK(body_of(stored).at("name") == "stored.md");
    CHECK(body_of(stored).at("purpose") == "parse");
    CHECK(body_of(rig.get("/api/v1/beta/files/" + file_id)).at("id").as_string() == file_id);

    auto by_file = rig.post_json("/api/v2/parse", R"({"tier":"cost_effective","version":"latest","file_id":")" + file_id + "\"}");
    const std::string second = id_of(by_file);
    rig.finish_jobs();
    CHECK(body_of(rig.get("/api/v2/parse/" + second + "?expand=markdown_full")).at("markdown_full") ==
          "# Stored\n\nkept for later");

    auto first_page = body_of(rig.get("/api/v2/parse?page_size=1"));
    CHECK(first_page.at("total_size") == 2);
    REQUIRE(first_page.at("items").as_array().size() == 1);
    CHECK(first_page.at("items").at(0).at("id").as_string() == second);  // newest first
    const std::string token(first_page.at("next_page_token").as_string());
    auto last_page = body_of(rig.get("/api/v2/parse?page_size=1&page_token=" + token));
    CHECK(last_page.at("items").at(0).at("id").as_string() == id);
    CHECK(last_page.at("next_page_token").is_null());
    CHECK(body_of(rig.get("/api/v2/parse?status=FAILED")).at("items").as_array().empty());

    REQUIRE(rig.send("DELETE", "/api/v1/beta/files/" + file_id).status == 204);
    CHECK(rig.get("/api/v1/beta/files/" + file_id).status == 404);
    auto deleted = rig.send("DELETE", "/api/v2/parse/" + id);
    REQUIRE(deleted.status == 200);
    CHECK(body_of(deleted) == json::parse(R"({"id":")" + id + R"(","project_id":"default"})"));
    CHECK(rig.get("/api/v2/parse/" + id).status == 404);
}

TEST_CASE("bad uploads, unknown jobs and routes get FastAPI details with the right status", "[server][parse]") {
    Rig rig(kMock);
    auto not_form = rig.post_json("/api/parsing/upload", "{}");
    CHECK(not_form.status == 400);
    CHECK(detail_of(not_form) ==
          "bad multipart/form-data body: the Content-Type is 'application/json'; send the form as multipart/form-data");

    auto cut = rig.send("POST", "/api/v1/parsing/upload", "multipart/form-data; boundary=B",
                        "--B\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a.txt\"\r\n\r\nhalf a docu");
    CHECK(cut.status == 400);
    CHECK(detail_of(cut) == "bad multipart/form-data body: the body ends inside part 1 ('file'): the closing boundary "
                            "'--B--' is missing; the body may be cut short");

    MultipartBody url;
    url.add_field("input_url", "http://169.254.169.254/latest/meta-data");
    auto refused = rig.post_form("/api/parsing/upload", std::move(url));
    CHECK(refused.status == 400);
    CHECK_THAT(detail_of(refused), StartsWith("input_url is not supported by this host"));

    auto bad_tier = rig.post_form("/api/v2/parse/upload", v2_document(R"({"tier":"turbo","version":"latest"})"));
    CHECK(bad_tier.status == 400);
    CHECK(detail_of(bad_tier) == "configuration.tier must be fast, cost_effective, agentic or agentic_plus; got 'turbo'");
    auto no_file = rig.post_json("/api/v2/parse", R"({"tier":"fast","version":"latest","file_id":"nope"})");
    CHECK(no_file.status == 404);
    CHECK_THAT(detail_of(no_file), StartsWith("file 'nope' is not known here"));

    for (std::string target : {"/api/parsing/job/nope", "/api/v1/parsing/job/nope/result/markdown", "/api/v2/parse/nope"}) {
        INFO(target);
        auto unknown = rig.get(target);
        CHECK(unknown.status == 404);
        CHECK(detail_of(unknown) == "job 'nope' is not known here: it never existed, its result expired ([server] "
                                    "job_ttl), or another client made it");
    }
    CHECK(rig.send("POST", "/api/v2/parse/nope/cancel").status == 404);
    auto route = rig.get("/api/parsing/job/x/result/pdf");
    CHECK(route.status == 404);
    CHECK(detail_of(route) == "Not Found");
    auto method = rig.get("/api/parsing/upload");
    CHECK(method.status == 405);
    CHECK(detail_of(method) == "Method Not Allowed");
    CHECK(method.header("Allow") == "POST");

    const std::string id = id_of(rig.post_form("/api/parsing/upload", document()));
    auto expand = rig.get("/api/v2/parse/" + id + "?expand=forms");
    CHECK(expand.status == 400);
    CHECK_THAT(detail_of(expand), StartsWith("expand 'forms' is not known here"));
    rig.finish_jobs();
    CHECK(rig.audit.lines().size() == 1);  // refusals never reached the router
}

TEST_CASE("a result asked for before the job finished is a 404 that says to poll", "[server][parse]") {
    Rig slow(slow_config());
    const std::string id = id_of(slow.post_form("/api/parsing/upload", document()));
    auto early = slow.get("/api/parsing/job/" + id + "/result/markdown");
    CHECK(early.status == 404);
    CHECK(detail_of(early) == "job '" + id + "' has no result yet (PENDING); poll GET .../job/" + id +
                                  " until its status is SUCCESS");
    CHECK(body_of(slow.get("/api/parsing/job/" + id)).at("status") == "PENDING");
    CHECK(body_of(slow.get("/api/v2/parse/" + id + "?expand=markdown")) ==
          json::parse(R"({"job":{"id":")" + id + R"(","project_id":"default","status":"RUNNING","tier":null,
              "name":"notes.txt","created_at":")" + wire::iso_time(slow.clock.wall_now()) + R"(","updated_at":")" +
                      wire::iso_time(slow.clock.wall_now()) + R"(","error_message":null},"markdown":null})"));
    auto still_running = slow.send("DELETE", "/api/v2/parse/" + id);
    CHECK(still_running.status == 400);
    CHECK(detail_of(still_running) == "job '" + id + "' is still RUNNING; cancel it first (POST /api/v2/parse/" + id +
                                          "/cancel)");
    slow.finish_jobs();
    CHECK(slow.get("/api/parsing/job/" + id + "/result/markdown").status == 200);
}

TEST_CASE("cancel marks a running job CANCELLED, its late result is dropped and its cost stays", "[server][parse]") {
    Rig rig(real_config("v2"));
    rig.llama.script_next_job(JobScript::completes_after(3));
    auto upload = rig.post_form("/api/v2/parse/upload", v2_document(R"({"tier":"agentic","version":"latest"})"));
    const std::string id = id_of(upload);

    auto cancelled = rig.send("POST", "/api/v2/parse/" + id + "/cancel");
    REQUIRE(cancelled.status == 200);
    CHECK(body_of(cancelled).at("status") == "CANCELLED");
    CHECK(body_of(cancelled).at("error_message") == "cancelled by the client");
    CHECK(rig.api().running() == 1);  // the call cannot be interrupted

    rig.finish_jobs();
    auto after = rig.get("/api/v2/parse/" + id + "?expand=markdown");
    CHECK(body_of(after).at("job").at("status") == "CANCELLED");
    CHECK(body_of(after).at("markdown").is_null());
    CHECK(after.header("x-switchboard-backend") == "llamaparse");
    CHECK(after.header("x-switchboard-cost-usd") == "0.025");  // 2 pages × 10 credits × $1.25 / 1000
    CHECK(body_of(rig.get("/api/parsing/job/" + id)).at("status") == "CANCELLED");
    auto result = rig.get("/api/parsing/job/" + id + "/result/text");
    CHECK(result.status == 400);
    CHECK(detail_of(result) == "job '" + id + "' was cancelled; it has no result");
    auto again = rig.send("POST", "/api/v2/parse/" + id + "/cancel");
    CHECK(again.status == 400);
    CHECK(detail_of(again) == "job '" + id + "' is already CANCELLED; only a PENDING or RUNNING job can be cancelled");
    CHECK(rig.audit.contains("outcome=ok cost_usd=0.025 job=" + id + " job_status=CANCELLED"));
}

TEST_CASE("the llamaparse plugin behind the routes: v2 tier and pages, v1 mode and language reach the upstream",
          "[server][parse]") {
    SECTION("v2 client, v2 backend") {
        Rig rig(real_config("v2"));
        auto upload = rig.post_form(
            "/api/v2/parse/upload",
            v2_document(R"({"tier":"agentic","version":"latest","disable_cache":true,"page_ranges":{"target_pages":"1"}})",
                        "alpha\fbeta"));
        const std::string id = id_of(upload);
        rig.finish_jobs();
        auto got = rig.get("/api/v2/parse/" + id + "?expand=markdown,usage");
        auto answer = body_of(got);
        REQUIRE(answer.at("job").at("status") == "COMPLETED");
        CHECK(answer.at("markdown").at("pages").at(0).at("markdown") == "# Page 1\n\nalpha");
        CHECK(answer.at("job").at("usage").at("credits") == 20);  // the fake parses both pages at 10 credits
        CHECK(got.header("x-switchboard-backend") == "llamaparse");
        REQUIRE(rig.llama.uploads().size() == 1);
        CHECK(json::parse(rig.llama.uploads()[0].configuration) ==
              json::parse(R"({"tier":"agentic","version":"latest","target_pages":"0","disable_cache":true})"));
    }
    SECTION("v1 client, v1 backend") {
        Rig rig(real_config("v1"));
        auto upload = rig.post_form("/api/v1/parsing/upload",
                                    document("notes.txt", "alpha\fbeta",
                                             {{"parse_mode", "parse_page_with_agent"}, {"language", "fr"}}));
        const std::string id = id_of(upload);
        rig.finish_jobs();
        auto markdown = rig.get("/api/v1/parsing/job/" + id + "/result/markdown");
        REQUIRE(markdown.status == 200);
        CHECK(body_of(markdown).at("markdown") == "# Page 1\n\nalpha\n---\n# Page 2\n\nbeta");
        CHECK(body_of(markdown).at("job_metadata").at("job_credits_usage") == 20);
        const auto uploads = rig.llama.uploads();
        REQUIRE(uploads.size() == 1);
        const auto& sent = uploads[0];
        CHECK(sent.field("parse_mode") == "parse_page_with_agent");
        CHECK(sent.field("language") == "fr");
        CHECK(sent.file_name == "notes.txt");
        CHECK(sent.data == "alpha\fbeta");
    }
}

TEST_CASE("a failed job shows ERROR / FAILED with its reason, and its result answers as LlamaParse would",
          "[server][parse]") {
    Rig rig(real_config("v1"));
    rig.llama.push(FakeLlamaParse::error(402, "Credits exhausted"), "POST /api/parsing/upload");
    const std::string id = id_of(rig.post_form("/api/parsing/upload", document()));
    rig.finish_jobs();
    auto status = body_of(rig.get("/api/parsing/job/" + id));
    CHECK(status.at("status") == "ERROR");
    CHECK(status.at("error_code") == "quota");
    CHECK_THAT(std::string(status.at("error_message").as_string()), Contains("Credits exhausted"));
    auto result = rig.get("/api/parsing/job/" + id + "/result/markdown");
    CHECK(result.status == 402);
    CHECK_THAT(detail_of(result), StartsWith("job '" + id + "' failed: "));
    CHECK(body_of(rig.get("/api/v2/parse/" + id)).at("job").at("status") == "FAILED");
    CHECK(rig.audit.contains("outcome=quota"));
}

TEST_CASE("finished jobs expire job_ttl after they finished, on the injected clock", "[server][parse]") {
    Rig rig(kMock);
    const std::string id = id_of(rig.post_form("/api/parsing/upload", document()));
    rig.finish_jobs();
    rig.clock.advance(10min - 1ms);
    CHECK(rig.get("/api/parsing/job/" + id + "/result/text").status == 200);
    rig.clock.advance(1ms);
    CHECK(rig.get("/api/parsing/job/" + id).status == 404);
    CHECK(rig.get("/api/v2/parse/" + id).status == 404);
    CHECK(body_of(rig.get("/api/v2/parse")).at("total_size") == 0);
}

TEST_CASE("a job is its client's alone, and a client not allowed the parse service gets 403", "[server][parse]") {
    Rig rig(kMock);
    const std::string id = id_of(rig.post_form("/api/parsing/upload", document(), "team-a"));
    rig.finish_jobs();
    CHECK(rig.get("/api/parsing/job/" + id, "team-a").status == 200);
    CHECK(rig.get("/api/parsing/job/" + id, "team-b").status == 404);
    CHECK(rig.send("POST", "/api/v2/parse/" + id + "/cancel", "", "", "team-b").status == 404);

    auto forbidden = rig.post_form("/api/parsing/upload", document(), "embedder");
    CHECK(forbidden.status == 403);
    CHECK(detail_of(forbidden) == "client 'embedder' may not call service 'documents'");
    CHECK(rig.get("/api/parsing/job/" + id, "embedder").status == 403);
}

TEST_CASE("the store is bounded: a full store drops the job that finished first, and running calls are capped",
          "[server][parse]") {
    server::ParseJobLimits limits;
    limits.max_jobs = 2;
    limits.max_running = 1;
    Rig rig(kMock, limits);
    std::vector<std::string> ids;
    for (int i = 0; i < 3; ++i) {
        ids.push_back(id_of(rig.post_form("/api/parsing/upload", document())));
        rig.finish_jobs();
        rig.clock.advance(1s);
    }
    CHECK(rig.get("/api/parsing/job/" + ids[0]).status == 404);
    CHECK(rig.get("/api/parsing/job/" + ids[1]).status == 200);
    CHECK(rig.get("/api/parsing/job/" + ids[2]).status == 200);

    Rig slow(slow_config(), limits);
    id_of(slow.post_form("/api/parsing/upload", document()));
    auto busy = slow.post_form("/api/parsing/upload", document());
    CHECK(busy.status == 429);
    CHECK(detail_of(busy) == "1 parse jobs are running on this host, the most it runs at once; retry when one has finished");
    CHECK(busy.header("Retry-After") == "1");
    slow.finish_jobs();
    CHECK(slow.post_form("/api/parsing/upload", document()).status == 200);
    slow.finish_jobs();
}

TEST_CASE("finished results are bounded in bytes: the job that finished first makes room", "[server][parse]") {
    server::ParseJobLimits limits;
    limits.max_result_bytes = 1;  // any result alone is larger: only the newest one is kept
    Rig rig(kMock, limits);
    const std::string first = id_of(rig.post_form("/api/parsing/upload", document()));
    rig.finish_jobs();
    CHECK(rig.get("/api/parsing/job/" + first + "/result/text").status == 200);

    const std::string second = id_of(rig.post_form("/api/parsing/upload", document()));
    rig.finish_jobs();
    CHECK(rig.get("/api/parsing/job/" + first).status == 404);
    CHECK(rig.get("/api/v2/parse/" + first).status == 404);
    CHECK(body_of(rig.get("/api/parsing/job/" + second + "/result/text")).at("text") == "first page\n---\nsecond page");
}

TEST_CASE("stored files are bounded in number as well as bytes, and a delete makes room", "[server][parse]") {
    server::ParseJobLimits limits;
    limits.max_files = 1;
    Rig rig(kMock, limits);
    auto stored_file = [&] {
        MultipartBody form;
        form.add_file("file", "tiny.txt", "text/plain", "x");
        return rig.post_form("/api/v1/beta/files", std::move(form));
    };
    const std::string kept = id_of(stored_file());
    rig.clock.advance(1min);
    auto full = stored_file();
    CHECK(full.status == 429);
    CHECK(detail_of(full) == "this host holds 1 stored files, the most it keeps; delete files no longer needed (DELETE "
                             "/api/v1/beta/files/ID) or let them expire");
    CHECK(full.header("Retry-After") == "540");  // when the stored one expires (job_ttl 10 min)

    REQUIRE(rig.send("DELETE", "/api/v1/beta/files/" + kept).status == 204);
    CHECK(stored_file().status == 200);
}

TEST_CASE("a job whose call ends after the routes are gone writes to neither their audit log nor their metrics",
          "[server][parse]") {
    Rig slow(slow_config());
    id_of(slow.post_form("/api/parsing/upload", document()));
    slow.drop_api();

    ledger::Reader ledger(slow.runtime().ledger().path());
    // The call's row is in; the router goes on at the clock's next turn, on this thread.
    slow.drive_until([&] { return ledger.count({}) == 1 && slow.runtime().ledger().pending() == 0; });
    slow.clock.run_ready();
    // The call's end has run, not merely been queued: nothing due is left (later timers, as the
    // next health probe, may be).
    const auto next = slow.clock.next_due();
    REQUIRE((!next || *next > slow.clock.now()));
    CHECK(slow.audit.lines().empty());
    CHECK_THAT(slow.metrics.render(slow.runtime()), !Contains(R"(switchboard_requests_total{backend="slow-parse")"));
}
