// Another compiler and Boost, the same standard library: loaded, the difference logged.
#include "test_plugin.hpp"

namespace {
switchboard::ServiceInterface* create(std::string*) noexcept {
    return new switchboard::testing::MinimalService("other-compiler");
}
}  // namespace

SWITCHBOARD_TEST_DESCRIPTOR(SWITCHBOARD_ENTRY_SYMBOL, SWITCHBOARD_ABI_MAJOR, SWITCHBOARD_ABI_MINOR,
                            "compiler=clang-99;stdlib=" SWITCHBOARD_STDLIB
                            ";boost=100000;std=" SWITCHBOARD_STRINGIFY(__cplusplus),
                            &create)
