#pragma once

#include <stdlib.h>

#include <filesystem>
#include <fstream>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "config/config.hpp"
#include "fakes/temp_dir.hpp"

namespace switchboard::config::testing {

using switchboard::testing::TempDir;

// "file:line:column", as problems cite positions.
inline std::string at(const std::filesystem::path& file, int line, int column) {
    return file.string() + ":" + std::to_string(line) + ":" + std::to_string(column);
}

inline std::vector<std::string> describe(const std::vector<Problem>& problems) {
    std::vector<std::string> lines;
    for (const auto& problem : problems) lines.push_back(problem.to_string());
    return lines;
}

// Every problem on its own line, for INFO() when a test fails.
inline std::string listing(const std::vector<Problem>& problems) {
    std::string text;
    for (const auto& problem : problems) text += problem.to_string() + "\n";
    return text;
}

}  // namespace switchboard::config::testing
