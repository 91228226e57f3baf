#pragma once

// Everything a plugin author needs, and the macro that turns a class into a plugin:
//
//   class Echo : public switchboard::ServiceInterface { ... };
//   SWITCHBOARD_PLUGIN(Echo)
//
// The class must be default-constructible; put fallible set-up in start(). One plugin per
// shared library.

#include <exception>
#include <string>

#include <boost/dll/alias.hpp>

#include "switchboard/abi.hpp"
#include "switchboard/service_interface.hpp"

#define SWITCHBOARD_PLUGIN(ClassName)                                                       \
    namespace switchboard_plugin_entry {                                                    \
    static ::switchboard::ServiceInterface* create(std::string* error) noexcept {           \
        try {                                                                               \
            return new ClassName();                                                         \
        } catch (const std::exception& e) {                                                 \
            if (error) *error = e.what();                                                   \
        } catch (...) {                                                                     \
            if (error) *error = "an exception of unknown type";           \
        }                                                                                   \
        return nullptr;                                                                     \
    }                                                                                       \
    const ::switchboard::PluginDescriptor descriptor{                                       \
        SWITCHBOARD_ABI_MAJOR, SWITCHBOARD_ABI_MINOR, SWITCHBOARD_SDK_VERSION,              \
        SWITCHBOARD_BUILD_FINGERPRINT, &create};                                            \
    BOOST_DLL_ALIAS_SECTIONED(switchboard_plugin_entry::descriptor, SWITCHBOARD_ENTRY_SYMBOL, \
                              SWITCHBOARD_SECTION)                                          \
    }
