#include <sqlite3.h>

#include <filesystem>
#include <string>
#include <vector>

#include <catch2/catch.hpp>

#include "fakes/capture_logger.hpp"
#include "fakes/temp_dir.hpp"
#include "ledger/ledger.hpp"
#include "ledger_rig.hpp"

namespace fs = std::filesystem;
using namespace switchboard;
using namespace switchboard::testing;
using cost::Money;
using ledger::Query;

namespace {

ledger::Row priced(std::string id, ledger::WallTime time, std::string service, std::string backend,
                   std::int64_t cost_nanos, std::int64_t shadow_nanos = 0) {
    auto row = make_row(std::move(id), time);
    row.service = std::move(service);
    row.backend = std::move(backend);
    row.cost = Money::from_nanos(cost_nanos);
    row.shadow_cost = Money::from_nanos(shadow_nanos);
    return row;
}

ledger::Row with_client(ledger::Row row, std::string client) {
    row.client = std::move(client);
    return row;
}

// Writes `rows` through a ledger (in the order given) and closes it.
fs::path write_ledger(const TempDir& dir, const std::vector<ledger::Row>& rows) {
    CaptureLogger log;
    const auto path = dir.path() / "ledger.sqlite";
    ledger::Ledger ledger(ledger::Options{.path = path, .retention = 0ms}, log);
    for (const auto& row : rows) ledger.append(row, [](const Status&) {});
    return path;
}

std::vector<std::string> ids(const fs::path& path, const Query& query) {
    std::vector<std::string> out;
    for (const auto& row : read_all(path, query)) out.push_back(row.request_id);
    return out;
}

}  // namespace

TEST_CASE("the reader returns rows in time order, filtered by since, until and service", "[ledger]") {
    TempDir dir;
    const auto path = write_ledger(dir, {
        priced("c", at(3'000'000), "parse", "llamaparse", 0),
        priced("a", at(1'000'000), "embeddings", "openai", 0),
        priced("d", at(4'000'000), "embeddings", "openai", 0),
        priced("b", at(2'000'000), "embeddings", "mock", 0),
    });

    CHECK(ids(path, {}) == std::vector<std::string>{"a", "b", "c", "d"});
    CHECK(ids(path, query(at(2'000'000))) == std::vector<std::string>{"b", "c", "d"});
    CHECK(ids(path, query({}, at(3'000'000))) == std::vector<std::string>{"a", "b"});
    CHECK(ids(path, query(at(2'000'000), at(4'000'000))) == std::vector<std::string>{"b", "c"});
    CHECK(ids(path, query({}, {}, "embeddings")) == std::vector<std::string>{"a", "b", "d"});
    CHECK(ids(path, query(at(1'500'000), {}, "embeddings")) == std::vector<std::string>{"b", "d"});
    CHECK(ids(path, query({}, {}, "x' OR '1'='1")).empty());

    ledger::Reader reader(path);
    CHECK(reader.count({}) == 4);
    CHECK(reader.count(query(at(2'000'000), {}, "embeddings")) == 2);
    CHECK(reader.first_time() == at(1'000'000));
}

TEST_CASE("spend_since sums real cost per service and backend since the hour, day and month start",
          "[ledger]") {
    TempDir dir;
    using std::chrono::hours;
    const auto month = at() - hours(24 * 28);
    const auto day = at() - hours(8);
    const auto hour = at();
    const auto path = write_ledger(dir, {
        priced("last-month", month - 1s, "embeddings", "openai", 999'000'000'000),
        priced("month", month, "embeddings", "openai", 1'000'000'001),
        priced("day", day + 1s, "embeddings", "openai", 20'000),
        priced("hour", hour + 1s, "embeddings", "openai", 300),
        priced("hour-2", hour + 2s, "embeddings", "openai", 7, 5'000'000),
        priced("parse", day, "parse", "llamaparse", 1'250'000),
        priced("mock", hour, "embeddings", "mock", 0, 40'000),
        with_client(priced("etl", hour + 5s, "embeddings", "openai", 1'000), "etl"),
    });

    auto totals = ledger::Reader(path).spend_since(hour, day, month);
    REQUIRE(totals.size() == 4);
    // A client's spend is its own total, so its caps can be restored.
    CHECK(totals[1].backend == "openai");
    CHECK(totals[1].client == "etl");
    CHECK(totals[1].hour == Money::from_nanos(1'000));
    totals.erase(totals.begin() + 1);
    CHECK(totals[0].service == "embeddings");
    CHECK(totals[0].backend == "mock");
    CHECK(totals[0].month == Money{});  // shadow cost is not spend
    CHECK(totals[1].backend == "openai");
    CHECK(totals[1].hour == Money::from_nanos(307));
    CHECK(totals[1].day == Money::from_nanos(20'307));
    CHECK(totals[1].month == Money::from_nanos(1'000'020'308));
    CHECK(totals[2].service == "parse");
    CHECK(totals[2].backend == "llamaparse");
    CHECK(totals[2].hour == Money{});
    CHECK(totals[2].day == Money::from_nanos(1'250'000));
    CHECK(totals[2].month == Money::from_nanos(1'250'000));

    CaptureLogger log;
    ledger::Ledger ledger(ledger::Options{.path = path, .retention = 0ms}, log);
    const auto from_ledger = ledger.spend_since(hour, day, month);
    REQUIRE(from_ledger.size() == 4);
    CHECK(from_ledger[2].month == Money::from_nanos(1'000'020'308));

    ledger::Reader reader(path);
    CHECK(reader.spend_between(day, hour + 2s, std::nullopt) == Money::from_nanos(1'250'000 + 20'000 + 300));
    CHECK(reader.spend_between(day, hour + 3s, std::string("embeddings")) == Money::from_nanos(20'307));
    CHECK(reader.spend_between(hour + 3s, hour + 4s, std::nullopt) == Money{});
}

TEST_CASE("the reader says what is wrong with a missing, foreign or newer file", "[ledger]") {
    TempDir dir;
    const auto path = dir.path() / "ledger.sqlite";
    std::string expected;

    SECTION("missing") {
        expected = "the spend ledger " + path.string() +
                   " does not exist; check cost.ledger, or start switchboard once to create it";
    }
    SECTION("not a database") {
        dir.write("ledger.sqlite", std::string(4096, 'x'));
        expected = "the spend ledger " + path.string() +
                   " is not a SQLite database (file is not a database); move it aside with its -wal and -shm files, "
                   "or restore it from a backup "
                   "(switchboard starts a new ledger where there is none)";
    }
    SECTION("a SQLite file that is no ledger, or from a newer switchboard") {
        const int version = GENERATE(0, 99);
        sqlite3* db = nullptr;
        REQUIRE(sqlite3_open(path.c_str(), &db) == SQLITE_OK);
        const auto sql = "CREATE TABLE other (x); PRAGMA user_version = " + std::to_string(version);
        REQUIRE(sqlite3_exec(db, sql.c_str(), nullptr, nullptr, nullptr) == SQLITE_OK);
        sqlite3_close(db);
        expected = version == 0 ? "the spend ledger " + path.string() +
                                      " has schema version 0, older than this switchboard's 1; start switchboard "
                                      "once with it (that migrates it), then read it again"
                                : "the spend ledger " + path.string() +
                                      " has schema version 99, newer than this switchboard's 1; upgrade "
                                      "switchboard, or set cost.ledger to another file";
    }

    CHECK_THROWS_MATCHES(ledger::Reader(path), ledger::LedgerError, Catch::Message(expected));
}
