#pragma once

#include <filesystem>
#include <memory>

#include <boost/dll/shared_library.hpp>

#include "switchboard/abi.hpp"
#include "switchboard/result.hpp"

namespace switchboard::plugin {

// A plugin library mapped into the process, with its descriptor. Shared by the PluginRecord and by
// every object the plugin made (through their deleters): the library is unloaded when the last
// owner lets go, never while something it made is alive.
class LoadedLibrary {
public:
    // Loads `file` with rtld_now | rtld_local under the process-wide loader mutex (loading runs
    // the plugin's static initialisers) and finds its entry point. The error message is the
    // rejection reason, with the dlerror text when the dynamic loader refused.
    static Result<std::shared_ptr<LoadedLibrary>> load(const std::filesystem::path& file);

    LoadedLibrary(const LoadedLibrary&) = delete;
    LoadedLibrary& operator=(const LoadedLibrary&) = delete;
    ~LoadedLibrary();  // unloads under the loader mutex

    const std::filesystem::path& file() const noexcept { return file_; }
    // Static storage inside the library: valid while this object lives.
    const PluginDescriptor& descriptor() const noexcept { return *descriptor_; }

private:
    LoadedLibrary(std::filesystem::path file, boost::dll::shared_library library,
                  const PluginDescriptor* descriptor);

    std::filesystem::path file_;
    boost::dll::shared_library library_;
    const PluginDescriptor* descriptor_;
};

}  // namespace switchboard::plugin
