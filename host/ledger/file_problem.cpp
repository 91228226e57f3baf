#include "ledger/file_problem.hpp"

#include <sqlite3.h>

#include <fmt/format.h>

#include "ledger/ledger.hpp"

namespace switchboard::ledger::file_problem {
namespace {

std::string folder_of(const std::filesystem::path& path) {
    auto folder = path.parent_path();
    return folder.empty() ? std::string(".") : folder.string();
}

// SQLite's words, or the system's when SQLite only knows that a system call failed (SQLite
// keeps the errno for those two codes only).
std::string reason(const SqliteError& error) {
    const bool system_failure = error.code() == SQLITE_CANTOPEN || error.code() == SQLITE_IOERR;
    if (system_failure && error.system_errno() != 0) {
        return std::generic_category().message(error.system_errno());
    }
    return error.what();
}

}  // namespace

std::string cannot_create_folder(const std::filesystem::path& path, const std::error_code& error) {
    return fmt::format("cannot create the folder {} for the spend ledger {}: {}; create it, or set cost.ledger "
                       "to a writable path",
                       folder_of(path), path.string(), error.message());
}

std::string cannot_create_file(const std::filesystem::path& path, int system_errno) {
    return fmt::format("cannot create the spend ledger {}: {}; make {} writable by switchboard, or set cost.ledger "
                       "to a writable path",
                       path.string(), std::generic_category().message(system_errno), folder_of(path));
}

std::string missing(const std::filesystem::path& path) {
    return fmt::format("the spend ledger {} does not exist; check cost.ledger, or start switchboard once to "
                       "create it",
                       path.string());
}

std::string newer_schema(const std::filesystem::path& path, int version) {
    return fmt::format("the spend ledger {} has schema version {}, newer than this switchboard's {}; upgrade "
                       "switchboard, or set cost.ledger to another file",
                       path.string(), version, Ledger::schema_version);
}

std::string older_schema(const std::filesystem::path& path, int version) {
    return fmt::format("the spend ledger {} has schema version {}, older than this switchboard's {}; start "
                       "switchboard once with it (that migrates it), then read it again",
                       path.string(), version, Ledger::schema_version);
}

std::string from_sqlite(const std::filesystem::path& path, const SqliteError& error, Access access) {
    const bool write = access == Access::write;
    const auto file = path.string();
    switch (error.code()) {
        case SQLITE_CANTOPEN:
            return write ? fmt::format("cannot open the spend ledger {} for writing: {}; it must be a file "
                                       "switchboard can write, or set cost.ledger to another path",
                                       file, reason(error))
                         : fmt::format("cannot open the spend ledger {} for reading: {}; make it readable by "
                                       "switchboard",
                                       file, reason(error));
        case SQLITE_PERM:
        case SQLITE_READONLY:
        case SQLITE_AUTH:
            return fmt::format("cannot {} the spend ledger {}: {}; make it and {} {} by switchboard{}",
                               write ? "write" : "read", file, reason(error), folder_of(path),
                               write ? "writable" : "readable",
                               write ? ", or set cost.ledger to a writable path" : "");
        case SQLITE_NOTADB:
            return fmt::format("the spend ledger {} is not a SQLite database ({}); move it aside with its -wal "
                               "and -shm files, or restore it from a backup (switchboard starts a new ledger where "
                               "there is none)",
                               file, reason(error));
        case SQLITE_CORRUPT:
            return fmt::format("the spend ledger {} is corrupt ({}); move it aside with its -wal and -shm files, "
                               "or restore it from a backup (switchboard starts a new ledger where there is none)",
                               file, reason(error));
        case SQLITE_FULL:
            return fmt::format("the disk holding the spend ledger {} is full ({}); free space on it", file,
                               reason(error));
        case SQLITE_BUSY:
        case SQLITE_LOCKED:
            return fmt::format("the spend ledger {} is locked by another process ({}); stop the other switchboard "
                               "using it, or set cost.ledger to another file",
                               file, reason(error));
        default:
            return fmt::format("cannot {} the spend ledger {}: {}; check the disk and the file's permissions",
                               write ? "write" : "read", file, reason(error));
    }
}

}  // namespace switchboard::ledger::file_problem
