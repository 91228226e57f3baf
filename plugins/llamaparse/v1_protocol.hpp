#pragma once

#include <string>
#include <string_view>
#include <vector>

#include <boost/json/value.hpp>

#include "llamaparse/llamaparse_settings.hpp"
#include "switchboard/multipart.hpp"
#include "switchboard/types.hpp"

// LlamaParse v1 on the wire (POST /api/parsing/upload, GET /api/parsing/job/{id}[/result/...]):
// request building and answer reading, no I/O.
namespace switchboard::llamaparse::v1 {

inline constexpr std::string_view upload_path = "/api/parsing/upload";
std::string job_path(std::string_view job_id);
// kind: "markdown", "text" or "json"
std::string result_path(std::string_view job_id, std::string_view kind);

struct Upload {
    std::string content_type;
    std::string body;
};

// The multipart body: the `file` part, then only the form fields that are set: parse_mode
// (options.mode, else the parse_mode setting), language, target_pages, then options.extra as
// given. An extra entry that repeats a set field is a bad_request.
Result<Upload> upload(const ParseRequest& request, const LlamaParseSettings& settings, MultipartBody form = {});

Result<std::string> created_job_id(const boost::json::value& answer, std::string_view where);

struct Job {
    std::string status;  // PENDING | SUCCESS | ERROR | PARTIAL_SUCCESS | CANCELLED
    std::string error_code;
    std::string error_message;
};

Result<Job> job_of(const boost::json::value& answer, std::string_view where);

// The document from /result/markdown ("markdown") or /result/text ("text").
Result<std::string> document(const boost::json::value& answer, std::string_view field, std::string_view where);

struct JobUsage {
    Usage usage;
    std::string credits_unknown;  // why credits are not known (and counted as 0); empty when known
};

// Pages and credits from a result's job_metadata: pages = job_pages; credits 0 for a cache hit,
// else job_credits_usage. Never credits_used: that is the account's running total, not the job's.
// Without job_credits_usage (or without job_metadata) credits are 0 and credits_unknown says why.
Result<JobUsage> usage_of(const boost::json::value& answer, std::string_view where);

// Pages of /result/json: {"pages":[{"page":1,"md":"...","text":"..."}]}, in page order.
Result<std::vector<PageItem>> json_pages(const boost::json::value& answer, std::string_view where);

}  // namespace switchboard::llamaparse::v1
