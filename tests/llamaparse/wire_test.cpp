#include <string>

#include <boost/json.hpp>
#include <catch2/catch.hpp>

#include "llamaparse/option_values.hpp"
#include "llamaparse/upstream_client.hpp"
#include "llamaparse/v1_protocol.hpp"
#include "llamaparse/v2_protocol.hpp"

namespace switchboard::llamaparse {
namespace {

namespace json = boost::json;
using namespace std::string_literals;

ParseRequest document(std::string file_name = "a.pdf", std::string mime_type = "application/pdf",
                      std::string data = "%PDF-1.4 bytes") {
    ParseRequest request;
    request.file_name = std::move(file_name);
    request.mime_type = std::move(mime_type);
    request.data = std::move(data);
    return request;
}

json::value parsed(std::string_view text) { return json::parse(text); }

std::string configuration_text(const ParseRequest& request, const LlamaParseSettings& settings = {}) {
    auto config = v2::configuration(request, settings);
    INFO((config.ok() ? std::string() : config.error().message));
    REQUIRE(config.ok());
    return json::serialize(config.value());
}

Error configuration_error(const ParseRequest& request) {
    auto config = v2::configuration(request, LlamaParseSettings{});
    REQUIRE_FALSE(config.ok());
    CHECK(config.error().kind == ErrorKind::bad_request);
    return config.error();
}

constexpr std::string_view where = "GET /api/v2/parse/pjb-1";

Error completed_error(std::string_view answer) {
    auto result = v2::completed(parsed(answer), where);
    REQUIRE_FALSE(result.ok());
    CHECK(result.error().kind == ErrorKind::upstream_error);
    return result.error();
}

TEST_CASE("v2 configuration carries tier and version, then only the options that are set", "[llamaparse]") {
    CHECK(configuration_text(document()) == R"({"tier":"fast","version":"latest"})");

    LlamaParseSettings settings;
    settings.tier = "cost_effective";
    settings.version = "2026-09-07";
    CHECK(configuration_text(document(), settings) == R"({"tier":"cost_effective","version":"2026-09-07"})");

    auto request = document();
    request.options.mode = "agentic_plus";
    request.options.target_pages = "1,3-4";
    request.options.language = "fr";  // v2 documents no language option: not sent
    request.options.extra = {{"disable_cache", "true"},
                             {"max_pages", "12"},
                             {"agentic_options", R"({"custom_prompt":"Tables as HTML"})"},
                             {"crop_box", R"({"top":0.1,"bottom":0.0})"},
                             {"note", "007"}};
    CHECK(configuration_text(request, settings) ==
          R"({"tier":"agentic_plus","version":"2026-09-07","target_pages":"1,3-4",)"
          R"("agentic_options":{"custom_prompt":"Tables as HTML"},"crop_box":{"top":1E-1,"bottom":0E0},)"
          R"("disable_cache":true,"max_pages":12,"note":"007"})");
}

TEST_CASE("v2 extra values become booleans, integers, JSON objects or strings", "[llamaparse]") {
    CHECK(option_value("true") == json::value(true));
    CHECK(option_value("false") == json::value(false));
    CHECK(option_value("0") == json::value(0));
    CHECK(option_value("-42") == json::value(-42));
    CHECK(option_value("007") == json::value("007"));
    CHECK(option_value("1.5") == json::value("1.5"));
    CHECK(option_value("True") == json::value("True"));
    CHECK(option_value("12345678901234567890") == json::value("12345678901234567890"));
    CHECK(option_value("[1,2]") == parsed("[1,2]"));
    CHECK(option_value("{not json") == json::value("{not json"));
    CHECK(option_value("") == json::value(""));
}

TEST_CASE("v2 refuses a mode that is no tier and extras that repeat tier, version or a set option", "[llamaparse]") {
    auto request = document();
    request.options.mode = "best";
    CHECK(configuration_error(request).message ==
          "options.mode 'best' is not a LlamaParse v2 tier (fast, cost_effective, agentic, agentic_plus) nor a v1 "
          "parse mode with a tier of the same price (parse_page_without_llm, parse_page_with_llm, "
          "parse_page_with_agent)");

    request = document();
    request.options.extra = {{"tier", "agentic"}};
    CHECK(configuration_error(request).message ==
          "options.extra 'tier' cannot be passed: the tier comes from options.mode or the backend's tier setting");

    request.options.extra = {{"version", "latest"}};
    CHECK(configuration_error(request).message ==
          "options.extra 'version' cannot be passed: the version comes from the backend's version setting");

    request.options.extra = {{"target_pages", "2"}};
    request.options.target_pages = "1";
    CHECK(configuration_error(request).message == "options.extra 'target_pages' repeats options.target_pages; set it once");
}

TEST_CASE("v2 upload is a multipart body with the file part, then the configuration part", "[llamaparse]") {
    auto request = document("q3 \"final\".pdf", "", "%PDF\r\nbinary\0bytes"s);
    request.options.target_pages = "2";
    auto upload = v2::upload(request, LlamaParseSettings{}, MultipartBody("XyZ"));
    REQUIRE(upload.ok());
    CHECK(upload.value().content_type == "multipart/form-data; boundary=XyZ");
    CHECK(upload.value().tier == "fast");
    CHECK(upload.value().body ==
          "--XyZ\r\n"
          "Content-Disposition: form-data; name=\"file\"; filename=\"q3 %22final%22.pdf\"\r\n"
          "Content-Type: application/octet-stream\r\n\r\n"
          "%PDF\r\nbinary\0bytes\r\n"s +
          "--XyZ\r\n"
          "Content-Disposition: form-data; name=\"configuration\"\r\n\r\n"
          "{\"tier\":\"fast\",\"version\":\"latest\",\"target_pages\":\"2\"}\r\n"
          "--XyZ--\r\n");
}

TEST_CASE("v1 upload sends the file part, then only the form fields that are set", "[llamaparse]") {
    auto plain = v1::upload(document(), LlamaParseSettings{}, MultipartBody("b"));
    REQUIRE(plain.ok());
    CHECK(plain.value().body ==
          "--b\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a.pdf\"\r\n"
          "Content-Type: application/pdf\r\n\r\n%PDF-1.4 bytes\r\n--b--\r\n");

    auto request = document();
    request.options.mode = "parse_page_with_agent";
    request.options.language = "de";
    request.options.target_pages = "0,2";
    request.options.extra = {{"premium_mode", "true"}, {"max_pages", "3"}};
    LlamaParseSettings settings;
    settings.parse_mode = "parse_page_without_llm";  // options.mode wins
    auto full = v1::upload(request, settings, MultipartBody("b"));
    REQUIRE(full.ok());
    CHECK(full.value().body ==
          "--b\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a.pdf\"\r\n"
          "Content-Type: application/pdf\r\n\r\n%PDF-1.4 bytes\r\n"
          "--b\r\nContent-Disposition: form-data; name=\"parse_mode\"\r\n\r\nparse_page_with_agent\r\n"
          "--b\r\nContent-Disposition: form-data; name=\"language\"\r\n\r\nde\r\n"
          "--b\r\nContent-Disposition: form-data; name=\"target_pages\"\r\n\r\n0,2\r\n"
          "--b\r\nContent-Disposition: form-data; name=\"max_pages\"\r\n\r\n3\r\n"
          "--b\r\nContent-Disposition: form-data; name=\"premium_mode\"\r\n\r\ntrue\r\n"
          "--b--\r\n");
}

TEST_CASE("v1 upload refuses an extra field that repeats one the request sets", "[llamaparse]") {
    auto request = document();
    request.options.language = "en";
    request.options.extra = {{"language", "fr"}};
    auto upload = v1::upload(request, LlamaParseSettings{});
    REQUIRE_FALSE(upload.ok());
    CHECK(upload.error().kind == ErrorKind::bad_request);
    CHECK(upload.error().message == "options.extra 'language' repeats a form field the request already sets; set it once");

    request.options.extra = {{"file", "x"}};
    CHECK_FALSE(v1::upload(request, LlamaParseSettings{}).ok());
}

TEST_CASE("v2 poll asks for markdown, text and usage", "[llamaparse]") {
    CHECK(v2::poll_query() == QueryParams{{"expand", "markdown"}, {"expand", "text"}, {"expand", "usage"}});
    CHECK(v2::job_path("pjb-1/..") == "/api/v2/parse/pjb-1%2F..");
    CHECK(v2::cancel_path("pjb-1") == "/api/v2/parse/pjb-1/cancel");
    CHECK(v1::result_path("abc", "json") == "/api/parsing/job/abc/result/json");
}

TEST_CASE("v2 COMPLETED answer becomes pages by page number, joined documents and credits", "[llamaparse]") {
    auto result = v2::completed(parsed(R"({
        "job": {"id": "pjb-1", "status": "COMPLETED", "error_message": null, "usage": {"credits": 4.5}},
        "markdown": {"pages": [{"page_number": 2, "markdown": "# Two", "success": true},
                               {"page_number": 1, "markdown": "# One"},
                               {"page_number": 3, "markdown": "", "success": true}]},
        "text": {"pages": [{"page_number": 1, "text": "One"}, {"page_number": 2, "text": "Two"},
                           {"page_number": 3, "text": "Three"}]}})"),
                                where);
    REQUIRE(result.ok());
    const auto& response = result.value().response;
    REQUIRE(response.pages.size() == 3);
    CHECK(response.pages[0].page == 1);
    CHECK(response.pages[0].markdown == "# One");
    CHECK(response.pages[0].text == "One");
    CHECK(response.pages[1].page == 2);
    CHECK(response.pages[2].markdown.empty());
    CHECK(response.pages[2].text == "Three");
    CHECK(response.markdown == "# One\n\n# Two");
    CHECK(response.text == "One\n\nTwo\n\nThree");
    CHECK(response.job_id == "pjb-1");
    CHECK(response.usage.pages == 3);
    CHECK(response.usage.credits == 4.5);
    CHECK(result.value().credits_billed);
    CHECK(result.value().failed_pages.empty());
}

TEST_CASE("v2 COMPLETED answer sets failed pages apart and reports unbilled credits as unknown", "[llamaparse]") {
    auto result = v2::completed(parsed(R"({
        "job": {"id": "pjb-1", "status": "COMPLETED", "usage": {"credits": null}},
        "markdown": {"pages": [{"page_number": 1, "markdown": "# One", "success": true},
                               {"page_number": 2, "success": false, "error": "Page could not be rendered"},
                               {"page_number": 3, "success": false}]},
        "text": {"pages": [{"page_number": 1, "text": "One"}, {"page_number": 2, "text": "stale"}]}})"),
                                where);
    REQUIRE(result.ok());
    const auto& completed = result.value();
    REQUIRE(completed.response.pages.size() == 1);
    CHECK(completed.response.text == "One");
    CHECK(completed.response.usage.pages == 1);
    CHECK(completed.response.usage.credits == credits_unknown);
    CHECK_FALSE(completed.credits_billed);
    REQUIRE(completed.failed_pages.size() == 2);
    CHECK(completed.failed_pages[0].page == 2);
    CHECK(completed.failed_pages[0].error == "Page could not be rendered");
    CHECK(completed.failed_pages[1].page == 3);
    CHECK(completed.failed_pages[1].error == "no error given");
}

