#include "mock_embeddings/mock_embeddings.hpp"
#include "switchboard/plugin.hpp"

SWITCHBOARD_PLUGIN(switchboard::mock::MockEmbeddings)
