#include "mock_parse/mock_parse.hpp"
#include "switchboard/plugin.hpp"

SWITCHBOARD_PLUGIN(switchboard::mock::MockParse)
