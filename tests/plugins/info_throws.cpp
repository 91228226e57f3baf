// info() throws, so the host cannot learn the plugin's name.
#include <stdexcept>

#include "test_plugin.hpp"

namespace {

class InfoThrows final : public switchboard::testing::MinimalService {
public:
    InfoThrows() : MinimalService("info-throws") {}
    switchboard::PluginInfo info() const override { throw std::logic_error("info is broken"); }
};

}  // namespace

SWITCHBOARD_PLUGIN(InfoThrows)
