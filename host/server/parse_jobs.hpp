#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "cost/money.hpp"
#include "switchboard/host_services.hpp"
#include "switchboard/result.hpp"
#include "switchboard/types.hpp"
#include "wire/llamaparse_api.hpp"

namespace switchboard::server {

// What the router did with a job's call, for the x-switchboard-* headers of its answers.
struct RouteFacts {
    std::string backend;          // "" when no backend answered
    std::string fallback_reason;  // "" when the call did not fall back
    cost::Money cost{};
};

struct ParseJobLimits {
    std::chrono::milliseconds ttl{3'600'000};  // how long a finished job, or a stored file, is kept
    std::size_t max_jobs = 10'000;             // held at once, finished ones included
    std::size_t max_running = 256;             // calls in flight
    std::size_t max_running_bytes = std::size_t{1} << 30;  // documents of the calls in flight
    std::size_t max_result_bytes = std::size_t{1} << 30;   // finished jobs' results together
    std::size_t max_files = 10'000;                        // stored files held at once
    std::size_t max_file_bytes = std::size_t{1} << 30;     // stored files together
};

enum class JobIdStyle {
    uuid,  // v1: "3f2b…-…" (a UUID v4)
    v2,    // "pjb-" and 32 hex digits
};

// A job as it is at one moment (a copy: the store may change it right after).
struct ParseJob {
    wire::JobView view;
    std::string client;  // who created it; no one else sees it
    std::string service;
    std::string request_id;
    std::string page_separator;
    std::uint64_t sequence = 0;                   // creation order, for list cursors
    std::shared_ptr<const ParseResponse> result;  // a succeeded job's
    std::optional<Error> error;                   // a failed job's
    std::optional<RouteFacts> route;              // once its call ended (a cancelled job's too)
};

// A document stored through the files API, for a later parse by file_id.
struct StoredFile {
    wire::FileView view;
    std::string client;
    std::string mime_type;
    std::shared_ptr<const std::string> data;
};

// The parse jobs (and stored files) of the LlamaParse-compatible routes, in memory. A job holds
// its document's size against max_running_bytes only while its call runs (the bytes themselves
// live in the call, which frees them when it ends); a finished job keeps its result until `ttl`
// after it finished, and is dropped then or, when max_jobs are held or the results would pass
// max_result_bytes, to make room (the one that finished first goes first; a single result larger
// than the limit is still kept, alone). Expiry is measured on the injected clock at each use, so
// no timer runs. Thread-safe.
class ParseJobs {
public:
    ParseJobs(Clock& clock, ParseJobLimits limits);

    // Registers `job` as running, filling in its id, sequence and times. rate_limited (with a
    // retry_after) when max_running calls run or their documents would pass max_running_bytes,
    // or when max_jobs are held and none of them has finished.
    Result<ParseJob> start(ParseJob job, JobIdStyle style, std::size_t document_bytes);

    // The call of job `id` ended. Its result is kept unless the job was cancelled or dropped
    // meanwhile; `document_bytes` are released either way. The job as it is now, or nullopt if
    // it was dropped.
    std::optional<ParseJob> finish(const std::string& id, std::size_t document_bytes, Result<ParseResponse> result,
                                   RouteFacts route);

    // Job `id` of `client`; nullopt when unknown, expired or another client's.
    std::optional<ParseJob> find(std::string_view id, std::string_view client);

    // What cancel() and remove() did; `refused` when the job's state does not allow it (the job
    // comes back to say why).
    enum class Change { done, refused, unknown };
    // Marks a running job CANCELLED (its call runs on; its result will be dropped); refused for a
    // finished one.
    std::pair<Change, std::optional<ParseJob>> cancel(std::string_view id, std::string_view client);
    // Forgets a finished job; refused for a running one.
    std::pair<Change, std::optional<ParseJob>> remove(std::string_view id, std::string_view client);

    struct Page {
        std::vector<ParseJob> jobs;                 // newest first
        std::optional<std::uint64_t> next;         // pass as `before` for the next page
        std::size_t total = 0;                      // matching jobs in all pages
    };
    // `client`'s jobs, newest first, those with a sequence below `before` when set.
    Page list(std::string_view client, std::optional<wire::JobStatus> status, const std::vector<std::string>& ids,
              std::size_t page_size, std::optional<std::uint64_t> before);

    // Stores a file for `file.client`; rate_limited when max_files are stored or stored files
    // would pass max_file_bytes.
    Result<StoredFile> store_file(StoredFile file);
    std::optional<StoredFile> file(std::string_view id, std::string_view client);
    bool drop_file(std::string_view id, std::string_view client);

    std::size_t running() const;  // calls in flight, cancelled jobs' included
    std::chrono::milliseconds ttl() const noexcept { return limits_.ttl; }

private:
    struct Entry {
        ParseJob job;
        std::optional<Clock::time_point> expires;  // set once finished or cancelled
        std::size_t result_bytes = 0;              // held against max_result_bytes
    };
    struct FileEntry {
        StoredFile file;
        Clock::time_point expires;
    };

    void sweep();  // with mutex_ held
    void settle(Entry& entry, Clock::time_point now);  // finished or cancelled now: starts the TTL
    void erase(std::map<std::string, Entry, std::less<>>::iterator it);
    void erase_first_to_expire();  // the finished job that expires first; expiry_ not empty
    void erase_file(std::map<std::string, FileEntry, std::less<>>::iterator it);
    std::string new_id(JobIdStyle style) const;

    Clock& clock_;
    const ParseJobLimits limits_;
    mutable std::mutex mutex_;
    std::map<std::string, Entry, std::less<>> jobs_;
    std::multimap<Clock::time_point, std::string> expiry_;  // finished jobs by when they expire
    std::map<std::string, FileEntry, std::less<>> files_;
    std::multimap<Clock::time_point, std::string> file_expiry_;  // stored files by when they expire
    std::size_t file_bytes_ = 0;
    std::size_t result_bytes_ = 0;
    std::size_t running_ = 0;
    std::size_t running_bytes_ = 0;
    std::uint64_t sequence_ = 0;
};

}  // namespace switchboard::server
