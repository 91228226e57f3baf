// A create function that returns no instance and gives no reason.
#include "test_plugin.hpp"

namespace {
switchboard::ServiceInterface* create(std::string*) noexcept { return nullptr; }
}  // namespace

SWITCHBOARD_TEST_DESCRIPTOR(SWITCHBOARD_ENTRY_SYMBOL, SWITCHBOARD_ABI_MAJOR, SWITCHBOARD_ABI_MINOR,
                            SWITCHBOARD_BUILD_FINGERPRINT, &create)
