#pragma once

#include <cstdint>
#include <string>

#include <boost/version.hpp>

#include "switchboard/visibility.hpp"

// The plugin ABI. The major version is part of the exported symbol's name, so a host can tell a
// plugin built for another major from the symbol table alone, before it loads anything. A minor
// bump adds to the ABI compatibly: a host runs plugins built for its minor or older.
#define SWITCHBOARD_ABI_MAJOR 2
#define SWITCHBOARD_ABI_MINOR 1
#define SWITCHBOARD_SDK_VERSION "0.3.0"
#define SWITCHBOARD_SECTION sbplugin  // at most 8 bytes (Boost.DLL limit)

#define SWITCHBOARD_STRINGIFY_(x) #x
#define SWITCHBOARD_STRINGIFY(x) SWITCHBOARD_STRINGIFY_(x)
#define SWITCHBOARD_PASTE_(a, b) a##b
#define SWITCHBOARD_PASTE(a, b) SWITCHBOARD_PASTE_(a, b)

// The exported symbol, "switchboard_plugin_v" followed by the ABI major.
#define SWITCHBOARD_ENTRY_PREFIX "switchboard_plugin_v"
#define SWITCHBOARD_ENTRY_SYMBOL SWITCHBOARD_PASTE(switchboard_plugin_v, SWITCHBOARD_ABI_MAJOR)

#if defined(__clang__)
#define SWITCHBOARD_COMPILER "clang-" SWITCHBOARD_STRINGIFY(__clang_major__)
#elif defined(__GNUC__)
#define SWITCHBOARD_COMPILER "gcc-" SWITCHBOARD_STRINGIFY(__GNUC__)
#else
#define SWITCHBOARD_COMPILER "unknown"
#endif

#if defined(_LIBCPP_VERSION)
#define SWITCHBOARD_STDLIB "libc++-" SWITCHBOARD_STRINGIFY(_LIBCPP_VERSION)
#elif defined(_GLIBCXX_RELEASE)
#define SWITCHBOARD_STDLIB "libstdc++-" SWITCHBOARD_STRINGIFY(_GLIBCXX_RELEASE) \
    " cxx11abi=" SWITCHBOARD_STRINGIFY(_GLIBCXX_USE_CXX11_ABI)
#else
#define SWITCHBOARD_STDLIB "unknown"
#endif

// Where this translation unit was built, as "compiler=…;stdlib=…;boost=…;std=…". Host and plugin
// must agree on the standard library (std::string and std::function cross the boundary).
#define SWITCHBOARD_BUILD_FINGERPRINT                                         \
    "compiler=" SWITCHBOARD_COMPILER ";stdlib=" SWITCHBOARD_STDLIB           \
    ";boost=" SWITCHBOARD_STRINGIFY(BOOST_VERSION) ";std=" SWITCHBOARD_STRINGIFY(__cplusplus)

namespace switchboard {

class ServiceInterface;

// The one object a plugin exports (under SWITCHBOARD_ENTRY_SYMBOL in section SWITCHBOARD_SECTION).
// Plain C layout so the host can read the versions before it trusts anything else. Static
// storage in the plugin: valid while the library is loaded.
struct PluginDescriptor {
    std::uint32_t abi_major;
    std::uint32_t abi_minor;
    const char* sdk_version;
    const char* build_fingerprint;
    // Makes a new instance; the caller owns it and deletes it through its virtual destructor
    // while the library is loaded. On failure returns null and puts the reason in *error.
    ServiceInterface* (*create)(std::string* error) noexcept;
};

}  // namespace switchboard
