#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include <boost/json/value.hpp>

#include "llamaparse/llamaparse_settings.hpp"
#include "llamaparse/upstream_client.hpp"
#include "switchboard/multipart.hpp"
#include "switchboard/types.hpp"

// LlamaParse v2 on the wire (POST /api/v2/parse/upload, GET /api/v2/parse/{id}?expand=...):
// request building and answer reading, no I/O.
namespace switchboard::llamaparse::v2 {

inline constexpr std::string_view upload_path = "/api/v2/parse/upload";
inline constexpr std::string_view list_path = "/api/v2/parse";
std::string job_path(std::string_view job_id);
std::string cancel_path(std::string_view job_id);

// The `configuration` part: tier (options.mode, else the tier setting), version, then
// target_pages and every options.extra entry ("true"/"false" as booleans, integers as numbers,
// JSON objects and arrays as themselves, anything else as a string). v2 documents no language
// option, so options.language is not sent. A bad mode or an extra entry that repeats a set
// option is a bad_request.
Result<boost::json::object> configuration(const ParseRequest& request, const LlamaParseSettings& settings);

struct Upload {
    std::string content_type;
    std::string body;
    std::string tier;
};

// The multipart body: the `file` part, then the `configuration` part.
Result<Upload> upload(const ParseRequest& request, const LlamaParseSettings& settings, MultipartBody form = {});

// expand=markdown&expand=text&expand=usage: the pages and, once billed, job.usage.credits.
QueryParams poll_query();

// The new job's id from the create answer.
Result<std::string> created_job_id(const boost::json::value& answer, std::string_view where);

struct Job {
    std::string id;
    std::string status;  // PENDING | RUNNING | COMPLETED | FAILED | CANCELLED
    std::string error_message;
};

// `job` of a poll answer.
Result<Job> job_of(const boost::json::value& answer, std::string_view where);

struct FailedPage {
    std::int32_t page = 0;
    std::string error;
};

struct Completed {
    ParseResponse response;               // the pages that parsed
    std::vector<FailedPage> failed_pages;  // success:false pages, in page order
    bool credits_billed = false;           // job.usage.credits was a number (null: not billed yet)
};

// A COMPLETED poll answer as a ParseResponse: pages by page_number from markdown.pages and
// text.pages, markdown and text joined with blank lines, usage from job.usage.credits (absent or
// null: 0).
Result<Completed> completed(const boost::json::value& answer, std::string_view where);

}  // namespace switchboard::llamaparse::v2
