#pragma once

#include <stdlib.h>

#include <filesystem>
#include <fstream>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "config/config.hpp"

namespace switchboard::config::testing {

// A fresh folder under the system temp dir, removed with everything in it on destruction.
class TempDir {
public:
    TempDir() {
        std::string pattern = (std::filesystem::temp_directory_path() / "switchboard-config-XXXXXX").string();
        if (!mkdtemp(pattern.data())) throw std::runtime_error("mkdtemp failed for " + pattern);
        path_ = pattern;
    }
    ~TempDir() {
        std::error_code ignored;
        std::filesystem::remove_all(path_, ignored);
    }
    TempDir(const TempDir&) = delete;
    TempDir& operator=(const TempDir&) = delete;

    const std::filesystem::path& path() const { return path_; }

    // Writes `text` to `name` (relative to the folder, parents created) and returns its path.
    std::filesystem::path write(const std::string& name, std::string_view text) const {
        auto file = path_ / name;
        std::filesystem::create_directories(file.parent_path());
        std::ofstream out(file, std::ios::binary);
        out << text;
        return file;
    }

    std::filesystem::path make_folder(const std::string& name) const {
        std::filesystem::create_directories(path_ / name);
        return path_ / name;
    }

private:
    std::filesystem::path path_;
};

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
