#include <string>
#include <thread>
#include <tuple>
#include <vector>

#include <boost/json.hpp>
#include <catch2/catch.hpp>

#include "llamaparse/llamaparse_rig.hpp"

namespace switchboard::llamaparse::testing {
namespace {

namespace json = boost::json;

TEST_CASE("v2 uploads the file and configuration parts and assembles the COMPLETED job", "[llamaparse]") {
    Rig rig;
    auto response = rig.parse();
    const auto& parsed = ok_value(response);

    REQUIRE(rig.fake.uploads().size() == 1);
    const FakeUpload upload = rig.fake.uploads()[0];
    CHECK(upload.route == "POST /api/v2/parse/upload");
    CHECK(upload.has_file);
    CHECK(upload.file_name == "report.pdf");
    CHECK(upload.content_type == "application/pdf");
    CHECK(upload.data == "First page\fSecond page");
    CHECK(upload.configuration == R"({"tier":"fast","version":"latest"})");
    CHECK(upload.fields.size() == 1);  // configuration only

    CHECK(rig.routes() == std::vector<std::string>{
                              "POST /api/v2/parse/upload",
                              "GET /api/v2/parse/pjb-000001?expand=markdown&expand=text&expand=usage",
                              "GET /api/v2/parse/pjb-000001?expand=markdown&expand=text&expand=usage",
                          });
    for (const auto& request : rig.fake.server().requests()) {
        CHECK(request.header("Authorization") == "Bearer " + test_key);
    }

    REQUIRE(parsed.pages.size() == 2);
    CHECK(parsed.pages[0].page == 1);
    CHECK(parsed.pages[0].markdown == "# Page 1\n\nFirst page");
    CHECK(parsed.pages[0].text == "First page");
    CHECK(parsed.pages[1].page == 2);
    CHECK(parsed.pages[1].markdown == "# Page 2\n\nSecond page");
    CHECK(parsed.pages[1].text == "Second page");
    CHECK(parsed.markdown == "# Page 1\n\nFirst page\n\n# Page 2\n\nSecond page");
    CHECK(parsed.text == "First page\n\nSecond page");
    CHECK(parsed.job_id == "pjb-000001");
    CHECK(parsed.usage.pages == 2);
    CHECK(parsed.usage.credits == 2);  // fast: 1 credit a page
    rig.check_no_key();
}

TEST_CASE("v2 sends the request's mode as tier, target pages and extras in the configuration", "[llamaparse]") {
    Rig rig({{"version", std::string("2026-09-07")}});
    auto request = two_page_document();
    request.mime_type.clear();
    request.options.mode = "agentic";
    request.options.target_pages = "1";
    request.options.extra = {{"disable_cache", "true"}, {"max_pages", "2"}};
    auto response = rig.parse(request);
    CHECK(ok_value(response).usage.credits == 20);  // agentic: 10 credits a page

    const FakeUpload upload = rig.fake.uploads().at(0);
    CHECK(upload.content_type == "application/octet-stream");
    CHECK(upload.configuration ==
          R"({"tier":"agentic","version":"2026-09-07","target_pages":"1","disable_cache":true,"max_pages":2})");
}

TEST_CASE("v2 sends organization_id and project_id on every request", "[llamaparse]") {
    Rig rig({{"organization_id", std::string("org 7")}, {"project_id", std::string("prj-1")}});
    auto response = rig.parse();
    REQUIRE(response.ok());
    CHECK(rig.routes() ==
          std::vector<std::string>{
              "POST /api/v2/parse/upload?organization_id=org%207&project_id=prj-1",
              "GET /api/v2/parse/pjb-000001?organization_id=org%207&project_id=prj-1&expand=markdown&expand=text&expand=usage",
              "GET /api/v2/parse/pjb-000001?organization_id=org%207&project_id=prj-1&expand=markdown&expand=text&expand=usage",
          });
}

TEST_CASE("v2 reports credits not billed yet as unknown and says so at debug", "[llamaparse]") {
    Rig rig;
    JobScript unbilled;
    unbilled.unbilled = true;
    rig.fake.script_next_job(unbilled);
    auto response = rig.parse();
    CHECK(ok_value(response).usage.pages == 2);
    CHECK(ok_value(response).usage.credits == credits_unknown);
    CHECK(rig.harness.logger.has(LogLevel::debug, "req-1",
                                 "LlamaParse job pjb-000001: job.usage.credits is null, not billed yet; credits "
                                 "unknown, so the host prices the pages at the tier's rate"));
}

TEST_CASE("v2 polls after 1, 2, 3, 4, 5, 5 s until the job completes", "[llamaparse]") {
    Rig rig;
    rig.fake.script_next_job(JobScript::completes_after(6));
    auto response = rig.parse();
    REQUIRE(response.ok());
    CHECK(rig.times_of("POST /api/v2/parse/upload") == std::vector<double>{0});
    CHECK(rig.times_of("GET /api/v2/parse/pjb-000001") == std::vector<double>{1, 3, 6, 10, 15, 20, 25});
    CHECK(rig.fake.polls("pjb-000001") == 7);
}

TEST_CASE("v2 poll waits follow poll_initial_ms, poll_step_ms and poll_max_ms", "[llamaparse]") {
    Rig rig({{"poll_initial_ms", std::int64_t{500}}, {"poll_step_ms", std::int64_t{250}}, {"poll_max_ms", std::int64_t{1000}}});
    rig.fake.script_next_job(JobScript::completes_after(4));
    REQUIRE(rig.parse().ok());
    CHECK(rig.times_of("GET /api/v2/parse/") == std::vector<double>{0.5, 1.25, 2.25, 3.25, 4.25});
}

TEST_CASE("v2 FAILED job is an upstream error carrying the job's message", "[llamaparse]") {
    Rig rig;
    rig.fake.script_next_job(JobScript::fails("Document is password protected"));
    auto response = rig.parse();
    const Error& error = error_of(response);
    CHECK(error.kind == ErrorKind::upstream_error);
    CHECK(error.message ==
          "LlamaParse job pjb-000001 FAILED: Document is password protected (backend 'llama-test', request req-1)");
    CHECK(rig.fake.cancelled_jobs().empty());
    CHECK(rig.plugin.status_details() ==
          std::vector<std::pair<std::string, std::string>>{{"last job", "pjb-000001"}, {"last job status", "FAILED"}});
}

TEST_CASE("v2 job cancelled upstream is an upstream error", "[llamaparse]") {
    Rig rig;
    rig.fake.script_next_job(JobScript::cancelled_upstream("Cancelled by user"));
    auto response = rig.parse();
    const Error& error = error_of(response);
    CHECK(error.kind == ErrorKind::upstream_error);
    CHECK(error.message == "LlamaParse job pjb-000001 was cancelled upstream (backend 'llama-test', request req-1)");
}

TEST_CASE("v2 failed page: the other pages come back and a warning names the failed one", "[llamaparse]") {
    Rig rig;
    rig.fake.script_next_job(JobScript::with_failed_pages({2}, "Page could not be rendered"));
    auto request = two_page_document();
    request.data = "One\fTwo\fThree";
    auto response = rig.parse(request);
    const auto& parsed = ok_value(response);
    REQUIRE(parsed.pages.size() == 2);
    CHECK(parsed.pages[0].page == 1);
    CHECK(parsed.pages[1].page == 3);
    CHECK(parsed.markdown == "# Page 1\n\nOne\n\n# Page 3\n\nThree");
    CHECK(parsed.usage.pages == 2);
    CHECK(parsed.usage.credits == 2);
    CHECK(rig.harness.logger.has(LogLevel::warn, "req-1",
                                 "LlamaParse job pjb-000001: 1 page(s) failed and are missing from the result "
                                 "(page 2: Page could not be rendered)"));
}

TEST_CASE("v2 job whose every page failed is an upstream error listing them", "[llamaparse]") {
    Rig rig;
    rig.fake.script_next_job(JobScript::with_failed_pages({1, 2}, "Unreadable scan"));
    auto response = rig.parse();
    const Error& error = error_of(response);
    CHECK(error.kind == ErrorKind::upstream_error);
    CHECK(error.message == "LlamaParse job pjb-000001 completed but every page failed (page 1: Unreadable scan; "
                           "page 2: Unreadable scan) (backend 'llama-test', request req-1)");
}

TEST_CASE("v2 job still PENDING at job_timeout_ms is a timeout and is cancelled upstream", "[llamaparse]") {
    Rig rig({{"job_timeout_ms", std::int64_t{12'000}}});
    rig.fake.script_next_job(JobScript::stays_pending());
    auto response = rig.parse();
    const Error& error = error_of(response);
    CHECK(error.kind == ErrorKind::timeout);
    CHECK(error.message == "LlamaParse job pjb-000001 still PENDING after 12 s (job_timeout_ms = 12000); the job was "
                           "cancelled upstream (backend 'llama-test', request req-1)");
    CHECK(rig.times_of("GET /api/v2/parse/") == std::vector<double>{1, 3, 6, 10, 12});
    CHECK(rig.times_of("POST /api/v2/parse/pjb-000001/cancel") == std::vector<double>{12});
    CHECK(rig.fake.cancelled_jobs() == std::vector<std::string>{"pjb-000001"});
    CHECK(rig.plugin.status_details().at(1) == std::pair<std::string, std::string>{"last job status", "CANCELLED"});
    rig.check_no_key();
}

TEST_CASE("v2 stops polling before the call's deadline, cancels the job and times out", "[llamaparse]") {
    Rig rig;
    rig.fake.script_next_job(JobScript::completes_after(10));
    auto ctx = rig.harness.context();
    ctx.deadline = rig.harness.clock.now() + std::chrono::milliseconds(4500);
    auto response = rig.parse(two_page_document(), ctx);
    const Error& error = error_of(response);
    CHECK(error.kind == ErrorKind::timeout);
    CHECK(error.message == "LlamaParse job pjb-000001 still RUNNING after 3 s, with the call's deadline before the next "
                           "poll; the job was cancelled upstream (backend 'llama-test', request req-1)");
    CHECK(rig.times_of("GET /api/v2/parse/") == std::vector<double>{1, 3});
    CHECK(rig.fake.cancelled_jobs() == std::vector<std::string>{"pjb-000001"});
}

TEST_CASE("v2 call cancelled while waiting to poll cancels the job upstream and times out", "[llamaparse]") {
    Rig rig;
    rig.fake.script_next_job(JobScript::completes_after(10));
    auto ctx = rig.harness.context();
    int waits = 0;
    rig.plugin_clock.on_timer = [&](Clock::duration) {
        if (++waits == 3) ctx.cancellation->cancel();  // during the wait before the third poll
    };
    auto response = rig.parse(two_page_document(), ctx);
    const Error& error = error_of(response);
    CHECK(error.kind == ErrorKind::timeout);
    CHECK(error.message == "LlamaParse call cancelled after 3 s while job pjb-000001 was RUNNING; the job was "
                           "cancelled upstream (backend 'llama-test', request req-1)");
    CHECK(rig.times_of("GET /api/v2/parse/") == std::vector<double>{1, 3});
    CHECK(rig.times_of("POST /api/v2/parse/pjb-000001/cancel") == std::vector<double>{3});
    CHECK(rig.fake.cancelled_jobs() == std::vector<std::string>{"pjb-000001"});
    CHECK(rig.harness.logger.has(LogLevel::info, "req-1", "LlamaParse job pjb-000001 cancelled upstream"));
}

TEST_CASE("v2 call cancelled while a poll is in flight aborts it and cancels the job upstream", "[llamaparse]") {
    Rig rig;
    rig.fake.push(FakeLlamaParse::never_answer(), "GET /api/v2/parse/");
    auto ctx = rig.harness.context();
    std::thread router([&] {
        // The upload and the first poll have arrived: the poll is in flight, never answered.
        rig.fake.server().wait_for_requests(2, std::chrono::seconds(10));
        ctx.cancellation->cancel();
    });
    auto response = rig.parse(two_page_document(), ctx);
    router.join();
    const Error& error = error_of(response);
    CHECK(error.kind == ErrorKind::timeout);
    CHECK(error.message == "LlamaParse call cancelled after 1 s while job pjb-000001 was PENDING; the job was "
                           "cancelled upstream (backend 'llama-test', request req-1)");
    CHECK(rig.fake.cancelled_jobs() == std::vector<std::string>{"pjb-000001"});
}

TEST_CASE("v2 keeps polling through availability failures of a poll", "[llamaparse]") {
    Rig rig;
    for (int i = 0; i < 3; ++i) rig.fake.push(FakeLlamaParse::error(503, "Service Unavailable"), "GET /api/v2/parse/");
    auto response = rig.parse();
    REQUIRE(response.ok());
    // First poll at 1 s: three attempts (host backoff 0.5 s, 1 s); next poll 2 s after that.
    CHECK(rig.times_of("GET /api/v2/parse/") == std::vector<double>{1, 1.5, 2.5, 4.5, 7.5});
    CHECK(rig.harness.logger.count(LogLevel::warn, "LlamaParse poll of job pjb-000001 failed (unavailable: LlamaParse 503 "
                                                   "on GET /api/v2/parse/pjb-000001: Service Unavailable") == 1);
}

TEST_CASE("v2 poll answered with invalid JSON ends the call with an upstream error", "[llamaparse]") {
    Rig rig;
    rig.fake.push(Reply::json(200, "{\"job\": {\"status\": \"RUNN"), "GET /api/v2/parse/");
    auto response = rig.parse();
    const Error& error = error_of(response);
    CHECK(error.kind == ErrorKind::upstream_error);
    CHECK(error.message == "LlamaParse answered GET /api/v2/parse/pjb-000001 with invalid JSON (incomplete JSON; body "
                           "\"{\"job\": {\"status\": \"RUNN\") (backend 'llama-test', request req-1)");
    CHECK(rig.times_of("GET /api/v2/parse/").size() == 1);
}

TEST_CASE("v2 poll answer of the wrong shape ends the call with an upstream error", "[llamaparse]") {
    Rig rig;
    rig.fake.push(Reply::json(200, R"({"id": "pjb-000001", "status": "RUNNING"})"), "GET /api/v2/parse/");
    auto response = rig.parse();
    const Error& error = error_of(response);
    CHECK(error.kind == ErrorKind::upstream_error);
    CHECK(error.message ==
          "LlamaParse answer to GET /api/v2/parse/pjb-000001 has no object 'job' (backend 'llama-test', request req-1)");
}

TEST_CASE("v2 warns that options.language is not sent", "[llamaparse]") {
    Rig rig;
    auto request = two_page_document();
    request.options.language = "fr";
    REQUIRE(rig.parse(request).ok());
    CHECK(rig.fake.uploads().at(0).configuration == R"({"tier":"fast","version":"latest"})");
    CHECK(rig.harness.logger.has(LogLevel::warn, "req-1",
                                 "options.language 'fr' not sent: LlamaParse v2 documents no language option "
                                 "(backend 'llama-test'; use api = \"v1\" for it)"));
}

TEST_CASE("v2 refuses a mode that is no tier before sending anything", "[llamaparse]") {
    Rig rig;
    auto request = two_page_document();
    request.options.mode = "parse_document_with_llm";  // a v1 mode with no tier of its price
    auto response = rig.parse(request);
    const Error& error = error_of(response);
    CHECK(error.kind == ErrorKind::bad_request);
    CHECK(error.message == "options.mode 'parse_document_with_llm' is not a LlamaParse v2 tier (fast, cost_effective, "
                           "agentic, agentic_plus) nor a v1 parse mode with a tier of the same price "
                           "(parse_page_without_llm, parse_page_with_llm, parse_page_with_agent) (backend "
                           "'llama-test', request req-1)");
    CHECK(rig.fake.server().request_count() == 0);
}

TEST_CASE("v2 sends a v1 client's parse_mode as the tier of the same price", "[llamaparse]") {
    for (auto [mode, tier, credits] : {std::tuple{"parse_page_without_llm", "fast", 2.0},
                                       std::tuple{"parse_page_with_llm", "cost_effective", 6.0},
                                       std::tuple{"parse_page_with_agent", "agentic", 20.0}}) {
        INFO(mode);
        Rig rig({{"version", std::string("latest")}});
        auto request = two_page_document();
        request.options.mode = mode;
        auto response = rig.parse(request);
        CHECK(ok_value(response).usage.credits == credits);  // two pages at the tier's rate
        CHECK(rig.fake.uploads().at(0).configuration ==
              std::string(R"({"tier":")") + tier + R"(","version":"latest"})");
    }
}

TEST_CASE("v2 status shows the last job and the rate-limit headers of the latest answer only", "[llamaparse]") {
    Rig rig;
    CHECK(rig.plugin.status_details().empty());
    REQUIRE(rig.parse().ok());
    CHECK(rig.plugin.status_details() ==
          std::vector<std::pair<std::string, std::string>>{{"last job", "pjb-000001"}, {"last job status", "COMPLETED"}});

    // The probe is not retried: its 429 is the latest answer.
    rig.fake.push(FakeLlamaParse::rate_limited(std::chrono::seconds(2)), "GET /api/v2/parse");
    REQUIRE_FALSE(rig.health().ok());
    CHECK(rig.plugin.status_details() == std::vector<std::pair<std::string, std::string>>{
                                             {"last job", "pjb-000001"},
                                             {"last job status", "COMPLETED"},
                                             {"retry-after", "2"},
                                             {"x-ratelimit-remaining-requests", "0"},
                                         });

    // A 429 on the upload, retried: the answers after it sent no such headers, so none stay.
    rig.fake.push(FakeLlamaParse::rate_limited(std::chrono::seconds(2)), "POST /api/v2/parse/upload");
    REQUIRE(rig.parse().ok());
    CHECK(rig.plugin.status_details() ==
          std::vector<std::pair<std::string, std::string>>{{"last job", "pjb-000002"}, {"last job status", "COMPLETED"}});
}

}  // namespace
}  // namespace switchboard::llamaparse::testing
