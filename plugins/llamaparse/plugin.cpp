#include "llamaparse/llamaparse.hpp"
#include "switchboard/plugin.hpp"

SWITCHBOARD_PLUGIN(switchboard::llamaparse::LlamaParse)
