// A constructor that throws, exported the normal way.
#include <stdexcept>

#include "test_plugin.hpp"

namespace {

class CtorThrows final : public switchboard::testing::MinimalService {
public:
    CtorThrows() : MinimalService("ctor-throws") {
        throw std::runtime_error("cannot reach the model server at startup");
    }
};

}  // namespace

SWITCHBOARD_PLUGIN(CtorThrows)
