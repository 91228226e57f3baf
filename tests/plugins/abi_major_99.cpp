// Exports the entry point of plugin ABI 99 (switchboard_plugin_v99), as a future SDK would.
#include "test_plugin.hpp"

namespace {
switchboard::ServiceInterface* create(std::string*) noexcept {
    return new switchboard::testing::MinimalService("from-the-future");
}
}  // namespace

SWITCHBOARD_TEST_DESCRIPTOR(switchboard_plugin_v99, 99, 0, SWITCHBOARD_BUILD_FINGERPRINT, &create)
