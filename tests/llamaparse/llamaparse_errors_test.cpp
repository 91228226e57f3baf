#include <string>
#include <vector>

#include <catch2/catch.hpp>

#include "llamaparse/llamaparse_rig.hpp"

namespace switchboard::llamaparse::testing {
namespace {

const char* upload_route = "POST /api/v2/parse/upload";

TEST_CASE("a wrong key is an auth error naming the request and where the key comes from", "[llamaparse]") {
    const std::string wrong_key = "llx-wrong-0000000000000000000000000000";
    Rig rig({}, wrong_key);
    auto response = rig.parse();
    const Error& error = error_of(response);
    CHECK(error.kind == ErrorKind::auth);
    CHECK(error.upstream_status == 401);
    CHECK(error.message == "LlamaParse 401 on POST /api/v2/parse/upload: Invalid authentication token (backend "
                           "'llama-test', request req-1); check LLAMA_CLOUD_API_KEY or api_key in [backends.llama-test]");
    CHECK(rig.fake.server().request_count() == 1);  // auth is not retried
    for (const auto& line : rig.harness.logger.lines()) CHECK(line.message.find(wrong_key) == std::string::npos);
}

TEST_CASE("402 is a quota error with the upstream's detail, not retried", "[llamaparse]") {
    Rig rig;
    rig.fake.push(FakeLlamaParse::error(402, "Insufficient credits: 0 remaining"), upload_route);
    auto response = rig.parse();
    const Error& error = error_of(response);
    CHECK(error.kind == ErrorKind::quota);
    CHECK(error.upstream_status == 402);
    CHECK(error.message == "LlamaParse 402 on POST /api/v2/parse/upload: Insufficient credits: 0 remaining (backend "
                           "'llama-test', request req-1); the LlamaCloud account is out of credits");
    CHECK(rig.fake.server().request_count() == 1);
    rig.check_no_key();
}

TEST_CASE("429 on upload is retried by the host after Retry-After, then the parse succeeds", "[llamaparse]") {
    Rig rig;
    rig.fake.push(FakeLlamaParse::rate_limited(std::chrono::seconds(3)), upload_route);
    auto response = rig.parse();
    REQUIRE(response.ok());
    CHECK(rig.times_of(upload_route) == std::vector<double>{0, 3});
    CHECK(rig.fake.uploads().size() == 1);  // the refused attempt created no job
}

TEST_CASE("429 on every attempt is rate_limited with the upstream's Retry-After", "[llamaparse]") {
    Rig rig;
    for (int i = 0; i < 3; ++i) rig.fake.push(FakeLlamaParse::rate_limited(std::chrono::seconds(1)), upload_route);
    auto response = rig.parse();
    const Error& error = error_of(response);
    CHECK(error.kind == ErrorKind::rate_limited);
    CHECK(error.retry_after == std::chrono::milliseconds(1000));
    CHECK(error.message == "LlamaParse 429 on POST /api/v2/parse/upload: Too many requests, please slow down (backend "
                           "'llama-test', request req-1) (after 3 attempts)");
    CHECK(rig.times_of(upload_route) == std::vector<double>{0, 1, 2});
}

TEST_CASE("5xx on every upload attempt is unavailable", "[llamaparse]") {
    Rig rig;
    for (int i = 0; i < 3; ++i) rig.fake.push(FakeLlamaParse::error(502, "Bad Gateway"), upload_route);
    auto response = rig.parse();
    const Error& error = error_of(response);
    CHECK(error.kind == ErrorKind::unavailable);
    CHECK(error.upstream_status == 502);
    CHECK(error.message ==
          "LlamaParse 502 on POST /api/v2/parse/upload: Bad Gateway (backend 'llama-test', request req-1) (after 3 attempts)");
    CHECK(rig.times_of(upload_route) == std::vector<double>{0, 0.5, 1.5});
}

TEST_CASE("422 validation errors are bad requests with the detail list as compact JSON", "[llamaparse]") {
    Rig rig;
    rig.fake.push(Reply::json(422, R"({"detail": [{"type": "missing", "loc": ["body", "file"], "msg": "Field required"}]})"),
                  upload_route);
    auto response = rig.parse();
    const Error& error = error_of(response);
    CHECK(error.kind == ErrorKind::bad_request);
    CHECK(error.message == R"(LlamaParse 422 on POST /api/v2/parse/upload: [{"type":"missing","loc":["body","file"],)"
                           R"("msg":"Field required"}] (backend 'llama-test', request req-1))");
}

TEST_CASE("a 404 while polling ends the call at once", "[llamaparse]") {
    Rig rig;
    rig.fake.push(FakeLlamaParse::error(404, "Job not found"), "GET /api/v2/parse/");
    auto response = rig.parse();
    const Error& error = error_of(response);
    CHECK(error.kind == ErrorKind::bad_request);
    CHECK(error.message ==
          "LlamaParse 404 on GET /api/v2/parse/pjb-000001: Job not found (backend 'llama-test', request req-1)");
    CHECK(rig.times_of("GET /api/v2/parse/").size() == 1);
}

TEST_CASE("an upload answered with invalid JSON is an upstream error", "[llamaparse]") {
    Rig rig;
    rig.fake.push(FakeLlamaParse::malformed_json(), upload_route);
    auto response = rig.parse();
    const Error& error = error_of(response);
    CHECK(error.kind == ErrorKind::upstream_error);
    CHECK(error.message == "LlamaParse answered POST /api/v2/parse/upload with invalid JSON (incomplete JSON; body "
                           "\"{\"id\": \"pjb-\") (backend 'llama-test', request req-1)");
    CHECK(rig.fake.server().request_count() == 1);
}

TEST_CASE("an upload answer cut short or reset mid-body is an upstream error, never a success", "[llamaparse]") {
    config::HttpSettings once = test_http();
    once.max_attempts = 1;
    Rig rig({}, test_key, once);
    rig.fake.push(FakeLlamaParse::truncated(), upload_route);
    auto truncated = rig.parse();
    CHECK(error_of(truncated).kind == ErrorKind::upstream_error);
    rig.fake.push(FakeLlamaParse::reset(), upload_route);
    auto reset = rig.parse();
    CHECK(error_of(reset).kind == ErrorKind::upstream_error);
    CHECK(rig.times_of("GET").empty());  // no job was polled
    rig.check_no_key();
}

TEST_CASE("an upload answer without an id is an upstream error naming the request", "[llamaparse]") {
    Rig rig;
    rig.fake.push(Reply::json(200, R"({"job_id": "pjb-1", "status": "PENDING"})"), upload_route);
    auto response = rig.parse();
    CHECK(error_of(response).kind == ErrorKind::upstream_error);
    CHECK(error_of(response).message ==
          "LlamaParse answer to POST /api/v2/parse/upload has no string 'id' (backend 'llama-test', request req-1)");
}

TEST_CASE("a key echoed by the upstream is redacted from the error", "[llamaparse]") {
    Rig rig;
    rig.fake.push(FakeLlamaParse::error(400, "Malformed header 'Bearer " + test_key + "'"), upload_route);
    auto response = rig.parse();
    CHECK(error_of(response).message == "LlamaParse 400 on POST /api/v2/parse/upload: Malformed header 'Bearer llx-****' "
                                        "(backend 'llama-test', request req-1)");
    rig.check_no_key();
}

TEST_CASE("a key straddling the cut of a quoted upstream text is redacted before the cut", "[llamaparse]") {
    // Each text places the key's first 12 bytes inside the part that is kept.
    Rig rig;
    rig.fake.push(FakeLlamaParse::error(400, std::string(488, 'd') + test_key + " tail"), upload_route);
    auto detail = rig.parse();
    CHECK(error_of(detail).message == "LlamaParse 400 on POST /api/v2/parse/upload: " + std::string(488, 'd') +
                                          "llx-**** tai... (backend 'llama-test', request req-1)");

    Reply text_body;
    text_body.status = 400;
    text_body.headers.push_back({"Content-Type", "text/plain"});
    text_body.body = std::string(288, 'b') + test_key + " tail";
    rig.fake.push(text_body, upload_route);
    auto body = rig.parse();
    CHECK(error_of(body).message == "LlamaParse 400 on POST /api/v2/parse/upload: " + std::string(288, 'b') +
                                        "llx-**** tai... (backend 'llama-test', request req-1)");

    rig.fake.push(Reply::json(200, "{" + std::string(107, 'j') + test_key + " tail"), upload_route);
    auto invalid = rig.parse();
    CHECK(error_of(invalid).kind == ErrorKind::upstream_error);
    CHECK(error_of(invalid).message == "LlamaParse answered POST /api/v2/parse/upload with invalid JSON (syntax error; "
                                       "body \"{" + std::string(107, 'j') + "llx-**** tai...\") (backend 'llama-test', "
                                       "request req-1)");

    for (const auto* result : {&detail, &body, &invalid}) {
        INFO(result->error().message);
        CHECK(key_piece_in(result->error().message).empty());
    }
    rig.check_no_key();
}

TEST_CASE("a poll answer over max_response_bytes ends the call at once with an upstream error and cancels the job",
          "[llamaparse]") {
    config::HttpSettings small = test_http();
    small.max_response_bytes = 1024;
    Rig rig({}, test_key, small);
    rig.fake.push(Reply::json(200, R"({"job": {"status": "RUNNING"}, "padding": ")" + std::string(2000, 'p') + "\"}"),
                  "GET /api/v2/parse/");
    auto response = rig.parse();
    const Error& error = error_of(response);
    CHECK(error.kind == ErrorKind::upstream_error);
    CHECK(error.message == "response body larger than 1024 bytes from GET " + rig.fake.base_url() +
                               "/api/v2/parse/pjb-000001?expand=markdown&expand=text&expand=usage"
                               "; the job was cancelled upstream");
    CHECK(rig.times_of("GET /api/v2/parse/") == std::vector<double>{1});  // one attempt, no further poll
    // A job whose answers cannot be read is stopped rather than left running and billing.
    CHECK(rig.fake.cancelled_jobs() == std::vector<std::string>{"pjb-000001"});
}

TEST_CASE("a poll answer cut short on every attempt ends the call with an upstream error, no further poll",
          "[llamaparse]") {
    Rig rig;
    for (int i = 0; i < 3; ++i) rig.fake.push(FakeLlamaParse::truncated(), "GET /api/v2/parse/");
    auto response = rig.parse();
    const Error& error = error_of(response);
    CHECK(error.kind == ErrorKind::upstream_error);
    CHECK(rig.times_of("GET /api/v2/parse/") == std::vector<double>{1, 1.5, 2.5});  // the host's three attempts
    CHECK(rig.harness.logger.count(LogLevel::warn, "polling again") == 0);
    // The cancel is tried; here the job had in fact finished, and the message says so.
    CHECK(rig.fake.cancelled_jobs() == std::vector<std::string>{"pjb-000001"});
    CHECK(error.message.find("(after 3 attempts); cancelling it upstream failed (bad_request: LlamaParse 400 on POST "
                             "/api/v2/parse/pjb-000001/cancel: Job pjb-000001 is already COMPLETED") != std::string::npos);
}

TEST_CASE("health lists one v2 job with the key: ok, or the mapped error", "[llamaparse]") {
    Rig rig({{"project_id", std::string("prj-1")}});
    CHECK(rig.health().ok());
    CHECK(rig.routes() == std::vector<std::string>{"GET /api/v2/parse?project_id=prj-1&page_size=1"});

    Rig v1({{"api", std::string("v1")}});
    CHECK(v1.health().ok());
    CHECK(v1.routes() == std::vector<std::string>{"GET /api/v2/parse?page_size=1"});

    Rig wrong({}, "llx-wrong-0000000000000000000000000000");
    auto status = wrong.health();
    REQUIRE_FALSE(status.ok());
    CHECK(status.error().kind == ErrorKind::auth);
    CHECK(status.error().message == "LlamaParse 401 on GET /api/v2/parse: Invalid authentication token (backend "
                                    "'llama-test', request req-1); check LLAMA_CLOUD_API_KEY or api_key in [backends.llama-test]");
}

TEST_CASE("without a key, parse and health fail with auth and send nothing", "[llamaparse]") {
    Rig rig({}, "");
    auto response = rig.parse();
    const Error& error = error_of(response);
    CHECK(error.kind == ErrorKind::auth);
    CHECK(error.message == "no API key for backend 'llama-test': set LLAMA_CLOUD_API_KEY or api_key in [backends.llama-test]");
    auto status = rig.health();
    REQUIRE_FALSE(status.ok());
    CHECK(status.error().kind == ErrorKind::auth);
    CHECK(status.error().message == error.message);
    CHECK(rig.fake.server().request_count() == 0);
}

TEST_CASE("the key appears in no log line or error across failing calls", "[llamaparse]") {
    Rig rig({{"job_timeout_ms", std::int64_t{4'000}}});
    rig.fake.push(FakeLlamaParse::error(401, "Invalid authentication token"), upload_route);
    CHECK_FALSE(rig.parse().ok());
    for (int i = 0; i < 3; ++i) rig.fake.push(FakeLlamaParse::error(500, "Internal Server Error"), upload_route);
    CHECK_FALSE(rig.parse().ok());
    rig.fake.script_next_job(JobScript::fails("Corrupt file"));
    CHECK_FALSE(rig.parse().ok());
    rig.fake.script_next_job(JobScript::stays_pending());
    CHECK_FALSE(rig.parse().ok());
    rig.fake.push(FakeLlamaParse::error(503, "busy"), "GET /api/v2/parse/");
    CHECK(rig.parse().ok());
    CHECK_FALSE(rig.harness.logger.lines().empty());
    rig.check_no_key();
}

}  // namespace
}  // namespace switchboard::llamaparse::testing
