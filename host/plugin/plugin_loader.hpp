#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "switchboard/host_services.hpp"
#include "switchboard/result.hpp"
#include "switchboard/service_interface.hpp"

namespace switchboard::plugin {

class LoadedLibrary;

struct LoaderOptions {
    std::vector<std::filesystem::path> dirs;   // only these folders are scanned (non-recursive, *.so)
    std::map<std::string, std::string> pins;   // plugin file stem -> expected sha256 (hex)
};

// One file found in a plugin folder: loaded (it holds the library), or rejected with the reason.
struct PluginRecord {
    std::filesystem::path file;                  // absolute
    PluginInfo info;                             // from the plugin's info(); empty if rejected before
    std::uint32_t abi_major = 0, abi_minor = 0;  // from the descriptor; 0 if rejected before
    std::string sdk_version, fingerprint;
    std::string rejection;                       // empty when loaded
    std::shared_ptr<LoadedLibrary> library;      // null when rejected

    bool loaded() const { return library != nullptr; }
};

// The build fingerprint compiled into this host (SWITCHBOARD_BUILD_FINGERPRINT).
std::string_view host_fingerprint() noexcept;

// Finds, checks and loads plugin libraries. Every file it refuses is logged once (warn) with the
// reason; nothing a plugin does makes discover() throw. Call one object from one thread at a time;
// loading itself is serialised process-wide. Records and instances may outlive the loader.
class PluginLoader {
public:
    PluginLoader(LoaderOptions options, Logger& logger);

    // Every *.so in every folder: folders in the order given, files in a folder sorted by path.
    // A plugin name already loaded from an earlier file rejects the later file.
    std::vector<PluginRecord> discover();

    // Trust checks, sha256 pin, entry point (without loading), load, descriptor checks, then one
    // probe instance to read info().
    PluginRecord load_file(const std::filesystem::path& file);

    // A new instance of a loaded plugin. The shared_ptr's deleter owns a reference to the library,
    // so the library stays loaded while any object it made lives. A constructor that fails is an
    // Error, never an exception.
    Result<std::shared_ptr<ServiceInterface>> create(const PluginRecord& record);

private:
    PluginRecord examine(const std::filesystem::path& file);  // never throws; does not log the outcome
    PluginRecord examine_into(PluginRecord record);
    std::optional<std::string> descriptor_problem(const PluginRecord& record);
    static PluginRecord reject(PluginRecord record, std::string reason);
    void report(const PluginRecord& record);
    void warn(const std::string& message);

    LoaderOptions options_;
    Logger& logger_;
};

}  // namespace switchboard::plugin
