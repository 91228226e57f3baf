#include "server/parse_jobs.hpp"

#include <algorithm>
#include <random>

namespace switchboard::server {
namespace {

constexpr std::chrono::seconds retry_soon{1};

Error full(std::string message, std::chrono::milliseconds retry_after = retry_soon) {
    Error error = Error::make(ErrorKind::rate_limited, std::move(message));
    error.retry_after = retry_after;
    return error;
}

std::string mebibytes(std::size_t bytes) { return std::to_string((bytes + (1 << 20) - 1) >> 20) + " MiB"; }

std::size_t bytes_of(const ParseResponse& response) {
    std::size_t bytes = response.markdown.size() + response.text.size() + response.job_id.size();
    for (const auto& page : response.pages) bytes += sizeof page + page.markdown.size() + page.text.size();
    return bytes;
}

}  // namespace

ParseJobs::ParseJobs(Clock& clock, ParseJobLimits limits) : clock_(clock), limits_(limits) {}

std::string ParseJobs::new_id(JobIdStyle style) const {
    static constexpr char hex[] = "0123456789abcdef";
    std::random_device device;
    std::string digits;
    while (digits.size() < 32) {
        auto word = device();
        for (int i = 0; i < 8; ++i, word >>= 4) digits += hex[word & 15];
    }
    if (style == JobIdStyle::v2) return "pjb-" + digits;
    digits[12] = '4';                                    // version 4: random
    digits[16] = hex[8 + (digits[16] % 4)];              // variant 10xx
    return digits.substr(0, 8) + "-" + digits.substr(8, 4) + "-" + digits.substr(12, 4) + "-" + digits.substr(16, 4) +
           "-" + digits.substr(20);
}

void ParseJobs::sweep() {
    const auto now = clock_.now();
    while (!expiry_.empty() && expiry_.begin()->first <= now) erase_first_to_expire();
    while (!file_expiry_.empty() && file_expiry_.begin()->first <= now) {
        erase_file(files_.find(file_expiry_.begin()->second));
    }
}

void ParseJobs::settle(Entry& entry, Clock::time_point now) {
    entry.expires = now + limits_.ttl;
    entry.job.view.updated_at = clock_.wall_now();
    expiry_.emplace(*entry.expires, entry.job.view.id);
}

namespace {

// Takes `id`'s entry, due at `when`, out of an expiry schedule.
void unschedule(std::multimap<Clock::time_point, std::string>& schedule, Clock::time_point when,
                const std::string& id) {
    auto [first, last] = schedule.equal_range(when);
    auto at = std::find_if(first, last, [&id](const auto& entry) { return entry.second == id; });
    if (at != last) schedule.erase(at);
}

}  // namespace

void ParseJobs::erase(std::map<std::string, Entry, std::less<>>::iterator it) {
    if (it->second.expires) unschedule(expiry_, *it->second.expires, it->first);
    result_bytes_ -= it->second.result_bytes;
    jobs_.erase(it);
}

void ParseJobs::erase_first_to_expire() { erase(jobs_.find(expiry_.begin()->second)); }

void ParseJobs::erase_file(std::map<std::string, FileEntry, std::less<>>::iterator it) {
    unschedule(file_expiry_, it->second.expires, it->first);
    file_bytes_ -= it->second.file.data->size();
    files_.erase(it);
}

Result<ParseJob> ParseJobs::start(ParseJob job, JobIdStyle style, std::size_t document_bytes) {
    std::lock_guard lock(mutex_);
    sweep();
    if (running_ >= limits_.max_running) {
        return full(std::to_string(running_) + " parse jobs are running on this host, the most it runs at once; "
                    "retry when one has finished");
    }
    if (running_bytes_ + document_bytes > limits_.max_running_bytes) {
        return full("the documents of the running parse jobs would pass " + mebibytes(limits_.max_running_bytes) +
                    " with this one (" + mebibytes(document_bytes) + "); retry when one has finished");
    }
    if (jobs_.size() >= limits_.max_jobs) {
        if (expiry_.empty()) {
            return full("this host holds " + std::to_string(jobs_.size()) +
                        " parse jobs, the most it keeps, and none has finished; retry later");
        }
        erase_first_to_expire();  // the job that finished first makes room
    }
    do {
        job.view.id = new_id(style);
    } while (jobs_.contains(job.view.id));
    job.sequence = ++sequence_;
    job.view.status = wire::JobStatus::running;
    job.view.created_at = job.view.updated_at = clock_.wall_now();
    ++running_;
    running_bytes_ += document_bytes;
    ParseJob snapshot = job;
    jobs_.emplace(snapshot.view.id, Entry{std::move(job), std::nullopt});
    return snapshot;
}

std::optional<ParseJob> ParseJobs::finish(const std::string& id, std::size_t document_bytes,
                                          Result<ParseResponse> result, RouteFacts route) {
    std::lock_guard lock(mutex_);
    --running_;
    running_bytes_ -= std::min(running_bytes_, document_bytes);
    sweep();
    auto it = jobs_.find(id);
    if (it == jobs_.end()) return std::nullopt;
    Entry& entry = it->second;
    entry.job.route = std::move(route);
    if (entry.job.view.status == wire::JobStatus::cancelled) return entry.job;  // result dropped, cost kept
    if (result.ok()) {
        const Usage& usage = result.value().usage;
        if (usage.credits >= 0) entry.job.view.credits = usage.credits;
        entry.job.result = std::make_shared<const ParseResponse>(std::move(result).value());
        entry.job.view.status = wire::JobStatus::succeeded;
        // Room for this result: the jobs that finished first go (this one is not settled yet).
        const std::size_t size = bytes_of(*entry.job.result);
        while (result_bytes_ + size > limits_.max_result_bytes && !expiry_.empty()) erase_first_to_expire();
        entry.result_bytes = size;
        result_bytes_ += size;
    } else {
        Error error = std::move(result).error();
        entry.job.view.status = wire::JobStatus::failed;
        entry.job.view.error_code = std::string(to_string(error.kind));
        entry.job.view.error_message = error.message;
        entry.job.error = std::move(error);
    }
    settle(entry, clock_.now());
    return entry.job;
}

std::optional<ParseJob> ParseJobs::find(std::string_view id, std::string_view client) {
    std::lock_guard lock(mutex_);
    sweep();
    auto it = jobs_.find(id);
    if (it == jobs_.end() || it->second.job.client != client) return std::nullopt;
    return it->second.job;
}

std::pair<ParseJobs::Change, std::optional<ParseJob>> ParseJobs::cancel(std::string_view id, std::string_view client) {
    std::lock_guard lock(mutex_);
    sweep();
    auto it = jobs_.find(id);
    if (it == jobs_.end() || it->second.job.client != client) return {Change::unknown, std::nullopt};
    Entry& entry = it->second;
    if (wire::is_final(entry.job.view.status)) return {Change::refused, entry.job};
    entry.job.view.status = wire::JobStatus::cancelled;
    entry.job.view.error_message = "cancelled by the client";
    settle(entry, clock_.now());
    return {Change::done, entry.job};
}

std::pair<ParseJobs::Change, std::optional<ParseJob>> ParseJobs::remove(std::string_view id, std::string_view client) {
    std::lock_guard lock(mutex_);
    sweep();
    auto it = jobs_.find(id);
    if (it == jobs_.end() || it->second.job.client != client) return {Change::unknown, std::nullopt};
    if (!wire::is_final(it->second.job.view.status)) return {Change::refused, it->second.job};
    ParseJob job = std::move(it->second.job);
    erase(it);
    return {Change::done, std::move(job)};
}

ParseJobs::Page ParseJobs::list(std::string_view client, std::optional<wire::JobStatus> status,
                                const std::vector<std::string>& ids, std::size_t page_size,
                                std::optional<std::uint64_t> before) {
    std::lock_guard lock(mutex_);
    sweep();
    std::vector<const ParseJob*> matching;
    for (const auto& [id, entry] : jobs_) {
        const ParseJob& job = entry.job;
        if (job.client != client || (status && job.view.status != *status)) continue;
        if (!ids.empty() && std::find(ids.begin(), ids.end(), id) == ids.end()) continue;
        matching.push_back(&job);
    }
    std::sort(matching.begin(), matching.end(),
              [](const ParseJob* a, const ParseJob* b) { return a->sequence > b->sequence; });
    Page page;
    page.total = matching.size();
    for (const ParseJob* job : matching) {
        if (before && job->sequence >= *before) continue;
        if (page.jobs.size() == page_size) {
            page.next = page.jobs.back().sequence;
            break;
        }
        page.jobs.push_back(*job);
    }
    return page;
}

Result<StoredFile> ParseJobs::store_file(StoredFile file) {
    std::lock_guard lock(mutex_);
    sweep();
    const std::size_t size = file.data->size();
    if (files_.size() >= limits_.max_files) {
        return full("this host holds " + std::to_string(files_.size()) +
                        " stored files, the most it keeps; delete files no longer needed (DELETE "
                        "/api/v1/beta/files/ID) or let them expire",
                    file_expiry_.empty()
                        ? std::chrono::milliseconds(retry_soon)
                        : std::chrono::ceil<std::chrono::milliseconds>(file_expiry_.begin()->first - clock_.now()));
    }
    if (file_bytes_ + size > limits_.max_file_bytes) {
        return full("stored files would pass " + mebibytes(limits_.max_file_bytes) + " with this one (" +
                        mebibytes(size) + "); delete files no longer needed (DELETE /api/v1/beta/files/ID) or let "
                        "them expire",
                    std::chrono::duration_cast<std::chrono::milliseconds>(limits_.ttl));
    }
    do {
        file.view.id = new_id(JobIdStyle::uuid);
    } while (files_.contains(file.view.id));
    file.view.size = size;
    file.view.created_at = clock_.wall_now();
    file.view.expires_at = file.view.created_at + limits_.ttl;
    file_bytes_ += size;
    StoredFile snapshot = file;
    const auto expires = clock_.now() + limits_.ttl;
    files_.emplace(snapshot.view.id, FileEntry{std::move(file), expires});
    file_expiry_.emplace(expires, snapshot.view.id);
    return snapshot;
}

std::optional<StoredFile> ParseJobs::file(std::string_view id, std::string_view client) {
    std::lock_guard lock(mutex_);
    sweep();
    auto it = files_.find(id);
    if (it == files_.end() || it->second.file.client != client) return std::nullopt;
    return it->second.file;
}

bool ParseJobs::drop_file(std::string_view id, std::string_view client) {
    std::lock_guard lock(mutex_);
    sweep();
    auto it = files_.find(id);
    if (it == files_.end() || it->second.file.client != client) return false;
    erase_file(it);
    return true;
}

std::size_t ParseJobs::running() const {
    std::lock_guard lock(mutex_);
    return running_;
}

}  // namespace switchboard::server
