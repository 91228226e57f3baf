#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "switchboard/error.hpp"
#include "switchboard/types.hpp"
#include "wire/multipart_form.hpp"

// LlamaParse's HTTP API as `switchboard serve` answers it (both generations, wire facts in
// shared/reference/llamaparse.md): requests into a ParseRequest, and the JSON of the answers.
namespace switchboard::wire {

// An error as LlamaParse (FastAPI) answers it: the status and {"detail": "..."}.
struct DetailError {
    int status = 400;
    std::string detail;

    std::string body() const;
};

// How a failed parse is answered: 400 bad_request, 402 quota / budget_exceeded (LlamaParse's
// "credits exhausted"), 429 rate_limited, 502 auth (the host's key upstream) / upstream_error,
// 503 unavailable, 504 timeout, 500 internal. The detail is the error's message.
DetailError detail_error_for(const Error& error);

enum class JobStatus { pending, running, succeeded, failed, cancelled };

std::string_view v1_status_name(JobStatus status);  // PENDING (pending and running), SUCCESS, ERROR, CANCELLED
std::string_view v2_status_name(JobStatus status);  // PENDING, RUNNING, COMPLETED, FAILED, CANCELLED
std::optional<JobStatus> v2_status_from(std::string_view name);
bool is_final(JobStatus status);

// A job as the status answers show it.
struct JobView {
    std::string id;
    std::string project_id;
    JobStatus status = JobStatus::pending;
    std::string tier;           // the requested v2 tier or v1 parse mode; "" when none
    std::string name;           // the document's file name
    std::string error_code;     // when failed: the error kind ("rate_limited", "budget_exceeded", ...)
    std::string error_message;  // when failed or cancelled
    std::chrono::system_clock::time_point created_at{};
    std::chrono::system_clock::time_point updated_at{};
    std::optional<double> credits;  // credits the backend reported, once finished; null otherwise
};

// A parse as a client asked for it.
struct ParseSubmission {
    ParseRequest request;                // options: mode (parse_mode / tier), language, target_pages
                                         // (0-based, as ParseOptions reads it), extra (every other option)
    std::string page_separator = "\n---\n";  // v1: between pages of the markdown and text results
    std::string version;                 // v2: the parser version asked for (kept, not passed on:
                                         // the backend's own setting names it)
    std::string file_id;                 // v2 create: the stored file to parse; request.data is empty
};

// POST /api/parsing/upload (and /api/v1/parsing/upload): a `file` part with a filename, and the
// option fields. parse_mode → options.mode (one of LlamaParse's modes), language (repeatable) →
// options.language joined by commas, target_pages (0-based) → options.target_pages; every other
// field but from_python_package → options.extra as sent, but for flags sent as "false" (the
// default of every v1 flag). input_url and input_s3_path are refused:
// this host does not fetch documents from addresses a caller names.
std::optional<ParseSubmission> parse_v1_upload(const MultipartForm& form, DetailError& error);

// POST /api/v2/parse/upload: a `file` part and a `configuration` part (a JSON object). tier
// (required: fast, cost_effective, agentic, agentic_plus) → options.mode; version (required);
// target_pages or page_ranges.target_pages (1-based, as v2 counts) → options.target_pages
// (0-based); page_ranges.max_pages → extra max_pages; every other non-null member → options.extra
// (strings as they are, anything else as JSON text).
std::optional<ParseSubmission> parse_v2_upload(const MultipartForm& form, DetailError& error);

// POST /api/v2/parse: the configuration as a JSON body with file_id (a file stored through
// POST /api/v1/beta/files). source_url is refused as input_url is.
std::optional<ParseSubmission> parse_v2_create(std::string_view body, DetailError& error);

// GET /api/v2/parse/{id}?expand=...: the expansions asked for ("a&expand=b" and "a,b" alike),
// each one of text, markdown, items, metadata, job_metadata, usage, markdown_full, text_full.
std::optional<std::vector<std::string>> v2_expansions(const std::vector<std::string>& values, DetailError& error);

// ---- answers -------------------------------------------------------------------------------

// {"id","status":"PENDING|SUCCESS|ERROR|CANCELLED","error_code","error_message"}
std::string v1_job_json(const JobView& job);

// GET .../result/markdown|text|json of a finished job: {"markdown"} / {"text"} / {"pages": [...]}
// with "job_metadata" (job_pages, job_credits_usage when known, job_is_cache_hit,
// job_auto_mode_triggered_pages). Pages come from response.pages, else the whole document is
// page 1; markdown and text of a document of several pages are its pages joined by `separator`.
std::string v1_result_json(std::string_view kind, const ParseResponse& response, std::string_view separator);

// The job object of v2 (create, cancel and list answers): id, project_id, status, tier, name,
// created_at, updated_at, error_message, and usage {"credits"} when `with_usage`.
std::string v2_job_json(const JobView& job, bool with_usage = false);

// DELETE /api/v2/parse/{id}: {"id", "project_id"} of the job that was.
std::string v2_deleted_json(const JobView& job);

// GET /api/v2/parse/{id}: {"job": ...} and each expansion asked for, null until the job
// COMPLETED. `response` is the result of a COMPLETED job, else null.
std::string v2_get_json(const JobView& job, const ParseResponse* response, const std::vector<std::string>& expand);

// GET /api/v2/parse: {"items": [job...], "next_page_token": "..." | null, "total_size": N}.
std::string v2_list_json(const std::vector<JobView>& jobs, const std::optional<std::string>& next_page_token,
                         std::size_t total_size);

// A file stored through POST /api/v1/beta/files, as that API shows it.
struct FileView {
    std::string id;
    std::string name;
    std::string project_id;
    std::string purpose;
    std::string external_file_id;
    std::size_t size = 0;
    std::chrono::system_clock::time_point created_at{};
    std::chrono::system_clock::time_point expires_at{};
};
std::string file_json(const FileView& file);

// "2026-01-31T12:00:00Z"
std::string iso_time(std::chrono::system_clock::time_point time);

}  // namespace switchboard::wire
