#include "ledger/ledger.hpp"

#include <fcntl.h>
#include <sqlite3.h>
#include <unistd.h>

#include <array>
#include <atomic>
#include <cerrno>
#include <condition_variable>
#include <cstring>
#include <deque>
#include <fstream>
#include <iterator>
#include <mutex>
#include <string_view>
#include <thread>
#include <utility>

#include <fmt/format.h>

#include "ledger/file_problem.hpp"
#include "ledger/schema.hpp"
#include "ledger/sqlite_handle.hpp"

namespace switchboard::ledger {
namespace {

using SteadyClock = std::chrono::steady_clock;
using Done = std::function<void(const Status&)>;

constexpr auto expiry_interval = std::chrono::hours(1);
constexpr int busy_timeout_ms = 5'000;

struct Pending {
    Row row;
    Done done;  // empty once the caller has had its answer
};

}  // namespace

// The writer: owns the connection (the constructor's thread opens it, then only the writer
// thread touches it) and the queue it drains, one transaction per drain.
struct Ledger::State {
    State(Options options, Logger& logger) : options_(std::move(options)), logger_(logger) {}

    void start();
    void stop();
    void append(Row row, Done done);
    void flush();

    const Options options_;
    Logger& logger_;
    std::atomic<bool> healthy_{false};  // written under mutex_; read without it by healthy()
    std::atomic<std::size_t> unanswered_{0};  // appended rows whose `done` has not returned

    mutable std::mutex mutex_;
    std::condition_variable wake_;     // the writer: rows queued, or stopping
    std::condition_variable settled_;  // flush(): more rows have their answer
    std::deque<Pending> queue_;
    std::optional<std::string> failure_;
    std::uint64_t appended_ = 0;         // rows appended so far; each row's seq is its number
    std::uint64_t settled_through_ = 0;  // every row up to this seq has had its answer
    std::uint64_t dropped_unreported_ = 0;
    std::uint64_t dropped_since_failure_ = 0;
    bool flush_wanted_ = false;  // flush() waits: commit without gathering
    bool stopping_ = false;

private:
    void run();
    std::optional<std::string> open_file();
    void close_file();
    std::optional<std::string> write(std::deque<Pending>& batch);
    void delete_expired();
    void succeeded(std::deque<Pending>& batch, std::uint64_t through);
    void failed(std::deque<Pending> batch, const std::string& problem);
    void gave_up(std::deque<Pending>& batch, const std::string& problem);
    void announce_failure(const std::string& problem);
    void report_dropped();

