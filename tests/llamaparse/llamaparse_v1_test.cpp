#include <string>
#include <vector>

#include <catch2/catch.hpp>

#include "llamaparse/llamaparse_rig.hpp"

namespace switchboard::llamaparse::testing {
namespace {

const std::string job = "00000000-0000-4000-8000-000000000001";

TEST_CASE("v1 uploads the file alone when no option is set, polls, then fetches markdown and text", "[llamaparse]") {
    Rig rig({{"api", std::string("v1")}});
    rig.fake.set_account_credits_used(100);
    auto response = rig.parse();
    const auto& parsed = ok_value(response);

    const FakeUpload upload = rig.fake.uploads().at(0);
    CHECK(upload.route == "POST /api/parsing/upload");
    CHECK(upload.file_name == "report.pdf");
    CHECK(upload.content_type == "application/pdf");
    CHECK(upload.data == "First page\fSecond page");
    CHECK(upload.fields.empty());

    CHECK(rig.routes() == std::vector<std::string>{
                              "POST /api/parsing/upload",
                              "GET /api/parsing/job/" + job,
                              "GET /api/parsing/job/" + job,
                              "GET /api/parsing/job/" + job + "/result/markdown",
                              "GET /api/parsing/job/" + job + "/result/text",
                          });
    CHECK(rig.times_of("GET /api/parsing/job/") == std::vector<double>{1, 3, 3, 3});

    CHECK(parsed.markdown == "# Page 1\n\nFirst page\n---\n# Page 2\n\nSecond page");
    CHECK(parsed.text == "First page\n---\nSecond page");
    CHECK(parsed.pages.empty());  // v1 pages only come from /result/json (expand_items)
    CHECK(parsed.job_id == job);
    CHECK(parsed.usage.pages == 2);
    CHECK(parsed.usage.credits == 6);  // job_credits_usage, not the account's credits_used (106)
    rig.check_no_key();
}

TEST_CASE("v1 sends parse_mode, language, target_pages and extras as form fields", "[llamaparse]") {
    Rig rig({{"api", std::string("v1")}, {"organization_id", std::string("org-1")}});
    auto request = two_page_document();
    request.options.mode = "parse_page_with_agent";
    request.options.language = "fr";
    request.options.target_pages = "0,1";
    request.options.extra = {{"premium_mode", "true"}, {"max_pages", "2"}};
    auto response = rig.parse(request);
    CHECK(ok_value(response).usage.credits == 90);  // premium: 45 credits a page

    const FakeUpload upload = rig.fake.uploads().at(0);
    CHECK(upload.query == "organization_id=org-1");
    CHECK(upload.fields == std::vector<std::pair<std::string, std::string>>{{"parse_mode", "parse_page_with_agent"},
                                                                            {"language", "fr"},
                                                                            {"target_pages", "0,1"},
                                                                            {"max_pages", "2"},
                                                                            {"premium_mode", "true"}});
    for (const auto& exchange : rig.fake.exchanges()) CHECK(exchange.query == "organization_id=org-1");
}

TEST_CASE("v1 sends the backend's parse_mode when the request names none", "[llamaparse]") {
    Rig rig({{"api", std::string("v1")}, {"parse_mode", std::string("parse_page_without_llm")}});
    auto response = rig.parse();
    CHECK(ok_value(response).usage.credits == 2);
    CHECK(rig.fake.uploads().at(0).fields ==
          std::vector<std::pair<std::string, std::string>>{{"parse_mode", "parse_page_without_llm"}});
}

TEST_CASE("v1 sends a v2 client's tier as the parse_mode of the same price, and refuses agentic_plus",
          "[llamaparse]") {
    Rig rig({{"api", std::string("v1")}});
    auto request = two_page_document();
    request.options.mode = "agentic";
    auto response = rig.parse(request);
    CHECK(ok_value(response).usage.credits == 20);  // parse_page_with_agent: 10 credits a page
    CHECK(rig.fake.uploads().at(0).fields ==
          std::vector<std::pair<std::string, std::string>>{{"parse_mode", "parse_page_with_agent"}});

    request.options.mode = "agentic_plus";
    auto refused = rig.parse(request);
    const Error& error = error_of(refused);
    CHECK(error.kind == ErrorKind::bad_request);
    CHECK_THAT(error.message, Catch::StartsWith("options.mode 'agentic_plus' is a LlamaParse v2 tier with no v1 "
                                                "parse mode of the same price"));
    CHECK(rig.fake.uploads().size() == 1);  // nothing sent
}

TEST_CASE("v1 cache hit is free, without job_credits_usage credits are unknown with a warning, never credits_used",
          "[llamaparse]") {
    Rig rig({{"api", std::string("v1")}});
    rig.fake.set_account_credits_used(100);
    rig.fake.script_next_job(JobScript::cache_hit_v1());
    auto cached = rig.parse();
    CHECK(ok_value(cached).usage.pages == 2);
    CHECK(ok_value(cached).usage.credits == 0);

    JobScript older;
    older.omit_job_credits_usage = true;
    rig.fake.script_next_job(older);
    auto unknown = rig.parse();
    CHECK(ok_value(unknown).usage.pages == 2);
    CHECK(ok_value(unknown).usage.credits == credits_unknown);  // not the account's running total, credits_used (106)
    CHECK(rig.harness.logger.has(LogLevel::warn, "req-1",
                                 "LlamaParse job 00000000-0000-4000-8000-000000000002: job_metadata has no "
                                 "job_credits_usage; credits unknown, so the host prices the pages at the tier's rate"));
    CHECK(rig.harness.logger.count(LogLevel::warn, "credits unknown") == 1);  // none for the cache hit
}

TEST_CASE("v1 with expand_items fills pages from /result/json", "[llamaparse]") {
    Rig rig({{"api", std::string("v1")}, {"expand_items", true}});
    auto response = rig.parse();
    const auto& parsed = ok_value(response);
    CHECK(rig.routes().back() == "GET /api/parsing/job/" + job + "/result/json");
    REQUIRE(parsed.pages.size() == 2);
    CHECK(parsed.pages[0].page == 1);
    CHECK(parsed.pages[0].markdown == "# Page 1\n\nFirst page");
    CHECK(parsed.pages[0].text == "First page");
    CHECK(parsed.pages[1].page == 2);
    CHECK(parsed.pages[1].text == "Second page");
}

TEST_CASE("v1 ERROR, PARTIAL_SUCCESS and CANCELLED jobs are upstream errors with the job's message", "[llamaparse]") {
    Rig rig({{"api", std::string("v1")}});
    rig.fake.script_next_job(JobScript::fails("Unsupported file type", "UNSUPPORTED_FILE_TYPE"));
    auto error = rig.parse();
    CHECK(error_of(error).kind == ErrorKind::upstream_error);
    CHECK(error_of(error).message == "LlamaParse job 00000000-0000-4000-8000-000000000001 ended with ERROR: Unsupported "
                                     "file type (error_code UNSUPPORTED_FILE_TYPE) (backend 'llama-test', request req-1)");

    rig.fake.script_next_job(JobScript::partial_success("3 of 40 pages failed"));
    auto partial = rig.parse();
    CHECK(error_of(partial).kind == ErrorKind::upstream_error);
    CHECK(error_of(partial).message ==
          "LlamaParse job 00000000-0000-4000-8000-000000000002 ended with PARTIAL_SUCCESS: some pages failed (3 of 40 "
          "pages failed); a partial result is treated as a failure, as the official clients do (backend 'llama-test', "
          "request req-1)");

    rig.fake.script_next_job(JobScript::cancelled_upstream("Job cancelled"));
    auto cancelled = rig.parse();
    CHECK(error_of(cancelled).kind == ErrorKind::upstream_error);
    CHECK(error_of(cancelled).message == "LlamaParse job 00000000-0000-4000-8000-000000000003 was cancelled upstream: "
                                         "Job cancelled (backend 'llama-test', request req-1)");
    // No result was fetched for a failed job.
    for (const auto& route : rig.routes()) CHECK(route.find("/result/") == std::string::npos);
}

TEST_CASE("v1 job still PENDING at job_timeout_ms times out, v1 cannot cancel it upstream", "[llamaparse]") {
    Rig rig({{"api", std::string("v1")}, {"job_timeout_ms", std::int64_t{7'000}}});
    rig.fake.script_next_job(JobScript::stays_pending());
    auto response = rig.parse();
    const Error& error = error_of(response);
    CHECK(error.kind == ErrorKind::timeout);
    CHECK(error.message == "LlamaParse job " + job + " still PENDING after 7 s (job_timeout_ms = 7000); LlamaParse v1 "
                           "has no cancel endpoint, so the job keeps running upstream (backend 'llama-test', request req-1)");
    CHECK(rig.times_of("GET /api/parsing/job/") == std::vector<double>{1, 3, 6, 7});
    CHECK(rig.fake.exchanges().back().method == "GET");
    CHECK(rig.harness.logger.has(LogLevel::warn, "req-1",
                                 "LlamaParse v1 has no cancel endpoint: job " + job +
                                     " keeps running upstream (and may still be billed)"));
}

TEST_CASE("v1 call cancelled mid-poll returns a timeout and logs that the job keeps running", "[llamaparse]") {
    Rig rig({{"api", std::string("v1")}});
    rig.fake.script_next_job(JobScript::stays_pending());
    auto ctx = rig.harness.context();
    int waits = 0;
    rig.plugin_clock.on_timer = [&](Clock::duration) {
        if (++waits == 2) ctx.cancellation->cancel();
    };
    auto response = rig.parse(two_page_document(), ctx);
    const Error& error = error_of(response);
    CHECK(error.kind == ErrorKind::timeout);
    CHECK(error.message == "LlamaParse call cancelled after 1 s while job " + job + " was PENDING; LlamaParse v1 has no "
                           "cancel endpoint, so the job keeps running upstream (backend 'llama-test', request req-1)");
    CHECK(rig.times_of("GET /api/parsing/job/") == std::vector<double>{1});
    CHECK(rig.harness.logger.count(LogLevel::warn, "keeps running upstream") == 1);
}

TEST_CASE("v1 result answer of the wrong shape is an upstream error naming the request", "[llamaparse]") {
    Rig rig({{"api", std::string("v1")}});
    rig.fake.push(Reply::json(200, R"({"text": "not markdown"})"), "GET /api/parsing/job/" + job + "/result/markdown");
    auto response = rig.parse();
    CHECK(error_of(response).kind == ErrorKind::upstream_error);
    CHECK(error_of(response).message == "LlamaParse answer to GET /api/parsing/job/" + job +
                                            "/result/markdown has no string 'markdown' (backend 'llama-test', request req-1)");
}

}  // namespace
}  // namespace switchboard::llamaparse::testing
