#pragma once

#include <string>
#include <utility>

#include <switchboard/plugin.hpp>

namespace switchboard::testing {

// The smallest valid service, for test plugins whose point is their descriptor, not their calls.
class MinimalService : public ServiceInterface {
public:
    explicit MinimalService(std::string name) : name_(std::move(name)) {}
    PluginInfo info() const override { return {name_, "0.0.1", {}, "", "", {}}; }
    Status start(const HostServices&, const BackendConfig&) override { return {}; }

private:
    std::string name_;
};

}  // namespace switchboard::testing

// Exports a hand-built descriptor under `symbol` in the plugin section, the way
// SWITCHBOARD_PLUGIN does, so a test plugin can lie about its ABI or build.
#define SWITCHBOARD_TEST_DESCRIPTOR(symbol, major, minor, fingerprint, create_fn)            \
    namespace switchboard_test_entry {                                                       \
    const ::switchboard::PluginDescriptor descriptor{major, minor, SWITCHBOARD_SDK_VERSION,  \
                                                     fingerprint, create_fn};                \
    BOOST_DLL_ALIAS_SECTIONED(switchboard_test_entry::descriptor, symbol, SWITCHBOARD_SECTION) \
    }
