#include <sqlite3.h>
#include <sys/fsuid.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <future>
#include <iterator>
#include <map>
#include <string>
#include <thread>
#include <vector>

#include <catch2/catch.hpp>

#include "fakes/capture_logger.hpp"
#include "fakes/temp_dir.hpp"
#include "faulty_disk.hpp"
#include "ledger/ledger.hpp"
#include "ledger_rig.hpp"

namespace fs = std::filesystem;
using namespace switchboard;
using namespace switchboard::testing;
using ledger::Ledger;
using ledger::Options;

namespace {

// A SQLite file with `version` as its user_version and no ledger table.
void make_database(const fs::path& path, int version) {
    sqlite3* db = nullptr;
    REQUIRE(sqlite3_open(path.c_str(), &db) == SQLITE_OK);
    const auto sql = "CREATE TABLE other (x); DROP TABLE other; PRAGMA user_version = " + std::to_string(version);
    REQUIRE(sqlite3_exec(db, sql.c_str(), nullptr, nullptr, nullptr) == SQLITE_OK);
    sqlite3_close(db);
}

long long pragma(const fs::path& path, const char* name) {
    sqlite3* db = nullptr;
    REQUIRE(sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READONLY, nullptr) == SQLITE_OK);
    sqlite3_stmt* stmt = nullptr;
    REQUIRE(sqlite3_prepare_v2(db, (std::string("PRAGMA ") + name).c_str(), -1, &stmt, nullptr) == SQLITE_OK);
    REQUIRE(sqlite3_step(stmt) == SQLITE_ROW);
    const long long value = sqlite3_column_int64(stmt, 0);
    sqlite3_finalize(stmt);
    sqlite3_close(db);
    return value;
}

std::vector<std::string> ids_of(const std::vector<ledger::Row>& rows) {
    std::vector<std::string> ids;
    for (const auto& row : rows) ids.push_back(row.request_id);
    return ids;
}

// Root ignores permission bits. As root, the threads started inside this scope (the ledger's
// writer among them) keep the filesystem uid of `nobody`, so a read-only folder stops them as
// it stops a service account; setfsuid is per thread and inherited by new threads.
class AsServiceAccount {
public:
    AsServiceAccount() : was_root_(geteuid() == 0) {
        if (was_root_) setfsuid(65534);
    }
    ~AsServiceAccount() {
        if (was_root_) setfsuid(0);
    }
    AsServiceAccount(const AsServiceAccount&) = delete;
    AsServiceAccount& operator=(const AsServiceAccount&) = delete;

private:
    bool was_root_;
};

// The disk is full for this scope, and back to normal however the test ends.
class FullDisk {
public:
    explicit FullDisk(FaultyDisk& disk) : disk_(disk) { disk_.set_full(true); }
    ~FullDisk() { disk_.set_full(false); }
    FullDisk(const FullDisk&) = delete;
    FullDisk& operator=(const FullDisk&) = delete;

private:
    FaultyDisk& disk_;
};

}  // namespace

