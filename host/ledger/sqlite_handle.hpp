#pragma once

#include <cstdint>
#include <filesystem>
#include <stdexcept>
#include <string>
#include <string_view>

struct sqlite3;
struct sqlite3_stmt;

namespace switchboard::ledger {

// A failed SQLite call: the primary result code (SQLITE_FULL, SQLITE_NOTADB, ...), the errno
// behind it when there was one, and SQLite's own words.
class SqliteError : public std::runtime_error {
public:
    SqliteError(int code, int system_errno, const std::string& text)
        : std::runtime_error(text), code_(code), system_errno_(system_errno) {}

    int code() const noexcept { return code_; }
    int system_errno() const noexcept { return system_errno_; }

private:
    int code_;
    int system_errno_;
};

// One prepared statement. Parameters are bound by index (from 1) or by name; text is bound
// without a copy, so it must outlive the next step(). Columns are read from 0.
class Statement {
public:
    Statement() = default;
    Statement(sqlite3* db, std::string_view sql);
    ~Statement();
    Statement(Statement&& other) noexcept;
    Statement& operator=(Statement&& other) noexcept;

    void bind(int index, std::int64_t value);
    void bind(int index, std::string_view text);
    // The index of `:name`, or 0 when the statement has no such parameter.
    int parameter(const char* name) const;

    bool step();   // true while a row is ready; throws SqliteError
    void reset();  // ready to step again; bindings stay until bound anew
    void run();    // step() to the end, then reset()

    std::int64_t column_int64(int column) const;
    std::string column_text(int column) const;
    bool column_is_null(int column) const;

private:
    sqlite3_stmt* stmt_ = nullptr;
    sqlite3* db_ = nullptr;
};

// One connection to a database file; closed on destruction.
class Connection {
public:
    // `flags` as for sqlite3_open_v2 (SQLITE_OPEN_READONLY, ...). Throws SqliteError.
    Connection(const std::filesystem::path& path, int flags);
    ~Connection();
    Connection(const Connection&) = delete;
    Connection& operator=(const Connection&) = delete;

    void exec(const char* sql);  // runs statements that return no rows
    Statement prepare(std::string_view sql) { return Statement(db_, sql); }
    // The first column of the first row ("" or 0 when there is none).
    std::int64_t query_int64(const char* sql);
    std::string query_text(const char* sql);
    bool in_transaction() const noexcept;
    sqlite3* get() const noexcept { return db_; }

private:
    sqlite3* db_ = nullptr;
};

// Throws the SqliteError describing `db`'s last failure, which returned `code`.
[[noreturn]] void throw_sqlite_error(sqlite3* db, int code);

}  // namespace switchboard::ledger
