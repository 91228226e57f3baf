// LlamaParse's API as the host serves it: v1 forms and v2 configurations into a ParseRequest,
// the answers' JSON, and the status of every error kind.
#include <map>
#include <string>

#include <boost/json.hpp>
#include <catch2/catch.hpp>

#include "switchboard/multipart.hpp"
#include "wire/llamaparse_api.hpp"

using namespace switchboard;
using namespace switchboard::wire;
namespace json = boost::json;

namespace {

using Fields = std::vector<std::pair<std::string, std::string>>;

// A form as a client sends it; keeps the body alive for the parts' views.
struct Form {
    std::string body;
    MultipartForm form;

    Form(Fields fields, std::optional<std::string> file_name = "notes.txt",
         std::string content_type = "application/octet-stream", std::string data = "first\fsecond") {
        MultipartBody builder;
        if (file_name) builder.add_file("file", *file_name, content_type, data);
        for (const auto& [name, value] : fields) builder.add_field(name, value);
        const std::string type = builder.content_type();
        body = std::move(builder).finish();
        FormError error;
        auto parsed = MultipartForm::parse(type, body, error);
        INFO(error.message);
        REQUIRE(parsed);
        form = std::move(*parsed);
    }
    Form(const Form&) = delete;
};

ParseSubmission v1_ok(const Form& form) {
    DetailError error;
    auto submission = parse_v1_upload(form.form, error);
    INFO(error.detail);
    REQUIRE(submission);
    return std::move(*submission);
}

std::string v1_refused(const Form& form) {
    DetailError error;
    REQUIRE_FALSE(parse_v1_upload(form.form, error));
    CHECK(error.status == 400);
    return error.detail;
}

ParseSubmission v2_ok(std::string configuration) {
    Form form(Fields{{"configuration", std::move(configuration)}});
    DetailError error;
    auto submission = parse_v2_upload(form.form, error);
    INFO(error.detail);
    REQUIRE(submission);
    return std::move(*submission);
}

std::string v2_refused(std::string configuration) {
    Form form(Fields{{"configuration", std::move(configuration)}});
    DetailError error;
    REQUIRE_FALSE(parse_v2_upload(form.form, error));
    CHECK(error.status == 400);
    return error.detail;
}

ParseResponse two_pages() {
    ParseResponse response;
    response.markdown = "# One\n\nfirst\n\n# Two\n\nsecond";
    response.text = "One first Two second";
    response.pages = {{1, "# One\n\nfirst", "One first"}, {2, "# Two\n\nsecond line\nmore", "Two second"}};
    response.usage.pages = 2;
    response.usage.credits = 6;
    return response;
}

JobView job(JobStatus status) {
    JobView view;
    view.id = "pjb-1";
    view.project_id = "default";
    view.status = status;
    view.tier = "fast";
    view.name = "notes.txt";
    view.created_at = std::chrono::system_clock::time_point{} + std::chrono::seconds(1'767'225'600);  // 2026-01-01
    view.updated_at = view.created_at + std::chrono::seconds(5);
    return view;
}

}  // namespace

TEST_CASE("a v1 upload maps its fields onto the parse request", "[wire][llamaparse]") {
    Form form(Fields{{"parse_mode", "parse_page_with_llm"},
               {"language", "en"},
               {"language", "fr"},
               {"target_pages", "0,2-4"},
               {"premium_mode", "true"},
               {"gpt4o_mode", "false"},  // sent by llama-cloud-services on every upload
               {"output_tables_as_HTML", "false"},
               {"page_separator", "\n===\n"},
               {"from_python_package", "true"},
               {"do_not_cache", ""}});
    auto submission = v1_ok(form);
    const ParseRequest& request = submission.request;
    CHECK(request.file_name == "notes.txt");
    CHECK(request.mime_type == "text/plain");  // application/octet-stream says nothing: the extension does
    CHECK(request.data == "first\fsecond");
    CHECK(request.options.mode == "parse_page_with_llm");
    CHECK(request.options.language == "en,fr");
    CHECK(request.options.target_pages == "0,2-4");
    CHECK(request.options.extra ==
          std::map<std::string, std::string>{{"page_separator", "\n===\n"}, {"premium_mode", "true"}});
    CHECK(submission.page_separator == "\n===\n");

    Form typed(Fields{}, "scan.bin", "application/pdf", "%PDF-1.4");
    CHECK(v1_ok(typed).request.mime_type == "application/pdf");
    Form plain(Fields{});
    CHECK(v1_ok(plain).page_separator == "\n---\n");
}

TEST_CASE("a v1 upload without a usable file or with a bad option says what to fix", "[wire][llamaparse]") {
    CHECK(v1_refused(Form(Fields{{"language", "en"}}, std::nullopt)) ==
          "send the document as a multipart/form-data part named 'file' (with a filename)");
    CHECK(v1_refused(Form(Fields{{"input_url", "http://169.254.169.254/latest"}}, std::nullopt)) ==
          "input_url is not supported by this host: it does not fetch documents from addresses a caller names; "
          "upload the file itself instead");
    CHECK(v1_refused(Form(Fields{{"file", "not a file"}}, std::nullopt)) ==
          "the 'file' part has no filename; send it as a file (Content-Disposition: form-data; name=\"file\"; "
          "filename=\"report.pdf\")");
    CHECK(v1_refused(Form(Fields{}, "empty.pdf", "application/pdf", "")) == "the uploaded file 'empty.pdf' is empty");
    CHECK(v1_refused(Form(Fields{{"parse_mode", "turbo"}})) ==
          "parse_mode must be parse_page_without_llm, parse_page_with_llm, parse_page_with_lvm, parse_page_with_agent, "
          "parse_page_with_layout_agent, parse_document_with_llm, parse_document_with_lvm or "
          "parse_document_with_agent; got 'turbo'");
    CHECK(v1_refused(Form(Fields{{"target_pages", "0,4-2"}})) ==
          "target_pages: '4-2' is not a page number (0 is the first page) or a range such as 0-2");

    MultipartBody two;
    two.add_file("file", "a.txt", "text/plain", "a");
    two.add_file("attachment", "b.txt", "text/plain", "b");
    const std::string type = two.content_type();
    const std::string body = std::move(two).finish();
    FormError problem;
    auto form = MultipartForm::parse(type, body, problem);
    REQUIRE(form);
    DetailError error;
    REQUIRE_FALSE(parse_v1_upload(*form, error));
    CHECK(error.detail == "part 'attachment' is a file; send the document as the part named 'file' (one file per job)");
}

TEST_CASE("a v2 configuration maps tier, pages and options, 1-based pages become 0-based", "[wire][llamaparse]") {
    auto submission = v2_ok(R"({"tier":"agentic","version":"latest","page_ranges":{"target_pages":"1,3-5","max_pages":9},
        "disable_cache":true,"agentic_options":{"custom_prompt":"tables as HTML"},"client_name":"app","crop_box":null})");
    const ParseOptions& options = submission.request.options;
    CHECK(options.mode == "agentic");
    CHECK(submission.version == "latest");
    CHECK(options.target_pages == "0,2-4");
    CHECK(options.extra == std::map<std::string, std::string>{{"agentic_options", R"({"custom_prompt":"tables as HTML"})"},
                                                              {"client_name", "app"},
                                                              {"disable_cache", "true"},
                                                              {"max_pages", "9"}});
    CHECK(submission.request.file_name == "notes.txt");
    CHECK(v2_ok(R"({"tier":"fast","version":"2026-09-07","target_pages":"2"})").request.options.target_pages == "1");
}

