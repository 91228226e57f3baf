#include "ledger/schema.hpp"

#include <array>
#include <string>

#include "ledger/ledger.hpp"

namespace switchboard::ledger::schema {
namespace {

struct Migration {
    int version;  // the user_version the file has once this has run
    const char* sql;
};

// Append only: a shipped migration never changes, a new one takes the next version.
constexpr std::array migrations{
    Migration{1, R"sql(
        CREATE TABLE calls (
            id                INTEGER PRIMARY KEY,
            time_us           INTEGER NOT NULL,  -- microseconds since 1970-01-01 UTC
            request_id        TEXT NOT NULL,
            client            TEXT NOT NULL,
            service           TEXT NOT NULL,
            backend           TEXT NOT NULL,
            model             TEXT NOT NULL,
            mode              TEXT NOT NULL,
            fallback_reason   TEXT NOT NULL,
            input_tokens      INTEGER NOT NULL,
            pages             INTEGER NOT NULL,
            credits_milli     INTEGER NOT NULL,
            cost_nanos        INTEGER NOT NULL,  -- nano-dollars
            shadow_cost_nanos INTEGER NOT NULL,
            latency_us        INTEGER NOT NULL,
            outcome           TEXT NOT NULL
        );
        CREATE INDEX calls_by_time ON calls (time_us);
        CREATE INDEX calls_by_service_time ON calls (service, time_us);
    )sql"},
};
static_assert(migrations.back().version == Ledger::schema_version, "every schema version needs its migration");

}  // namespace

void roll_back(Connection& db) noexcept {
    if (!db.in_transaction()) return;
    try {
        db.exec("ROLLBACK");
    } catch (const SqliteError&) {
        // The error that made us roll back is the one to report.
    }
}

int version_of(Connection& db) { return static_cast<int>(db.query_int64("PRAGMA user_version")); }

int migrate(Connection& db, int from) {
    int version = from;
    for (const auto& migration : migrations) {
        if (migration.version <= version) continue;
        db.exec("BEGIN IMMEDIATE");
        try {
            // Another process may have migrated the file since we looked.
            version = version_of(db);
            if (migration.version > version) {
                db.exec(migration.sql);
                db.exec(("PRAGMA user_version = " + std::to_string(migration.version)).c_str());
                version = migration.version;
            }
            db.exec("COMMIT");
        } catch (const SqliteError&) {
            roll_back(db);
            throw;
        }
    }
    return version;
}

std::int64_t to_micros(WallTime time) {
    return std::chrono::floor<std::chrono::microseconds>(time.time_since_epoch()).count();
}

WallTime from_micros(std::int64_t micros) {
    return WallTime(std::chrono::duration_cast<WallTime::duration>(std::chrono::microseconds(micros)));
}

void bind_row(Statement& insert, const Row& row) {
    insert.bind(1, to_micros(row.time));
    insert.bind(2, row.request_id);
    insert.bind(3, row.client);
    insert.bind(4, row.service);
    insert.bind(5, row.backend);
    insert.bind(6, row.model);
    insert.bind(7, row.mode);
    insert.bind(8, row.fallback_reason);
    insert.bind(9, row.input_tokens);
    insert.bind(10, row.pages);
    insert.bind(11, row.credits_milli);
    insert.bind(12, row.cost.nanos);
    insert.bind(13, row.shadow_cost.nanos);
    insert.bind(14, static_cast<std::int64_t>(row.latency.count()));
    insert.bind(15, row.outcome);
}

Row read_row(const Statement& select) {
    Row row;
    row.time = from_micros(select.column_int64(0));
    row.request_id = select.column_text(1);
    row.client = select.column_text(2);
    row.service = select.column_text(3);
    row.backend = select.column_text(4);
    row.model = select.column_text(5);
    row.mode = select.column_text(6);
    row.fallback_reason = select.column_text(7);
    row.input_tokens = select.column_int64(8);
    row.pages = select.column_int64(9);
    row.credits_milli = select.column_int64(10);
    row.cost = cost::Money::from_nanos(select.column_int64(11));
    row.shadow_cost = cost::Money::from_nanos(select.column_int64(12));
    row.latency = std::chrono::microseconds(select.column_int64(13));
    row.outcome = select.column_text(14);
    return row;
}

}  // namespace switchboard::ledger::schema
