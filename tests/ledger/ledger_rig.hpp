#pragma once

#include <chrono>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "ledger/ledger.hpp"

namespace switchboard::testing {

using namespace std::chrono_literals;

// 2026-11-29T08:00:00Z plus `micros`.
inline ledger::WallTime at(std::int64_t micros = 0) {
    return ledger::WallTime(std::chrono::sys_days{std::chrono::year{2026} / 11 / 29}.time_since_epoch() + 8h +
                            std::chrono::microseconds(micros));
}

inline ledger::Query query(std::optional<ledger::WallTime> since, std::optional<ledger::WallTime> until = {},
                           std::optional<std::string> service = {}) {
    return ledger::Query{since, until, std::move(service)};
}

inline ledger::Row make_row(std::string request_id, ledger::WallTime time = at()) {
    ledger::Row row;
    row.time = time;
    row.request_id = std::move(request_id);
    row.client = "pipeline";
    row.service = "embeddings";
    row.backend = "openai";
    row.model = "text-embedding-3-small";
    row.mode = "real";
    row.input_tokens = 1000;
    row.cost = cost::Money::from_nanos(20'000);
    row.latency = 1500us;
    row.outcome = "ok";
    return row;
}

// Polls `condition` until it holds or `limit` passes; for states reached on the writer's own
// schedule (a retry after retry_interval), which no call of ours can wait for directly.
template <class Condition>
bool eventually(Condition condition, std::chrono::milliseconds limit = 10s) {
    const auto deadline = std::chrono::steady_clock::now() + limit;
    while (!condition()) {
        if (std::chrono::steady_clock::now() > deadline) return false;
        std::this_thread::sleep_for(1ms);
    }
    return true;
}

// Collects the answers append() gives, from whichever thread gives them.
class Answers {
public:
    std::function<void(const Status&)> callback() {
        return [this](const Status& status) {
            std::lock_guard lock(mutex_);
            statuses_.push_back(status);
            changed_.notify_all();
        };
    }
    // Waits (up to 10 s) until `n` answers have come.
    std::vector<Status> wait_for(std::size_t n) {
        std::unique_lock lock(mutex_);
        changed_.wait_for(lock, 10s, [&] { return statuses_.size() >= n; });
        return statuses_;
    }
    std::vector<Status> all() const {
        std::lock_guard lock(mutex_);
        return statuses_;
    }

private:
    mutable std::mutex mutex_;
    std::condition_variable changed_;
    std::vector<Status> statuses_;
};

inline std::vector<ledger::Row> read_all(const std::filesystem::path& path, const ledger::Query& query = {}) {
    std::vector<ledger::Row> rows;
    ledger::Reader(path).for_each(query, [&](const ledger::Row& row) { rows.push_back(row); });
    return rows;
}

}  // namespace switchboard::testing