TEST_CASE("a v2 upload or create that is not a valid configuration is refused naming the field", "[wire][llamaparse]") {
    CHECK(v2_refused("tier=fast") == "the 'configuration' part is not a JSON object (syntax error)");
    CHECK(v2_refused(R"({"version":"latest"})") ==
          "configuration.tier is required: fast, cost_effective, agentic or agentic_plus");
    CHECK(v2_refused(R"({"tier":"premium","version":"latest"})") ==
          "configuration.tier must be fast, cost_effective, agentic or agentic_plus; got 'premium'");
    CHECK(v2_refused(R"({"tier":3,"version":"latest"})") ==
          "configuration.tier must be fast, cost_effective, agentic or agentic_plus; got a number");
    CHECK(v2_refused(R"({"tier":"fast"})") ==
          "configuration.version is required: \"latest\" or a dated parser version such as \"2026-09-07\"");
    CHECK(v2_refused(R"({"tier":"fast","version":"latest","page_ranges":{"target_pages":"0"}})") ==
          "configuration.page_ranges.target_pages: '0' is not a page number (1 is the first page) or a range such as 1-3");
    CHECK(v2_refused(R"({"tier":"fast","version":"latest","page_ranges":{"first":1}})") ==
          "configuration.page_ranges has an unknown member 'first'; it knows target_pages and max_pages");
    CHECK(v2_refused(R"({"tier":"fast","version":"latest","file_id":"f"})") ==
          "configuration.file_id does not belong in an upload, which carries the file; POST /api/v2/parse takes a file_id");

    Form no_configuration(Fields{});
    DetailError error;
    REQUIRE_FALSE(parse_v2_upload(no_configuration.form, error));
    CHECK(error.detail ==
          "the 'configuration' part is missing: a JSON object such as {\"tier\": \"fast\", \"version\": \"latest\"}");

    REQUIRE_FALSE(parse_v2_create(R"({"tier":"fast","version":"latest","source_url":"http://10.0.0.1/x.pdf"})", error));
    CHECK(error.detail == "'source_url' is not supported by this host: it does not fetch documents from addresses a "
                          "caller names; upload the file itself instead");
    REQUIRE_FALSE(parse_v2_create(R"({"tier":"fast","version":"latest"})", error));
    CHECK(error.detail == "send file_id (a file stored with POST /api/v1/beta/files), or upload the document with "
                          "POST /api/v2/parse/upload");
    auto created = parse_v2_create(R"({"tier":"fast","version":"latest","file_id":"f-1"})", error);
    REQUIRE(created);
    CHECK(created->file_id == "f-1");
    CHECK(created->request.data.empty());
}

TEST_CASE("expand takes repeated and comma-separated names and refuses unknown ones", "[wire][llamaparse]") {
    DetailError error;
    CHECK(v2_expansions({"markdown", "text,usage", "markdown"}, error) ==
          std::vector<std::string>{"markdown", "text", "usage"});
    CHECK_FALSE(v2_expansions({"text,forms"}, error));
    CHECK(error.detail == "expand 'forms' is not known here; use text, markdown, items, metadata, job_metadata, usage, "
                          "markdown_full or text_full");
}

TEST_CASE("v1 answers: status with errors, results joined by the page separator, json pages with items",
          "[wire][llamaparse]") {
    JobView failed = job(JobStatus::failed);
    failed.error_code = "budget_exceeded";
    failed.error_message = "daily cap reached";
    CHECK(json::parse(v1_job_json(failed)) == json::parse(R"({"id":"pjb-1","status":"ERROR",
        "error_code":"budget_exceeded","error_message":"daily cap reached"})"));
    CHECK(json::parse(v1_job_json(job(JobStatus::running))) ==
          json::parse(R"({"id":"pjb-1","status":"PENDING","error_code":null,"error_message":null})"));

    const ParseResponse response = two_pages();
    CHECK(json::parse(v1_result_json("markdown", response, "\n---\n")) == json::parse(R"({
        "markdown":"# One\n\nfirst\n---\n# Two\n\nsecond line\nmore",
        "job_metadata":{"job_pages":2,"job_credits_usage":6,"job_auto_mode_triggered_pages":0,"job_is_cache_hit":false}})"));
    CHECK(json::parse(v1_result_json("text", response, "|")).at("text") == "One first|Two second");
    ParseResponse fractional = two_pages();
    fractional.usage.credits = 2.5;  // whole credits are integers, as LlamaParse writes them; others stay
    CHECK(json::parse(v1_result_json("text", fractional, "|")).at("job_metadata").at("job_credits_usage") == 2.5);

    auto pages = json::parse(v1_result_json("json", response, "\n---\n")).at("pages").as_array();
    REQUIRE(pages.size() == 2);
    CHECK(pages[1] == json::parse(R"({"page":2,"text":"Two second","md":"# Two\n\nsecond line\nmore","images":[],
        "items":[{"type":"heading","lvl":1,"value":"Two","md":"# Two"},
                 {"type":"text","value":"second line\nmore","md":"second line\nmore"}],
        "status":"OK","links":[],"width":null,"height":null})"));

    ParseResponse whole;  // a backend that gave no pages: the document is page 1
    whole.markdown = "all of it";
    whole.usage.credits = credits_unknown;
    auto only = json::parse(v1_result_json("json", whole, "\n---\n"));
    CHECK(only.at("pages").as_array().size() == 1);
    CHECK(only.at("pages").at(0).at("md") == "all of it");
    CHECK_FALSE(only.at("job_metadata").as_object().contains("job_credits_usage"));
    CHECK(json::parse(v1_result_json("markdown", whole, "\n---\n")).at("markdown") == "all of it");
}

TEST_CASE("v2 answers: the job, and each expansion null until COMPLETED", "[wire][llamaparse]") {
    const ParseResponse response = two_pages();
    JobView done = job(JobStatus::succeeded);
    done.credits = 6;
    auto answer = json::parse(v2_get_json(done, &response, {"markdown", "text", "usage", "items", "job_metadata"}));
    CHECK(answer.at("job") == json::parse(R"({"id":"pjb-1","project_id":"default","status":"COMPLETED","tier":"fast",
        "name":"notes.txt","created_at":"2026-01-01T00:00:00Z","updated_at":"2026-01-01T00:00:05Z",
        "error_message":null,"usage":{"credits":6}})"));
    CHECK(answer.at("markdown") == json::parse(R"({"pages":[{"page_number":1,"markdown":"# One\n\nfirst","success":true},
        {"page_number":2,"markdown":"# Two\n\nsecond line\nmore","success":true}]})"));
    CHECK(answer.at("text") ==
          json::parse(R"({"pages":[{"page_number":1,"text":"One first"},{"page_number":2,"text":"Two second"}]})"));
    CHECK(answer.at("items").at("pages").at(0) == json::parse(R"({"page_number":1,"items":[
        {"type":"heading","level":1,"value":"One","md":"# One"},{"type":"text","value":"first","md":"first"}],
        "page_width":null,"page_height":null,"success":true})"));
    CHECK(answer.at("job_metadata").at("job_pages") == 2);
    CHECK_FALSE(answer.as_object().contains("metadata"));

    auto running = json::parse(v2_get_json(job(JobStatus::running), nullptr, {"markdown", "text_full"}));
    CHECK(running == json::parse(R"({"job":{"id":"pjb-1","project_id":"default","status":"RUNNING","tier":"fast",
        "name":"notes.txt","created_at":"2026-01-01T00:00:00Z","updated_at":"2026-01-01T00:00:05Z",
        "error_message":null},"markdown":null,"text_full":null})"));

    JobView failed = job(JobStatus::failed);
    failed.error_message = "LlamaParse 402: credits exhausted";
    CHECK(json::parse(v2_job_json(failed, true)).at("error_message") == "LlamaParse 402: credits exhausted");
    CHECK(json::parse(v2_job_json(failed, true)).at("usage") == json::parse(R"({"credits":null})"));

    auto list = json::parse(v2_list_json({done, failed}, std::string("17"), 5));
    CHECK(list.at("items").as_array().size() == 2);
    CHECK(list.at("next_page_token") == "17");
    CHECK(list.at("total_size") == 5);
    CHECK(json::parse(v2_list_json({}, std::nullopt, 0)).at("next_page_token").is_null());
}

TEST_CASE("each error kind is answered with LlamaParse's status and a FastAPI detail", "[wire][llamaparse]") {
    auto status = [](ErrorKind kind) { return detail_error_for(Error::make(kind, "why")).status; };
    CHECK(status(ErrorKind::bad_request) == 400);
    CHECK(status(ErrorKind::quota) == 402);
    CHECK(status(ErrorKind::budget_exceeded) == 402);
    CHECK(status(ErrorKind::rate_limited) == 429);
    CHECK(status(ErrorKind::auth) == 502);
    CHECK(status(ErrorKind::upstream_error) == 502);
    CHECK(status(ErrorKind::unavailable) == 503);
    CHECK(status(ErrorKind::timeout) == 504);
    CHECK(status(ErrorKind::internal) == 500);
    CHECK(DetailError{404, "Job \"x\" not found"}.body() == R"({"detail":"Job \"x\" not found"})");
}
