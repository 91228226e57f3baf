// Claims it was built against libc++: its std::string would not be the host's.
#include "test_plugin.hpp"

namespace {
switchboard::ServiceInterface* create(std::string*) noexcept {
    return new switchboard::testing::MinimalService("other-stdlib");
}
}  // namespace

SWITCHBOARD_TEST_DESCRIPTOR(SWITCHBOARD_ENTRY_SYMBOL, SWITCHBOARD_ABI_MAJOR, SWITCHBOARD_ABI_MINOR,
                            "compiler=clang-16;stdlib=libc++-160000;boost=108100;std=202002L", &create)
