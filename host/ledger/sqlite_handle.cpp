#include "ledger/sqlite_handle.hpp"

#include <sqlite3.h>

#include <utility>

namespace switchboard::ledger {

void throw_sqlite_error(sqlite3* db, int code) {
    const int primary = code & 0xff;
    std::string text = db ? sqlite3_errmsg(db) : sqlite3_errstr(code);
    throw SqliteError(primary, db ? sqlite3_system_errno(db) : 0, text);
}

Statement::Statement(sqlite3* db, std::string_view sql) : db_(db) {
    const int rc = sqlite3_prepare_v2(db, sql.data(), static_cast<int>(sql.size()), &stmt_, nullptr);
    if (rc != SQLITE_OK) throw_sqlite_error(db, rc);
}

Statement::~Statement() { sqlite3_finalize(stmt_); }

Statement::Statement(Statement&& other) noexcept
    : stmt_(std::exchange(other.stmt_, nullptr)), db_(other.db_) {}

Statement& Statement::operator=(Statement&& other) noexcept {
    if (this != &other) {
        sqlite3_finalize(stmt_);
        stmt_ = std::exchange(other.stmt_, nullptr);
        db_ = other.db_;
    }
    return *this;
}

void Statement::bind(int index, std::int64_t value) {
    const int rc = sqlite3_bind_int64(stmt_, index, value);
    if (rc != SQLITE_OK) throw_sqlite_error(db_, rc);
}

void Statement::bind(int index, std::string_view text) {
    const int rc = sqlite3_bind_text(stmt_, index, text.data(), static_cast<int>(text.size()), SQLITE_STATIC);
    if (rc != SQLITE_OK) throw_sqlite_error(db_, rc);
}

int Statement::parameter(const char* name) const { return sqlite3_bind_parameter_index(stmt_, name); }

bool Statement::step() {
    const int rc = sqlite3_step(stmt_);
    if (rc == SQLITE_ROW) return true;
    if (rc == SQLITE_DONE) return false;
    // Keep the statement usable for the next attempt; the error is the step's.
    sqlite3_reset(stmt_);
    throw_sqlite_error(db_, rc);
}

void Statement::reset() { sqlite3_reset(stmt_); }

void Statement::run() {
    while (step()) {
    }
    reset();
}

std::int64_t Statement::column_int64(int column) const { return sqlite3_column_int64(stmt_, column); }

std::string Statement::column_text(int column) const {
    const auto* text = reinterpret_cast<const char*>(sqlite3_column_text(stmt_, column));
    return text ? std::string(text, static_cast<std::size_t>(sqlite3_column_bytes(stmt_, column))) : std::string();
}

bool Statement::column_is_null(int column) const { return sqlite3_column_type(stmt_, column) == SQLITE_NULL; }

Connection::Connection(const std::filesystem::path& path, int flags) {
    const int rc = sqlite3_open_v2(path.c_str(), &db_, flags | SQLITE_OPEN_EXRESCODE, nullptr);
    if (rc != SQLITE_OK) {
        // Read the error before closing: the handle is what holds it.
        const int primary = rc & 0xff;
        std::string text = db_ ? sqlite3_errmsg(db_) : sqlite3_errstr(rc);
        const int system_errno = db_ ? sqlite3_system_errno(db_) : 0;
        sqlite3_close_v2(db_);
        db_ = nullptr;
        throw SqliteError(primary, system_errno, text);
    }
}

Connection::~Connection() { sqlite3_close_v2(db_); }

void Connection::exec(const char* sql) {
    const int rc = sqlite3_exec(db_, sql, nullptr, nullptr, nullptr);
    if (rc != SQLITE_OK) throw_sqlite_error(db_, rc);
}

std::int64_t Connection::query_int64(const char* sql) {
    Statement statement(db_, sql);
    return statement.step() ? statement.column_int64(0) : 0;
}

std::string Connection::query_text(const char* sql) {
    Statement statement(db_, sql);
    return statement.step() ? statement.column_text(0) : std::string();
}

bool Connection::in_transaction() const noexcept { return sqlite3_get_autocommit(db_) == 0; }

}  // namespace switchboard::ledger