    std::unique_ptr<Connection> db_;
    Statement begin_;
    Statement commit_;
    Statement insert_;
    Statement expire_;
    std::thread writer_;
};

void Ledger::State::start() {
    if (auto problem = open_file()) {
        failure_ = *problem;
        announce_failure(*problem);
    } else {
        healthy_ = true;
    }
    writer_ = std::thread([this] { run(); });
}

void Ledger::State::stop() {
    {
        std::lock_guard lock(mutex_);
        stopping_ = true;
    }
    wake_.notify_one();
    writer_.join();
}

void Ledger::State::append(Row row, Done done) {
    std::unique_lock lock(mutex_);
    if (stopping_) {
        lock.unlock();
        done(Error::make(ErrorKind::unavailable,
                         fmt::format("the spend ledger {} is shutting down; the call was not recorded",
                                     options_.path.string())));
        return;
    }
    const std::uint64_t seq = ++appended_;
    if (healthy_) {
        // The writer waits for the first row only; it takes every later one with it.
        const bool first = queue_.empty();
        queue_.push_back(Pending{std::move(row), std::move(done)});
        lock.unlock();
        if (first) wake_.notify_one();
        return;
    }
    // Failed: answer now, keep the row for when the file works again.
    bool first_drop = false;
    if (queue_.size() < options_.max_pending) {
        queue_.push_back(Pending{std::move(row), nullptr});
    } else {
        first_drop = dropped_unreported_++ == 0;
    }
    if (settled_through_ + 1 == seq) settled_through_ = seq;
    auto error = Error::make(ErrorKind::unavailable, *failure_);
    lock.unlock();
    if (first_drop) report_dropped();
    done(error);
}

void Ledger::State::flush() {
    std::unique_lock lock(mutex_);
    const std::uint64_t target = appended_;
    if (settled_through_ >= target) return;
    if (!queue_.empty()) flush_wanted_ = true;  // else its rows are in the batch being written
    wake_.notify_one();
    settled_.wait(lock, [&] { return settled_through_ >= target; });
}

void Ledger::State::run() {
    auto next_expiry = SteadyClock::now() + expiry_interval;
    auto next_retry = SteadyClock::now() + options_.retry_interval;
    std::unique_lock lock(mutex_);
    for (;;) {
        // Only this thread changes healthy_, so it holds still while we look at it.
        if (healthy_) {
            wake_.wait_until(lock, next_expiry, [&] { return stopping_ || !queue_.empty(); });
            if (options_.gather.count() > 0 && !queue_.empty()) {
                const auto until = std::min(SteadyClock::now() + options_.gather, next_expiry);
                wake_.wait_until(lock, until, [&] { return stopping_ || flush_wanted_; });
            }
        } else {
            wake_.wait_until(lock, next_retry, [&] { return stopping_; });
        }
        const bool last = stopping_;
        const auto now = SteadyClock::now();
        const bool retry_due = !healthy_ && now >= next_retry;
        const bool expiry_due = healthy_ && now >= next_expiry;
        const bool rows_due = healthy_ && !queue_.empty();
        if (!last && !retry_due && !expiry_due && !rows_due) continue;

        std::deque<Pending> batch;
        batch.swap(queue_);
        flush_wanted_ = false;
        const std::uint64_t through = appended_;
        lock.unlock();

        std::optional<std::string> problem;
        if (!db_) {
            problem = open_file();  // deletes expired rows when it works
        } else if (expiry_due) {
            delete_expired();
        }
        if (expiry_due) next_expiry = now + expiry_interval;
        if (!problem && !batch.empty()) problem = write(batch);

        if (!problem) {
            succeeded(batch, through);
        } else if (last) {
            gave_up(batch, *problem);
        } else {
            failed(std::move(batch), *problem);
            next_retry = SteadyClock::now() + options_.retry_interval;
        }
        if (last) return;
        lock.lock();
    }
}

std::optional<std::string> Ledger::State::open_file() {
    close_file();
    const auto& path = options_.path;
    if (path.has_parent_path()) {
        std::error_code error;
        std::filesystem::create_directories(path.parent_path(), error);
        if (error) return file_problem::cannot_create_folder(path, error);
    }
    // Created here rather than by SQLite, which on failure retries read-only and reports that
    // attempt's errno instead of the one that matters.
    std::error_code ignored;
    const bool created = !std::filesystem::exists(path, ignored);
    if (created) {
        const int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
        if (fd < 0) return file_problem::cannot_create_file(path, errno);
        ::close(fd);
    }
    try {
        db_ = std::make_unique<Connection>(path, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX);
        sqlite3_busy_timeout(db_->get(), busy_timeout_ms);
        // SQLite falls back to read-only for a file it may not write; we cannot use that.
        if (sqlite3_db_readonly(db_->get(), "main") == 1) {
            throw SqliteError(SQLITE_READONLY, 0, "the file is read-only");
        }
        // Reading the version is the first read of the file: a file that is no database fails here.
        const int version = schema::version_of(*db_);
        if (version > schema_version) {
            close_file();
            return file_problem::newer_schema(path, version);
        }
        if (db_->query_text("PRAGMA journal_mode = WAL") != "wal") {
            throw SqliteError(SQLITE_CANTOPEN, 0, "cannot switch the file to WAL mode");
        }
        db_->exec(options_.sync == Sync::full ? "PRAGMA synchronous = FULL" : "PRAGMA synchronous = NORMAL");
        const int migrated = schema::migrate(*db_, version);
        if (created) {
            logger_.log(LogLevel::info, "", fmt::format("created the spend ledger {}", path.string()));
        } else if (migrated != version) {
            logger_.log(LogLevel::info, "",
                        fmt::format("the spend ledger {} was migrated from schema version {} to {}", path.string(),
                                    version, migrated));
        }
        begin_ = db_->prepare("BEGIN IMMEDIATE");
        commit_ = db_->prepare("COMMIT");
        insert_ = db_->prepare(schema::insert_sql);
        expire_ = db_->prepare("DELETE FROM calls WHERE time_us < ?1");
    } catch (const SqliteError& error) {
        close_file();
        return file_problem::from_sqlite(path, error, file_problem::Access::write);
    }
    delete_expired();
    return std::nullopt;
}

void Ledger::State::close_file() {
    begin_ = {};
    commit_ = {};
    insert_ = {};
    expire_ = {};
    db_.reset();
}

// One transaction for the whole batch: one fsync (Sync::full) however many rows.
std::optional<std::string> Ledger::State::write(std::deque<Pending>& batch) {
    try {
        begin_.run();
        for (const auto& pending : batch) {
            schema::bind_row(insert_, pending.row);
            insert_.run();
        }
        commit_.run();
        return std::nullopt;
    } catch (const SqliteError& error) {
        schema::roll_back(*db_);
        close_file();  // the next attempt starts from a fresh open
        return file_problem::from_sqlite(options_.path, error, file_problem::Access::write);
    }
}

void Ledger::State::delete_expired() {
    if (options_.retention.count() <= 0) return;
    const auto cutoff = options_.now() - options_.retention;
    try {
        expire_.bind(1, schema::to_micros(cutoff));
        expire_.run();
    } catch (const SqliteError& error) {
        logger_.log(LogLevel::warn, "",
                    fmt::format("old rows were not deleted: {}",
                                file_problem::from_sqlite(options_.path, error, file_problem::Access::write)));
        return;
    }
    if (const auto deleted = sqlite3_changes64(db_->get()); deleted > 0) {
        logger_.log(LogLevel::info, "",
                    fmt::format("deleted {} rows older than the retention of {} days from the spend ledger {}",
                                deleted, std::chrono::duration<double, std::ratio<86'400>>(options_.retention).count(),
                                options_.path.string()));
    }
}

void Ledger::State::succeeded(std::deque<Pending>& batch, std::uint64_t through) {
    for (auto& pending : batch) {
        if (pending.done) pending.done(Status{});
    }
    bool recovered = false;
    std::uint64_t dropped = 0;
    {
        std::lock_guard lock(mutex_);
        settled_through_ = std::max(settled_through_, through);
        if (!healthy_) {
            recovered = true;
            healthy_ = true;
            failure_.reset();
            dropped = std::exchange(dropped_since_failure_, 0) + std::exchange(dropped_unreported_, 0);
        }
    }
    settled_.notify_all();
    if (recovered) {
        logger_.log(LogLevel::info, "",
                    fmt::format("the spend ledger {} works again: wrote the {} rows kept in memory{}",
                                options_.path.string(), batch.size(),
                                dropped ? fmt::format("; {} rows were dropped while it failed", dropped) : ""));
    }
}

// The batch's callers hear the error now; its rows go back to the front of the queue to be
// written by a later attempt.
void Ledger::State::failed(std::deque<Pending> batch, const std::string& problem) {
    std::vector<Done> answers;
    for (auto& pending : batch) {
        if (pending.done) answers.push_back(std::exchange(pending.done, nullptr));
    }
    bool news = false;
    {
        std::lock_guard lock(mutex_);
        // Rows queued while this attempt ran are answered too: nobody waits for the next attempt.
        for (auto& pending : queue_) {
            if (pending.done) answers.push_back(std::exchange(pending.done, nullptr));
        }
        queue_.insert(queue_.begin(), std::make_move_iterator(batch.begin()), std::make_move_iterator(batch.end()));
        while (queue_.size() > options_.max_pending) {
            queue_.pop_back();
            ++dropped_unreported_;
        }
        news = healthy_ || failure_ != problem;
        healthy_ = false;
        failure_ = problem;
    }
    if (news) announce_failure(problem);
    const Status error = Error::make(ErrorKind::unavailable, problem);
    for (auto& answer : answers) answer(error);
    {
        // Failed, every later append is answered at once: all rows so far have their answer.
        std::lock_guard lock(mutex_);
        settled_through_ = appended_;
    }
    settled_.notify_all();
    report_dropped();
}

// Stopping and the last attempt failed: nobody will write these rows.
void Ledger::State::gave_up(std::deque<Pending>& batch, const std::string& problem) {
    const Status error = Error::make(ErrorKind::unavailable, problem);
    for (auto& pending : batch) {
        if (pending.done) pending.done(error);
    }
    if (!batch.empty()) {
        logger_.log(LogLevel::error, "",
                    fmt::format("{} rows were not written to the spend ledger before shutdown and are lost: {}",
                                batch.size(), problem));
    }
    {
        std::lock_guard lock(mutex_);
        settled_through_ = appended_;
    }
    settled_.notify_all();
    report_dropped();
}

void Ledger::State::announce_failure(const std::string& problem) {
    logger_.log(LogLevel::error, "",
                fmt::format("{}; rows are kept in memory (up to {}) and written once it works, retried every {} ms",
                            problem, options_.max_pending, options_.retry_interval.count()));
}

void Ledger::State::report_dropped() {
    std::uint64_t dropped = 0;
    std::uint64_t total = 0;
    {
        std::lock_guard lock(mutex_);
        dropped = std::exchange(dropped_unreported_, 0);
        dropped_since_failure_ += dropped;
        total = dropped_since_failure_;
    }
    if (dropped == 0) return;
    logger_.log(LogLevel::error, "",
                fmt::format("the spend ledger {} cannot be written and {} rows already wait in memory: dropped {} "
                            "more rows ({} since it failed); fix the ledger to stop losing rows",
                            options_.path.string(), options_.max_pending, dropped, total));
}

namespace {

// Whether this process may use `path` as `mode` asks (effective ids, as the open will use).
bool may(const std::filesystem::path& path, int mode) { return ::faccessat(AT_FDCWD, path.c_str(), mode, AT_EACCESS) == 0; }

}  // namespace

std::optional<std::string> Ledger::check(const std::filesystem::path& given) {
    std::error_code error;
    auto path = std::filesystem::absolute(given, error);
    if (error) path = given;
    path = path.lexically_normal();
    const auto folder = path.parent_path();
    if (std::filesystem::exists(path, error)) {
        // Read as bytes, never opened with SQLite: opening a WAL database creates its -wal and
        // -shm files, and closing it checkpoints a WAL a crashed host left into the file. The
        // writer needs the folder too, for those files.
        if (!may(path, R_OK | W_OK) || !may(folder, W_OK | X_OK)) {
            const int reason = errno;
            return file_problem::from_sqlite(path, SqliteError(SQLITE_READONLY, reason, std::strerror(reason)),
                                             file_problem::Access::write);
        }
        std::array<unsigned char, 100> header{};
        std::ifstream in(path, std::ios::binary);
        in.read(reinterpret_cast<char*>(header.data()), header.size());
        const auto got = in.gcount();
        if (got == 0) return std::nullopt;  // empty: SQLite makes a new database in it
        constexpr std::string_view magic("SQLite format 3\0", 16);
        if (got < static_cast<std::streamsize>(header.size()) ||
            std::memcmp(header.data(), magic.data(), magic.size()) != 0) {
            return file_problem::from_sqlite(path, SqliteError(SQLITE_NOTADB, 0, "file is not a database"),
                                             file_problem::Access::write);
        }
        // user_version, big-endian at offset 60 of the header. A migration still in a WAL that was
        // never checkpointed is not seen here; the host's own open sees it.
        const int version = header[60] << 24 | header[61] << 16 | header[62] << 8 | header[63];
        if (version > schema_version) return file_problem::newer_schema(path, version);
        return std::nullopt;
    }
    // The file would be created in its folder, and the folder (with any missing parents) in the
    // nearest folder that exists.
    auto existing = folder;
    while (!std::filesystem::exists(existing, error) && existing.has_parent_path() && existing != existing.parent_path())
        existing = existing.parent_path();
    if (!std::filesystem::is_directory(existing, error)) {
        return file_problem::cannot_create_folder(path, std::make_error_code(std::errc::not_a_directory));
    }
    if (!may(existing, W_OK | X_OK)) {
        const int reason = errno;
        if (existing == folder) return file_problem::cannot_create_file(path, reason);
        return file_problem::cannot_create_folder(path, std::error_code(reason, std::generic_category()));
    }
    return std::nullopt;
}

Ledger::Ledger(Options options, Logger& logger) : state_(std::make_unique<State>(std::move(options), logger)) {
    state_->start();
}

Ledger::~Ledger() { state_->stop(); }

void Ledger::append(Row row, std::function<void(const Status&)> done) {
    State& state = *state_;
    state.unanswered_.fetch_add(1, std::memory_order_acq_rel);
    state.append(std::move(row), [&state, done = std::move(done)](const Status& status) {
        if (done) done(status);
        state.unanswered_.fetch_sub(1, std::memory_order_acq_rel);
    });
}

std::size_t Ledger::pending() const noexcept { return state_->unanswered_.load(std::memory_order_acquire); }

bool Ledger::healthy() const noexcept { return state_->healthy_; }

std::optional<std::string> Ledger::failure() const {
    std::lock_guard lock(state_->mutex_);
    return state_->failure_;
}

void Ledger::flush() { state_->flush(); }

std::vector<SpendTotal> Ledger::spend_since(WallTime hour_start, WallTime day_start, WallTime month_start,
                                            std::optional<WallTime> before) const {
    return Reader(state_->options_.path).spend_since(hour_start, day_start, month_start, before);
}

const std::filesystem::path& Ledger::path() const noexcept { return state_->options_.path; }

}  // namespace switchboard::ledger