TEST_CASE("a row comes back from the ledger file with every field as it was written", "[ledger]") {
    TempDir dir;
    CaptureLogger log;
    const auto path = dir.path() / "var" / "ledger.sqlite";
    ledger::Row row;
    row.time = at(123'456);
    row.request_id = "req-7f3a";
    row.client = "team, \"a\"";
    row.service = "parse";
    row.backend = "llamaparse";
    row.model = "premium";
    row.mode = "hybrid";
    row.fallback_reason = "budget";
    row.input_tokens = 12'345;
    row.pages = 17;
    row.credits_milli = 45'250;
    row.cost = cost::Money::from_nanos(56'562'500);
    row.shadow_cost = cost::Money::from_nanos(1'234'567'891);
    row.latency = std::chrono::microseconds(98'765);
    row.outcome = "rate_limited";
    {
        Ledger ledger(Options{.path = path}, log);
        REQUIRE(ledger.healthy());
        Answers answers;
        ledger.append(row, answers.callback());
        ledger.flush();
        REQUIRE(answers.all().size() == 1);
        CHECK(answers.all()[0].ok());
    }

    const auto rows = read_all(path);
    REQUIRE(rows.size() == 1);
    const auto& back = rows[0];
    CHECK(back.time == row.time);
    CHECK(back.request_id == row.request_id);
    CHECK(back.client == row.client);
    CHECK(back.service == row.service);
    CHECK(back.backend == row.backend);
    CHECK(back.model == row.model);
    CHECK(back.mode == row.mode);
    CHECK(back.fallback_reason == row.fallback_reason);
    CHECK(back.input_tokens == row.input_tokens);
    CHECK(back.pages == row.pages);
    CHECK(back.credits_milli == row.credits_milli);
    CHECK(back.cost == row.cost);
    CHECK(back.shadow_cost == row.shadow_cost);
    CHECK(back.latency == row.latency);
    CHECK(back.outcome == row.outcome);
}

TEST_CASE("the ledger file is in WAL mode at the current schema version", "[ledger]") {
    TempDir dir;
    CaptureLogger log;
    const auto path = dir.path() / "ledger.sqlite";
    { Ledger ledger(Options{.path = path}, log); }
    sqlite3* db = nullptr;
    REQUIRE(sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READONLY, nullptr) == SQLITE_OK);
    sqlite3_stmt* stmt = nullptr;
    REQUIRE(sqlite3_prepare_v2(db, "PRAGMA journal_mode", -1, &stmt, nullptr) == SQLITE_OK);
    REQUIRE(sqlite3_step(stmt) == SQLITE_ROW);
    CHECK(std::string(reinterpret_cast<const char*>(sqlite3_column_text(stmt, 0))) == "wal");
    sqlite3_finalize(stmt);
    sqlite3_close(db);
    CHECK(pragma(path, "user_version") == Ledger::schema_version);
}

TEST_CASE("rows appended at once from many threads share commits: far fewer fsyncs than rows", "[ledger]") {
    auto& disk = FaultyDisk::install();  // before the ledger opens, so its connection counts syncs
    TempDir dir;
    CaptureLogger log;
    const auto path = dir.path() / "ledger.sqlite";
    constexpr int threads = 8;
    constexpr int per_thread = 1'000;
    std::atomic<int> ok{0};
    std::atomic<int> failed{0};
    Ledger ledger(Options{.path = path}, log);
    const long syncs_before = disk.wal_syncs();

    std::vector<std::thread> producers;
    for (int t = 0; t < threads; ++t) {
        producers.emplace_back([&, t] {
            for (int i = 0; i < per_thread; ++i) {
                ledger.append(make_row("t" + std::to_string(t) + "-" + std::to_string(i)),
                              [&](const Status& status) { ++(status.ok() ? ok : failed); });
            }
        });
    }
    for (auto& producer : producers) producer.join();
    ledger.flush();

    const long commits = disk.wal_syncs() - syncs_before;
    CHECK(ok == threads * per_thread);
    CHECK(failed == 0);
    CHECK(commits >= 1);
    CHECK(commits < threads * per_thread / 4);  // one commit a row would be 8,000; loose for a loaded machine
    CHECK(ledger::Reader(path).count({}) == threads * per_thread);
}

TEST_CASE("with Sync::normal a commit does not fsync the WAL, with Sync::full every commit does", "[ledger]") {
    auto& disk = FaultyDisk::install();
    TempDir dir;
    CaptureLogger log;
    constexpr int commits = 20;
    auto syncs_for = [&](ledger::Sync sync) {
        const auto path = dir.path() / (sync == ledger::Sync::full ? "full.sqlite" : "normal.sqlite");
        Ledger ledger(Options{.path = path, .sync = sync}, log);
        REQUIRE(ledger.healthy());
        const long before = disk.wal_syncs();
        for (int i = 0; i < commits; ++i) {
            ledger.append(make_row("row-" + std::to_string(i)), nullptr);
            ledger.flush();  // one commit per row
        }
        const long syncs = disk.wal_syncs() - before;
        CHECK(ledger::Reader(path).count({}) == commits);  // committed either way, readable at once
        return syncs;
    };
    CHECK(syncs_for(ledger::Sync::full) >= commits);
    CHECK(syncs_for(ledger::Sync::normal) == 0);
}

TEST_CASE("rows gathered for one commit wait out the gather time, unless flushed or the ledger stops",
          "[ledger]") {
    TempDir dir;
    CaptureLogger log;
    const auto path = dir.path() / "ledger.sqlite";
    std::atomic<int> answered{0};
    {
        // An hour: nothing in the test can reach it, so only flush() and the stop commit.
        Ledger ledger(Options{.path = path, .sync = ledger::Sync::normal, .gather = std::chrono::hours(1)}, log);
        REQUIRE(ledger.healthy());
        for (int i = 0; i < 50; ++i) ledger.append(make_row("gathered-" + std::to_string(i)), [&](const Status& status) {
            if (status.ok()) ++answered;
        });
        CHECK(ledger.pending() == 50);
        CHECK(ledger::Reader(path).count({}) == 0);

        ledger.flush();
        CHECK(answered == 50);
        CHECK(ledger::Reader(path).count({}) == 50);

        ledger.append(make_row("at-the-stop"), [&](const Status& status) {
            if (status.ok()) ++answered;
        });
        CHECK(ledger.pending() == 1);
    }
    CHECK(answered == 51);
    CHECK(ledger::Reader(path).count({}) == 51);
}

TEST_CASE("a row acknowledged ok is already in the file for a separate reader", "[ledger]") {
    TempDir dir;
    CaptureLogger log;
    const auto path = dir.path() / "ledger.sqlite";
    Ledger ledger(Options{.path = path}, log);
    std::promise<std::int64_t> seen;
    ledger.append(make_row("durable-1"), [&](const Status& status) {
        // Runs on the writer thread: the reader opens its own connection right now.
        seen.set_value(status.ok() ? ledger::Reader(path).count({}) : -1);
    });
    auto future = seen.get_future();
    REQUIRE(future.wait_for(10s) == std::future_status::ready);
    CHECK(future.get() == 1);
}

TEST_CASE("destroying the ledger writes every queued row and answers every caller", "[ledger]") {
    TempDir dir;
    CaptureLogger log;
    const auto path = dir.path() / "ledger.sqlite";
    std::atomic<int> ok{0};
    std::atomic<int> failed{0};
    {
        Ledger ledger(Options{.path = path}, log);
        std::vector<std::thread> producers;
        for (int t = 0; t < 4; ++t) {
            producers.emplace_back([&, t] {
                for (int i = 0; i < 500; ++i) {
                    ledger.append(make_row(std::to_string(t) + "-" + std::to_string(i)),
                                  [&](const Status& status) { ++(status.ok() ? ok : failed); });
                }
            });
        }
        for (auto& producer : producers) producer.join();
    }
    CHECK(ok == 2'000);
    CHECK(failed == 0);
    CHECK(ledger::Reader(path).count({}) == 2'000);
}

TEST_CASE("a ledger file that does not exist yet is created, and said to be, not migrated", "[ledger]") {
    TempDir dir;
    CaptureLogger log;
    const auto path = dir.path() / "var" / "ledger.sqlite";
    Ledger ledger(Options{.path = path}, log);
    CHECK(ledger.healthy());
    CHECK(pragma(path, "user_version") == Ledger::schema_version);
    CHECK(log.has(LogLevel::info, "", "created the spend ledger " + path.string()));
    CHECK_FALSE(log.contains("migrated"));
}

TEST_CASE("a file without a ledger schema (user_version 0) is migrated to the current version", "[ledger]") {
    TempDir dir;
    CaptureLogger log;
    const auto path = dir.path() / "ledger.sqlite";
    SECTION("an empty SQLite database") { make_database(path, 0); }
    SECTION("an empty file") { dir.write("ledger.sqlite", ""); }

    Ledger ledger(Options{.path = path}, log);
    CHECK(ledger.healthy());
    CHECK(pragma(path, "user_version") == 1);
    CHECK(log.has(LogLevel::info, "",
                  "the spend ledger " + path.string() + " was migrated from schema version 0 to 1"));
    Answers answers;
    ledger.append(make_row("after-migration"), answers.callback());
    ledger.flush();
    CHECK(ids_of(read_all(path)) == std::vector<std::string>{"after-migration"});
}

TEST_CASE("a ledger file from a newer switchboard is left alone and named in the failure", "[ledger]") {
    TempDir dir;
    CaptureLogger log;
    const auto path = dir.path() / "ledger.sqlite";
    make_database(path, 99);
    const std::string expected = "the spend ledger " + path.string() +
                                 " has schema version 99, newer than this switchboard's 1; upgrade switchboard, or "
                                 "set cost.ledger to another file";

    Ledger ledger(Options{.path = path}, log);
    CHECK_FALSE(ledger.healthy());
    CHECK(ledger.failure() == expected);
    CHECK(log.contains(expected));

    Answers answers;
    ledger.append(make_row("r1"), answers.callback());
    const auto statuses = answers.all();  // answered inline, before append() returned
    REQUIRE(statuses.size() == 1);
    REQUIRE_FALSE(statuses[0].ok());
    CHECK(statuses[0].error().kind == ErrorKind::unavailable);
    CHECK(statuses[0].error().message == expected);

    CHECK(pragma(path, "user_version") == 99);
    CHECK_THROWS_WITH(ledger::Reader(path), expected);
}

TEST_CASE("an unwritable path leaves the ledger failed with what, where and what to do", "[ledger]") {
    TempDir dir;
    CaptureLogger log;
    fs::path path;
    std::string expected;
    std::unique_ptr<Ledger> ledger;

    SECTION("a file stands where its folder should be") {
        dir.write("var", "not a folder");
        path = dir.path() / "var" / "ledger.sqlite";
        expected = "cannot create the folder " + (dir.path() / "var").string() + " for the spend ledger " +
                   path.string() + ": Not a directory; create it, or set cost.ledger to a writable path";
        ledger = std::make_unique<Ledger>(Options{.path = path}, log);
    }
    SECTION("its folder is read-only") {
        const auto folder = dir.make_folder("locked");
        ::chmod(folder.c_str(), 0555);
        path = folder / "ledger.sqlite";
        expected = "cannot create the spend ledger " + path.string() + ": Permission denied; make " +
                   folder.string() + " writable by switchboard, or set cost.ledger to a writable path";
        AsServiceAccount service_account;
        ledger = std::make_unique<Ledger>(Options{.path = path}, log);
    }
    SECTION("the path is a folder") {
        path = dir.make_folder("ledger.sqlite");
        expected = "cannot open the spend ledger " + path.string() +
                   " for writing: Is a directory; it must be a file switchboard can write, or set cost.ledger to "
                   "another path";
        ledger = std::make_unique<Ledger>(Options{.path = path}, log);
    }

    CHECK_FALSE(ledger->healthy());
    CHECK(ledger->failure() == expected);
    CHECK(log.has(LogLevel::error, "",
                  expected + "; rows are kept in memory (up to 100000) and written once it works, retried every "
                             "5000 ms"));
    Answers answers;
    ledger->append(make_row("r1"), answers.callback());
    REQUIRE(answers.all().size() == 1);
    CHECK(answers.all()[0].error().kind == ErrorKind::unavailable);
    CHECK(answers.all()[0].error().message == expected);
}

TEST_CASE("rows kept while the path was unwritable are written once it is fixed", "[ledger]") {
    TempDir dir;
    CaptureLogger log;
    dir.write("var", "not a folder");
    const auto path = dir.path() / "var" / "ledger.sqlite";
    Ledger ledger(Options{.path = path, .retry_interval = 10ms}, log);
    REQUIRE_FALSE(ledger.healthy());
    Answers answers;
    for (const char* id : {"kept-1", "kept-2", "kept-3"}) ledger.append(make_row(id, at()), answers.callback());
    CHECK(answers.all().size() == 3);

    fs::remove(dir.path() / "var");
    REQUIRE(eventually([&] { return ledger.healthy(); }));
    ledger.flush();
    CHECK(ledger.failure() == std::nullopt);
    CHECK(ids_of(read_all(path)) == std::vector<std::string>{"kept-1", "kept-2", "kept-3"});
    CHECK(log.has(LogLevel::info, "", "the spend ledger " + path.string() + " works again: wrote the 3 rows kept in memory"));
}

TEST_CASE("rows kept while the folder was read-only are written once it is writable", "[ledger]") {
    TempDir dir;
    CaptureLogger log;
    const auto folder = dir.make_folder("locked");
    ::chmod(folder.c_str(), 0555);
    const auto path = folder / "ledger.sqlite";
    std::unique_ptr<Ledger> ledger;
    {
        AsServiceAccount service_account;
        ledger = std::make_unique<Ledger>(Options{.path = path, .retry_interval = 10ms}, log);
    }
    REQUIRE_FALSE(ledger->healthy());
    Answers answers;
    ledger->append(make_row("kept"), answers.callback());
    CHECK(answers.all().size() == 1);

    ::chmod(folder.c_str(), 0777);
    REQUIRE(eventually([&] { return ledger->healthy(); }));
    ledger->flush();
    CHECK(ids_of(read_all(path)) == std::vector<std::string>{"kept"});
}

TEST_CASE("a corrupt ledger file fails the ledger, moved aside, a new file takes the kept rows", "[ledger]") {
    TempDir dir;
    CaptureLogger log;
    const auto path = dir.path() / "ledger.sqlite";
    std::string expected;

    SECTION("not a database at all") {
        dir.write("ledger.sqlite", std::string(8192, '\x5a') + "garbage, not SQLite");
        expected = "the spend ledger " + path.string() +
                   " is not a SQLite database (file is not a database); move it aside with its -wal and -shm files, "
                   "or restore it from a backup "
                   "(switchboard starts a new ledger where there is none)";
    }
    SECTION("a ledger whose schema page is overwritten") {
        {
            Ledger first(Options{.path = path}, log);
            first.append(make_row("old"), [](const Status&) {});
        }
        REQUIRE_FALSE(fs::exists(path.string() + "-wal"));  // all in the main file, checkpointed on close
        std::fstream file(path, std::ios::in | std::ios::out | std::ios::binary);
        file.seekp(100);  // past the 100-byte header: the page that holds the schema
        const std::string garbage(3996, '\x7f');
        file.write(garbage.data(), static_cast<std::streamsize>(garbage.size()));
        file.close();
        expected = "the spend ledger " + path.string() +
                   " is corrupt (database disk image is malformed); move it aside with its -wal and -shm files, "
                   "or restore it from a backup "
                   "(switchboard starts a new ledger where there is none)";
    }

    Ledger ledger(Options{.path = path, .retry_interval = 10ms}, log);
    CHECK_FALSE(ledger.healthy());
    CHECK(ledger.failure() == expected);
    CHECK_THROWS_WITH(ledger::Reader(path), expected);
    CHECK_THROWS_AS(ledger.spend_since(at(), at(), at()), ledger::LedgerError);

    Answers answers;
    ledger.append(make_row("kept"), answers.callback());
    REQUIRE(answers.all().size() == 1);
    CHECK(answers.all()[0].error().message == expected);

    fs::rename(path, path.string() + ".bad");
    REQUIRE(eventually([&] { return ledger.healthy(); }));
    ledger.flush();
    CHECK(ids_of(read_all(path)) == std::vector<std::string>{"kept"});
}

TEST_CASE("a full disk fails the commit: its callers hear it, and the rows are written once there is space",
          "[ledger]") {
    auto& disk = FaultyDisk::install();
    TempDir dir;
    CaptureLogger log;
    const auto path = dir.path() / "ledger.sqlite";
    const std::string expected =
        "the disk holding the spend ledger " + path.string() + " is full (database or disk is full); free space on it";
    Ledger ledger(Options{.path = path, .retry_interval = 10ms}, log);
    Answers answers;
    ledger.append(make_row("before"), answers.callback());
    ledger.flush();
    REQUIRE(answers.all().size() == 1);
    REQUIRE(answers.all()[0].ok());

    {
        FullDisk full(disk);
        ledger.append(make_row("during-commit"), answers.callback());
        const auto statuses = answers.wait_for(2);
        REQUIRE(statuses.size() == 2);
        REQUIRE_FALSE(statuses[1].ok());
        CHECK(statuses[1].error().kind == ErrorKind::unavailable);
        CHECK(statuses[1].error().message == expected);
        CHECK_FALSE(ledger.healthy());
        CHECK(ledger.failure() == expected);

        ledger.append(make_row("while-full"), answers.callback());
        CHECK(answers.all().size() == 3);  // answered inline
        CHECK(ids_of(read_all(path)) == std::vector<std::string>{"before"});
    }

    REQUIRE(eventually([&] { return ledger.healthy(); }));
    ledger.flush();
    CHECK(ids_of(read_all(path)) == std::vector<std::string>{"before", "during-commit", "while-full"});
}

TEST_CASE("rows beyond max_pending are dropped with an error log that counts them", "[ledger]") {
    TempDir dir;
    CaptureLogger log;
    const auto path = dir.path() / "ledger.sqlite";
    make_database(path, 99);
    Ledger ledger(Options{.path = path, .max_pending = 2, .retry_interval = 10ms}, log);
    REQUIRE_FALSE(ledger.healthy());
    Answers answers;
    for (int i = 0; i < 5; ++i) ledger.append(make_row("r" + std::to_string(i)), answers.callback());
    CHECK(answers.all().size() == 5);
    CHECK(log.has(LogLevel::error, "",
                  "the spend ledger " + path.string() +
                      " cannot be written and 2 rows already wait in memory: dropped 1 more rows (1 since it "
                      "failed); fix the ledger to stop losing rows"));

    fs::remove(path);
    REQUIRE(eventually([&] { return ledger.healthy(); }));
    ledger.flush();
    CHECK(ids_of(read_all(path)) == std::vector<std::string>{"r0", "r1"});
    CHECK(log.has(LogLevel::info, "",
                  "the spend ledger " + path.string() +
                      " works again: wrote the 2 rows kept in memory; 3 rows were dropped while it failed"));
}

TEST_CASE("rows older than the retention are deleted when the ledger opens", "[ledger]") {
    TempDir dir;
    CaptureLogger log;
    const auto path = dir.path() / "ledger.sqlite";
    const auto now = std::chrono::system_clock::now();
    {
        Ledger ledger(Options{.path = path, .retention = 0ms}, log);
        ledger.append(make_row("ten-days-old", now - 240h), [](const Status&) {});
        ledger.append(make_row("two-days-old", now - 48h), [](const Status&) {});
        ledger.append(make_row("an-hour-old", now - 1h), [](const Status&) {});
    }
    { Ledger keep_all(Options{.path = path, .retention = 0ms}, log); }
    CHECK(ledger::Reader(path).count({}) == 3);

    { Ledger week(Options{.path = path, .retention = 7 * 24h}, log); }
    CHECK(ids_of(read_all(path)) == std::vector<std::string>{"two-days-old", "an-hour-old"});
    CHECK(log.has(LogLevel::info, "",
                  "deleted 1 rows older than the retention of 7 days from the spend ledger " + path.string()));
}

namespace {

// The names and bytes of every file in `folder`, to show that nothing was created or changed.
std::map<std::string, std::string> snapshot(const fs::path& folder) {
    std::map<std::string, std::string> files;
    for (const auto& entry : fs::directory_iterator(folder)) {
        std::ifstream in(entry.path(), std::ios::binary);
        files[entry.path().filename().string()] = std::string(std::istreambuf_iterator<char>(in), {});
    }
    return files;
}

}  // namespace

TEST_CASE("Ledger::check finds what would stop the ledger without creating or changing a file", "[ledger]") {
    TempDir dir;
    const auto path = dir.path() / "ledger.sqlite";

    SECTION("a working ledger is fine and left byte for byte as it was, with no side files") {
        {
            CaptureLogger log;
            Ledger ledger(Options{.path = path}, log);
            REQUIRE(ledger.healthy());
        }
        const auto before = snapshot(dir.path());
        CHECK(Ledger::check(path) == std::nullopt);
        CHECK(snapshot(dir.path()) == before);
    }
    SECTION("a missing ledger in missing folders is fine, and none of them is created") {
        CHECK(Ledger::check(dir.path() / "a" / "b" / "ledger.sqlite") == std::nullopt);
        CHECK(snapshot(dir.path()).empty());
    }
    SECTION("a ledger from a newer switchboard") {
        make_database(path, 99);
        CHECK(Ledger::check(path) == "the spend ledger " + path.string() +
                                         " has schema version 99, newer than this switchboard's 1; upgrade "
                                         "switchboard, or set cost.ledger to another file");
    }
    SECTION("a file that is no database") {
        std::ofstream(path) << "name,amount\nlunch,12\n";
        auto problem = Ledger::check(path);
        REQUIRE(problem);
        CHECK_THAT(*problem, Catch::StartsWith("the spend ledger " + path.string() + " is not a SQLite database"));
    }
    SECTION("a ledger whose folder the host may not write (the -wal and -shm files go there)") {
        make_database(path, 1);
        fs::permissions(dir.path(), fs::perms::owner_all | fs::perms::group_read | fs::perms::group_exec |
                                        fs::perms::others_read | fs::perms::others_exec);
        fs::permissions(path, fs::perms::owner_read | fs::perms::owner_write | fs::perms::group_read |
                                  fs::perms::group_write | fs::perms::others_read | fs::perms::others_write);
        AsServiceAccount nobody;  // may write the file, not its folder
        auto problem = Ledger::check(path);
        REQUIRE(problem);
        CHECK(*problem == "cannot write the spend ledger " + path.string() + ": Permission denied; make it and " +
                              dir.path().string() + " writable by switchboard, or set cost.ledger to a writable path");
    }
    SECTION("a folder where a file is") {
        std::ofstream(dir.path() / "taken") << "x";
        auto problem = Ledger::check(dir.path() / "taken" / "ledger.sqlite");
        REQUIRE(problem);
        CHECK_THAT(*problem, Catch::StartsWith("cannot create the folder " + (dir.path() / "taken").string()));
    }
}
