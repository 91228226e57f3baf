#pragma once

#include <filesystem>
#include <string>
#include <system_error>

#include "ledger/sqlite_handle.hpp"

// What is wrong with a ledger file, in words: what, where (the path) and what to do.
namespace switchboard::ledger::file_problem {

enum class Access { read, write };

std::string cannot_create_folder(const std::filesystem::path& path, const std::error_code& error);
std::string cannot_create_file(const std::filesystem::path& path, int system_errno);
std::string missing(const std::filesystem::path& path);
std::string newer_schema(const std::filesystem::path& path, int version);
std::string older_schema(const std::filesystem::path& path, int version);
// SQLite failed opening, reading or writing the file at `path`.
std::string from_sqlite(const std::filesystem::path& path, const SqliteError& error, Access access);

}  // namespace switchboard::ledger::file_problem
