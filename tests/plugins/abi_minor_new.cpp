// ABI 2.7: the right major, but a minor newer than this host supports.
#include "test_plugin.hpp"

namespace {
switchboard::ServiceInterface* create(std::string*) noexcept {
    return new switchboard::testing::MinimalService("newer-minor");
}
}  // namespace

SWITCHBOARD_TEST_DESCRIPTOR(SWITCHBOARD_ENTRY_SYMBOL, SWITCHBOARD_ABI_MAJOR, 7,
                            SWITCHBOARD_BUILD_FINGERPRINT, &create)
