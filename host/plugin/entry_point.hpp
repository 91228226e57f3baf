#pragma once

#include <filesystem>
#include <optional>
#include <string>

namespace switchboard::plugin {

// Why `file` is not a plugin this host can load, read from the file with
// boost::dll::library_info before any of its code runs: not an ELF file, no entry point, or an
// entry point for another plugin ABI major. Nothing when it exports this host's entry point.
std::optional<std::string> entry_point_problem(const std::filesystem::path& file);

}  // namespace switchboard::plugin
