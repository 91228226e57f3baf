#pragma once

#include <cstdint>
#include <filesystem>
#include <string_view>

#include "ledger/ledger_row.hpp"
#include "ledger/sqlite_handle.hpp"

// The ledger file's layout: the `calls` table, the migrations that build it, and how a Row maps
// onto its columns (time and latency in microseconds, money in nano-dollars).
namespace switchboard::ledger::schema {

// The file's PRAGMA user_version: 0 for a new or foreign file.
int version_of(Connection& db);

// Applies every migration after `from` up to Ledger::schema_version, in order, each in its own
// transaction. Returns the version the file has now. Throws SqliteError.
int migrate(Connection& db, int from);

// Ends the open transaction, if any, keeping nothing of it; never throws.
void roll_back(Connection& db) noexcept;

std::int64_t to_micros(WallTime time);
WallTime from_micros(std::int64_t micros);

// One row's INSERT, with bind_row to fill it.
inline constexpr std::string_view insert_sql =
    "INSERT INTO calls (time_us, request_id, client, service, backend, model, mode, fallback_reason, "
    "input_tokens, pages, credits_milli, cost_nanos, shadow_cost_nanos, latency_us, outcome) "
    "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15)";
void bind_row(Statement& insert, const Row& row);

// The columns a SELECT lists for read_row, in its order.
inline constexpr std::string_view row_columns =
    "time_us, request_id, client, service, backend, model, mode, fallback_reason, input_tokens, pages, "
    "credits_milli, cost_nanos, shadow_cost_nanos, latency_us, outcome";
Row read_row(const Statement& select);

}  // namespace switchboard::ledger::schema
