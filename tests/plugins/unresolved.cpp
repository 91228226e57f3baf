// Uses a function nothing defines: dlopen with rtld_now refuses it.
#include <string>

#include "test_plugin.hpp"

extern "C" int switchboard_test_symbol_nobody_defines();

namespace {

class Unresolved final : public switchboard::testing::MinimalService {
public:
    Unresolved() : MinimalService("unresolved-" + std::to_string(switchboard_test_symbol_nobody_defines())) {}
};

}  // namespace

SWITCHBOARD_PLUGIN(Unresolved)