TEST_CASE("v2 answers of the wrong shape are upstream errors naming the request and the field", "[llamaparse]") {
    CHECK(completed_error("[1]").message == "LlamaParse answer to GET /api/v2/parse/pjb-1 is an array, not an object");
    CHECK(completed_error(R"({"status": "COMPLETED"})").message ==
          "LlamaParse answer to GET /api/v2/parse/pjb-1 has no object 'job'");
    CHECK(completed_error(R"({"job": {"status": 3}})").message ==
          "LlamaParse answer to GET /api/v2/parse/pjb-1 has no string 'job.status'");
    CHECK(completed_error(R"({"job": {"status": "COMPLETED"}})").message ==
          "LlamaParse answer to GET /api/v2/parse/pjb-1 says COMPLETED but carries neither markdown.pages nor text.pages");
    CHECK(completed_error(R"({"job": {"status": "COMPLETED"}, "markdown": {"pages": {}}})").message ==
          "LlamaParse answer to GET /api/v2/parse/pjb-1 has no array 'pages' in markdown");
    CHECK(completed_error(R"({"job": {"status": "COMPLETED"}, "markdown": {"pages": [{"markdown": "x"}]}})").message ==
          "LlamaParse answer to GET /api/v2/parse/pjb-1 has markdown.pages[0] without a positive integer 'page_number'");
    CHECK(completed_error(R"({"job": {"status": "COMPLETED"}, "text": {"pages": [{"page_number": 1, "text": 7}]}})")
              .message == "LlamaParse answer to GET /api/v2/parse/pjb-1 has text.pages[0].text that is a number, not a string");
    CHECK(completed_error(R"({"job": {"status": "COMPLETED", "usage": {"credits": "3"}}, "text": {"pages": []}})")
              .message == "LlamaParse answer to GET /api/v2/parse/pjb-1 has job.usage.credits that is not a non-negative number");
}

