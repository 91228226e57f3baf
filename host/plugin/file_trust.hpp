#pragma once

#include <filesystem>
#include <optional>
#include <string>

#include "switchboard/result.hpp"

namespace switchboard::plugin {

// Why `file` must not be loaded, or nothing when it is safe: the file and the folder holding it
// (the folder as given and, behind symlinks, the real one) are owned by this user or root and
// not writable by group or others. The reason names the path, its mode in octal and the command
// that fixes it.
std::optional<std::string> trust_problem(const std::filesystem::path& file);

// The sha256 of the file's bytes as lowercase hex; an error names the file when it is unreadable.
Result<std::string> sha256_of_file(const std::filesystem::path& file);

}  // namespace switchboard::plugin
