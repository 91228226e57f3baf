#pragma once

#include <string>

#include "switchboard/types.hpp"

namespace switchboard::wire {

// An embeddings response in the OpenAI wire format (`{"object":"list","data":[{"object":
// "embedding","index":0,"embedding":[…]}],"model":…,"usage":{…}}`), floats written in their
// shortest round-trip form as the OpenAI API does ("0.0123", not "1.23E-2").
std::string to_openai_json(const EmbeddingsResponse& response);

// The same response with each embedding as a base64 string of its packed little-endian float32
// values (standard alphabet, '=' padding), as the API answers `"encoding_format": "base64"`.
std::string to_openai_json_base64(const EmbeddingsResponse& response);

}  // namespace switchboard::wire