TEST_CASE("v2 reads the new job's id and a job's status and error message", "[llamaparse]") {
    auto id = v2::created_job_id(parsed(R"({"id": "pjb-9", "status": "PENDING"})"), "POST /api/v2/parse/upload");
    REQUIRE(id.ok());
    CHECK(id.value() == "pjb-9");
    auto missing = v2::created_job_id(parsed(R"({"job_id": "pjb-9"})"), "POST /api/v2/parse/upload");
    REQUIRE_FALSE(missing.ok());
    CHECK(missing.error().message == "LlamaParse answer to POST /api/v2/parse/upload has no string 'id'");

    auto job = v2::job_of(parsed(R"({"job": {"id": "pjb-9", "status": "FAILED", "error_message": "Encrypted PDF"}})"), where);
    REQUIRE(job.ok());
    CHECK(job.value().id == "pjb-9");
    CHECK(job.value().status == "FAILED");
    CHECK(job.value().error_message == "Encrypted PDF");
}

TEST_CASE("v1 reads job status with its error code, documents, usage and json pages", "[llamaparse]") {
    auto job = v1::job_of(parsed(R"({"id": "u", "status": "ERROR", "error_code": 7, "error_message": "Bad file"})"), "GET x");
    REQUIRE(job.ok());
    CHECK(job.value().status == "ERROR");
    CHECK(job.value().error_code == "7");
    CHECK(job.value().error_message == "Bad file");

    auto markdown = v1::document(parsed(R"({"markdown": "# A", "job_metadata": {}})"), "markdown", "GET m");
    REQUIRE(markdown.ok());
    CHECK(markdown.value() == "# A");
    auto wrong = v1::document(parsed(R"({"text": "A"})"), "markdown", "GET m");
    REQUIRE_FALSE(wrong.ok());
    CHECK(wrong.error().message == "LlamaParse answer to GET m has no string 'markdown'");

    auto pages = v1::json_pages(parsed(R"({"pages": [{"page": 2, "md": "# B", "text": "B"}, {"page": 1, "md": "# A", "text": "A"}]})"),
                                "GET j");
    REQUIRE(pages.ok());
    REQUIRE(pages.value().size() == 2);
    CHECK(pages.value()[0].page == 1);
    CHECK(pages.value()[0].markdown == "# A");
    CHECK(pages.value()[1].text == "B");
    CHECK(v1::json_pages(parsed(R"({"pages": [{"md": "x"}]})"), "GET j").error().message ==
          "LlamaParse answer to GET j has pages[0] without a positive integer 'page'");
}

TEST_CASE("v1 usage: job_pages and job_credits_usage, never the account's credits_used, cache hits free",
          "[llamaparse]") {
    auto usage = [](std::string_view metadata) {
        auto read = v1::usage_of(parsed(R"({"markdown": "", "job_metadata": )" + std::string(metadata) + "}"), "GET m");
        REQUIRE(read.ok());
        return read.value();
    };
    // The reference's example: credits_used 34.0 is the account's total, the job used 19.
    auto billed = usage(R"({"credits_used": 34.0, "job_credits_usage": 19, "job_pages": 19, "job_is_cache_hit": false})");
    CHECK(billed.usage.pages == 19);
    CHECK(billed.usage.credits == 19);
    CHECK(billed.credits_unknown.empty());
    auto older = usage(R"({"credits_used": 34.0, "job_pages": 2})");
    CHECK(older.usage.pages == 2);
    CHECK(older.usage.credits == switchboard::credits_unknown);  // the host prices the pages at the tier
    CHECK(older.credits_unknown == "job_metadata has no job_credits_usage");
    auto cached = usage(R"({"credits_used": 34.0, "job_credits_usage": 19, "job_pages": 19, "job_is_cache_hit": true})");
    CHECK(cached.usage.pages == 19);
    CHECK(cached.usage.credits == 0);
    CHECK(cached.credits_unknown.empty());
    auto cached_older = usage(R"({"credits_used": 34.0, "job_pages": 3, "job_is_cache_hit": true})");
    CHECK(cached_older.usage.credits == 0);
    CHECK(cached_older.credits_unknown.empty());
    auto none = v1::usage_of(parsed(R"({"markdown": ""})"), "GET m");
    REQUIRE(none.ok());
    CHECK(none.value().usage.pages == 0);
    CHECK(none.value().usage.credits == switchboard::credits_unknown);
    CHECK(none.value().credits_unknown == "the result has no job_metadata");
    auto bad = v1::usage_of(parsed(R"({"job_metadata": {"job_pages": "two"}})"), "GET m");
    REQUIRE_FALSE(bad.ok());
    CHECK(bad.error().message == "LlamaParse answer to GET m has job_metadata.job_pages that is not a count");
    auto bad_credits = v1::usage_of(parsed(R"({"job_metadata": {"job_credits_usage": "19"}})"), "GET m");
    REQUIRE_FALSE(bad_credits.ok());
    CHECK(bad_credits.error().message ==
          "LlamaParse answer to GET m has job_metadata.job_credits_usage that is not a non-negative number");
}

TEST_CASE("error bodies: FastAPI detail as text, lists compactly, other bodies shortened", "[llamaparse]") {
    const Secret no_key;
    CHECK(upstream_detail(R"({"detail": "Invalid authentication token"})", no_key) == "Invalid authentication token");
    CHECK(upstream_detail(R"({"detail": [{"loc": ["body", "file"], "msg": "Field required"}]})", no_key) ==
          R"([{"loc":["body","file"],"msg":"Field required"}])");
    CHECK(upstream_detail(R"({"error": "oops"})", no_key) == R"({"error": "oops"})");
    CHECK(upstream_detail("<html>\n<h1>502 Bad Gateway</h1>\n</html>\n", no_key) ==
          "<html> <h1>502 Bad Gateway</h1> </html>");
    CHECK(upstream_detail("", no_key) == "(empty body)");
    CHECK(upstream_detail(std::string(400, 'x'), no_key) == std::string(300, 'x') + "...");
}

TEST_CASE("error bodies: the key is redacted before the text is cut, so no piece of it survives", "[llamaparse]") {
    const std::string key = "llx-test-0123456789abcdef0123456789abcdef";
    // The key starts 12 bytes before each cut: 500 for a detail, 300 for another body.
    CHECK(upstream_detail(R"({"detail": ")" + std::string(488, 'd') + key + R"( tail"})", Secret(key)) ==
          std::string(488, 'd') + "llx-**** tai...");
    CHECK(upstream_detail(R"({"detail": [")" + std::string(484, 'l') + key + R"("]})", Secret(key)) ==
          R"([")" + std::string(484, 'l') + R"(llx-****"])");
    CHECK(upstream_detail(std::string(288, 'b') + key + " tail", Secret(key)) == std::string(288, 'b') + "llx-**** tai...");
    CHECK(redact("a " + key + " b " + key, Secret(key)) == "a llx-**** b llx-****");
    CHECK(redact("no key here", Secret()) == "no key here");
}

TEST_CASE("query values are percent-encoded except unreserved characters", "[llamaparse]") {
    CHECK(url_encode("org 1/a&b=c") == "org%201%2Fa%26b%3Dc");
    CHECK(url_encode("AZaz09-_.~") == "AZaz09-_.~");
    CHECK(url_encode("é") == "%C3%A9");
}

}  // namespace
}  // namespace switchboard::llamaparse
