#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "fakes/loopback_server.hpp"
#include "switchboard/host_services.hpp"

namespace switchboard::testing {

// How a job the fake creates behaves when polled.
struct JobScript {
    enum class Outcome {
        complete,         // v2 COMPLETED / v1 SUCCESS
        stay_pending,     // PENDING forever (until cancelled)
        fail,             // v2 FAILED / v1 ERROR, with error_message (and v1 error_code)
        partial_success,  // v1 PARTIAL_SUCCESS (v2: FAILED)
        cancelled,        // CANCELLED upstream, with error_message
    };

    Outcome outcome = Outcome::complete;
    int pending_polls = 1;      // status polls answered PENDING (v2: PENDING, then RUNNING) first
    std::string error_message;  // for fail, partial_success, cancelled; the failed pages' error
    std::string error_code;     // v1 error_code
    std::vector<std::int32_t> failed_pages;  // v2: these pages come back success:false
    bool cache_hit = false;                  // v1: job_is_cache_hit
    bool omit_job_credits_usage = false;     // v1: job_metadata without job_credits_usage
    bool unbilled = false;                   // v2: job.usage.credits stays null once COMPLETED

    static JobScript completes_after(int pending_polls);
    static JobScript stays_pending();
    static JobScript fails(std::string message, std::string code = {});
    static JobScript partial_success(std::string message);
    static JobScript cancelled_upstream(std::string message);
    static JobScript with_failed_pages(std::vector<std::int32_t> pages, std::string error);
    static JobScript cache_hit_v1();
};

// A create request the fake accepted or refused after reading its body.
struct FakeUpload {
    std::string route;         // "POST /api/v2/parse/upload"
    std::string query;         // as sent, without '?'
    std::string job_id;        // empty when refused
    bool has_file = false;
    std::string file_name;     // the `file` part's filename
    std::string content_type;  // the `file` part's Content-Type
    std::string data;          // the `file` part's bytes
    std::vector<std::pair<std::string, std::string>> fields;  // every other part, in order
    std::string configuration;  // v2: the `configuration` part, or the JSON body of POST /api/v2/parse

    std::optional<std::string> field(std::string_view name) const;
};

// One request as the fake saw it, with the injected clock's time (while a request is in flight
// the test harness does not move its manual clock, so the time is exact).
struct FakeExchange {
    Clock::time_point at{};
    std::string method;
    std::string path;
    std::string query;
    int status = 0;  // what the fake answered (a pushed reply's status included)
};

// LlamaParse v1 and v2 on a loopback port, speaking the wire format of
// ../shared/reference/llamaparse.md: v1 upload / job status / result (markdown, text, json) under
// both /api/parsing and /api/v1/parsing; v2 upload, create from source_url or file_id, poll with
// expand (job.usage only with expand=usage), cancel and list. Every request must carry
// "Authorization: Bearer <api_key>" (else 401 {"detail":"Invalid authentication token"}).
// Thread-safe; usable from tests and benchmarks.
//
// Content is deterministic: the uploaded bytes split into pages at form feeds ('\f'; a final
// one starts no page), page N's markdown "# Page N\n\n<text>" and its text the raw page text.
// Credits per page: v2 by tier (fast 1, cost_effective 3, agentic 10, agentic_plus 45); v1 1
// with fast_mode or parse_page_without_llm, 45 with premium_mode, 10 for the agent modes, else 3.
class FakeLlamaParse {
public:
    explicit FakeLlamaParse(std::string api_key);
    ~FakeLlamaParse();
    FakeLlamaParse(const FakeLlamaParse&) = delete;
    FakeLlamaParse& operator=(const FakeLlamaParse&) = delete;

    std::string base_url() const;  // "http://127.0.0.1:PORT"
    LoopbackServer& server() { return *server_; }

    // Times exchanges with `clock` (null: every time is the epoch). Outlives the fake's use.
    void use_clock(const Clock* clock);

    // Scripts the next created job(s), FIFO; jobs beyond the queue follow the default script.
    void script_next_job(JobScript script);
    void set_default_job(JobScript script);
    // The account's credits_used before the first job (v1 job_metadata.credits_used is the
    // account's running total).
    void set_account_credits_used(double credits);

    // Answers the next request whose "METHOD /path" starts with `route` (empty: any request)
    // with `reply` instead of the default handling; FIFO among matching pushes. A 200 reply with
    // a fault and no body (truncated(), reset(), never_answer()) means "the default answer,
    // delivered with this fault"; any other reply leaves the fake's state untouched.
    void push(Reply reply, std::string route = {});
    std::size_t pending() const;

    std::vector<FakeUpload> uploads() const;
    std::vector<FakeExchange> exchanges() const;
    std::vector<std::string> cancelled_jobs() const;  // ids of POST .../cancel calls, in order
    std::size_t polls(std::string_view job_id) const;  // status polls of one job

    // Reference answers to push.
    static Reply error(int status, std::string_view detail);  // {"detail": detail}
    static Reply rate_limited(std::chrono::seconds retry_after = std::chrono::seconds(1));
    static Reply malformed_json();  // 200 with a body that is not JSON
    static Reply truncated();
    static Reply reset();
    static Reply never_answer();

    // What the fake makes of a document.
    static std::vector<std::string> pages_of(std::string_view data);
    static std::string page_markdown(std::int32_t page, std::string_view text);
    static double v2_tier_credits(std::string_view tier);  // 0 for an unknown tier

    struct Job;

private:
    Reply handle(const RecordedRequest& request);
    Reply route(const RecordedRequest& request);
    Reply v1_upload(const RecordedRequest& request);
    Reply v1_job(const RecordedRequest& request, std::string_view id, std::string_view rest);
    Reply v2_upload(const RecordedRequest& request);
    Reply v2_create(const RecordedRequest& request);
    Reply v2_job(const RecordedRequest& request, std::string_view id);
    Reply v2_cancel(std::string_view id);
    Reply v2_list(const RecordedRequest& request);
    Job& new_job(bool v2, std::string data);

    std::string api_key_;
    mutable std::mutex mutex_;
    const Clock* clock_ = nullptr;
    std::deque<std::pair<std::string, Reply>> pushed_;
    std::deque<JobScript> scripts_;
    JobScript default_script_;
    double account_credits_used_ = 0;
    std::uint64_t next_job_ = 0;
    std::map<std::string, std::unique_ptr<Job>, std::less<>> jobs_;
    std::vector<std::string> job_order_;
    std::vector<FakeUpload> uploads_;
    std::vector<FakeExchange> exchanges_;
    std::vector<std::string> cancels_;
    std::unique_ptr<LoopbackServer> server_;  // last: its thread calls handle() until destroyed
};

}  // namespace switchboard::testing
