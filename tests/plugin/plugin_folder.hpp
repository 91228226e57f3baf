#pragma once

#include <stdlib.h>
#include <sys/stat.h>

#include <filesystem>
#include <stdexcept>
#include <string>
#include <system_error>

namespace switchboard::testing {

// A fresh plugin folder (mode 0755) under the system temp folder, removed when the test ends.
// Test plugins are copied in with mode 0755, so the trust checks never depend on the umask.
class PluginFolder {
public:
    PluginFolder() {
        std::string pattern = (std::filesystem::temp_directory_path() / "switchboard-plugins-XXXXXX").string();
        if (::mkdtemp(pattern.data()) == nullptr) throw std::runtime_error("mkdtemp failed for " + pattern);
        path_ = pattern;
        chmod(path_, 0755);
    }
    PluginFolder(const PluginFolder&) = delete;
    PluginFolder& operator=(const PluginFolder&) = delete;
    ~PluginFolder() {
        std::error_code ec;
        std::filesystem::remove_all(path_, ec);
    }

    const std::filesystem::path& path() const { return path_; }

    // Copies test plugin `name`.so from the test plugin build folder; `as` renames the copy.
    std::filesystem::path add(const std::string& name, const std::string& as = "") const {
        return copy(test_plugin(name), path_ / ((as.empty() ? name : as) + ".so"));
    }

    static std::filesystem::path test_plugin(const std::string& name) {
        return std::filesystem::path(SWITCHBOARD_TEST_PLUGIN_DIR) / (name + ".so");
    }

    static std::filesystem::path copy(const std::filesystem::path& from, const std::filesystem::path& to) {
        std::filesystem::create_directories(to.parent_path());
        std::filesystem::copy_file(from, to, std::filesystem::copy_options::overwrite_existing);
        chmod(to, 0755);
        return to;
    }

    static void chmod(const std::filesystem::path& path, mode_t mode) {
        if (::chmod(path.c_str(), mode) != 0) throw std::runtime_error("chmod failed for " + path.string());
    }

private:
    std::filesystem::path path_;
};

}  // namespace switchboard::testing
