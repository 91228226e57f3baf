#pragma once

#include <stdlib.h>
#include <sys/stat.h>

#include <filesystem>
#include <fstream>
#include <stdexcept>
#include <string>
#include <string_view>

namespace switchboard::testing {

// A fresh folder (mode 0755, whatever the umask: the plugin loader refuses looser ones) under
// the system temp dir, removed with everything in it on destruction.
class TempDir {
public:
    TempDir() {
        std::string pattern = (std::filesystem::temp_directory_path() / "switchboard-test-XXXXXX").string();
        if (!mkdtemp(pattern.data())) throw std::runtime_error("mkdtemp failed for " + pattern);
        path_ = pattern;
        ::chmod(path_.c_str(), 0755);
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

    // Creates `name` (mode 0755) and returns its path.
    std::filesystem::path make_folder(const std::string& name) const {
        std::filesystem::create_directories(path_ / name);
        ::chmod((path_ / name).c_str(), 0755);
        return path_ / name;
    }

private:
    std::filesystem::path path_;
};

}  // namespace switchboard::testing
