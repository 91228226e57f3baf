#include "openai_embeddings/openai_embeddings.hpp"
#include "switchboard/plugin.hpp"

SWITCHBOARD_PLUGIN(switchboard::openai::OpenAIEmbeddings)
