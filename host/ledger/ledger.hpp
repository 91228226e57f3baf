#pragma once

#include <chrono>
#include <cstddef>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "ledger/ledger_row.hpp"
#include "switchboard/host_services.hpp"
#include "switchboard/result.hpp"

namespace switchboard::ledger {

// The ledger's file cannot be opened or read (for readers; the writer reports through healthy()).
class LedgerError : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

// How hard each commit is pushed to the disk (SQLite's synchronous in WAL mode).
enum class Sync {
    full,    // fsync per commit: a committed row survives a power cut or an OS crash
    normal,  // no fsync per commit (the WAL is synced at checkpoints): a committed row survives the
             // process being killed, but a power cut or an OS crash can lose the commits since the
             // last checkpoint
};

struct Options {
    std::filesystem::path path;  // created with its folder if missing
    Sync sync = Sync::full;
    // How long the writer gathers rows before committing them: fewer, larger commits where no
    // caller waits on each (Sync::normal answers calls before the commit). flush() and the stop
    // commit at once. 0: commit as soon as rows are queued.
    std::chrono::milliseconds gather{0};
    std::chrono::milliseconds retention{400LL * 86'400'000};  // rows older are deleted; 0: never
    std::size_t max_pending = 100'000;  // rows held in memory while the file cannot be written
    std::chrono::milliseconds retry_interval{5'000};  // how often a failed ledger tries again
    // What "now" is for the retention cutoff: the host's wall clock, whose time the rows carry.
    std::function<WallTime()> now = [] { return std::chrono::system_clock::now(); };
};

// The durable spend ledger: one SQLite file in WAL mode, written by one writer thread that
// commits everything queued so far in one transaction (group commit, synchronous=FULL, or NORMAL
// with Sync::normal), then tells each row's caller. A row is acknowledged only once its
// transaction has committed, so after a crash of the process (kill -9) every acknowledged row is
// in the file, whichever the sync; after a power cut or an OS crash only with Sync::full.
//
// The schema is versioned (PRAGMA user_version) and migrated forward on open; a file from a newer
// version, a corrupt file or an unwritable path puts the ledger in the failed state: healthy() is
// false and failure() says what and where; appends are answered with that error at once and the
// rows are kept in memory (up to max_pending) and written when the file works again (retried every
// retry_interval). Rows older than the retention are deleted on open and then hourly.
class Ledger {
public:
    static constexpr int schema_version = 1;

    // Never throws for file problems: they leave the ledger failed. `logger` outlives the ledger.
    Ledger(Options options, Logger& logger);
    ~Ledger();  // writes what is queued (one last attempt), then stops the writer
    Ledger(const Ledger&) = delete;
    Ledger& operator=(const Ledger&) = delete;

    // Queues `row`; never blocks on I/O. `done` runs exactly once, on the writer thread (or
    // inline when the ledger is failed or stopping): ok once the row is committed (durable as
    // Options::sync says), else the error. It may run inside ~Ledger, for rows still queued.
    void append(Row row, std::function<void(const Status&)> done);

    // Rows appended whose `done` has not returned yet (for tests that drive time by hand: while
    // this is not zero, an answer is still coming from the writer thread).
    std::size_t pending() const noexcept;

    bool healthy() const noexcept;
    std::optional<std::string> failure() const;  // what is wrong while !healthy()
    // Blocks until every row appended before the call is committed or has failed.
    void flush();

    // Real spend per service and backend since each instant, read from the file (for restarts);
    // with `before`, only rows older than it. Throws LedgerError when the file cannot be read.
    std::vector<SpendTotal> spend_since(WallTime hour_start, WallTime day_start, WallTime month_start,
                                        std::optional<WallTime> before = std::nullopt) const;

    const std::filesystem::path& path() const noexcept;

    // What would stop a ledger at `path` from being written, found without creating, migrating
    // or changing anything (for check-config): a folder that cannot be created, a file that
    // cannot be created or written, a file that is no ledger or from a newer schema. Null: fine.
    static std::optional<std::string> check(const std::filesystem::path& path);

private:
    struct State;
    std::unique_ptr<State> state_;
};

// Read-only access for summaries, forecasts and exports, on its own connection: safe beside a
// running host (WAL readers never block the writer). Throws LedgerError saying what and where
// when the file is missing, not a ledger, corrupt, or from a newer schema.
class Reader {
public:
    explicit Reader(const std::filesystem::path& path);
    ~Reader();
    Reader(const Reader&) = delete;
    Reader& operator=(const Reader&) = delete;

    // Every row the query selects, in time order, one at a time: constant memory however many.
    void for_each(const Query& query, const std::function<void(const Row&)>& visit) const;
    std::vector<SpendTotal> spend_since(WallTime hour_start, WallTime day_start, WallTime month_start,
                                        std::optional<WallTime> before = std::nullopt) const;
    // Real spend (all services, or the query's one) in [since, until).
    cost::Money spend_between(WallTime since, WallTime until, const std::optional<std::string>& service) const;
    std::optional<WallTime> first_time() const;
    std::int64_t count(const Query& query) const;

private:
    struct State;
    std::unique_ptr<State> state_;
};

}  // namespace switchboard::ledger
