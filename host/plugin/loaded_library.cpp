#include "plugin/loaded_library.hpp"

#include <dlfcn.h>

#include <mutex>
#include <string>
#include <system_error>
#include <utility>

namespace switchboard::plugin {

namespace {

// One loader at a time in the whole process: dlopen and dlclose run plugin code (static
// initialisers and destructors), and dlerror text is only meaningful right after the call.
// Never destroyed, so a library released during exit can still take it.
std::mutex& loader_mutex() {
    static auto* mutex = new std::mutex;
    return *mutex;
}

std::string take_dlerror() {
    const char* text = ::dlerror();
    return text ? text : "the dynamic loader gave no reason";
}

}  // namespace

Result<std::shared_ptr<LoadedLibrary>> LoadedLibrary::load(const std::filesystem::path& file) {
    constexpr const char* entry = SWITCHBOARD_STRINGIFY(SWITCHBOARD_ENTRY_SYMBOL);
    std::lock_guard lock(loader_mutex());
    ::dlerror();  // forget any stale error so the one reported below is ours

    boost::dll::shared_library library;
    std::error_code ec;
    library.load(file, ec,
                 boost::dll::load_mode::rtld_now | boost::dll::load_mode::rtld_local);
    if (ec || !library.is_loaded()) {
        return Error::make(ErrorKind::internal,
                           "dlopen failed: " + take_dlerror() +
                               " (rebuild the plugin against SDK " SWITCHBOARD_SDK_VERSION
                               " and check `ldd " + file.string() + "` for missing libraries)");
    }
    if (!library.has(entry)) {
        return Error::make(ErrorKind::internal,
                           std::string("entry point ") + entry + " of " + file.string() +
                               " not found after loading: " + take_dlerror() +
                               " (the file may have been replaced while it was checked; rebuild the plugin "
                               "with SWITCHBOARD_PLUGIN(YourClass) from <switchboard/plugin.hpp> and load it again)");
    }
    const PluginDescriptor* descriptor = library.get<const PluginDescriptor*>(entry);
    if (descriptor == nullptr) {
        return Error::make(ErrorKind::internal,
                           std::string("entry point ") + entry + " of " + file.string() +
                               " is a null pointer: export the plugin with SWITCHBOARD_PLUGIN(YourClass) from "
                               "<switchboard/plugin.hpp> instead of defining the symbol by hand, and rebuild it");
    }
    return std::shared_ptr<LoadedLibrary>(
        new LoadedLibrary(file, std::move(library), descriptor));
}

LoadedLibrary::LoadedLibrary(std::filesystem::path file, boost::dll::shared_library library,
                             const PluginDescriptor* descriptor)
    : file_(std::move(file)), library_(std::move(library)), descriptor_(descriptor) {}

LoadedLibrary::~LoadedLibrary() {
    std::lock_guard lock(loader_mutex());
    library_.unload();
}

}  // namespace switchboard::plugin
