#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "switchboard/result.hpp"

namespace switchboard::openai {

// Standard base64 (RFC 4648 alphabet, '=' padding optional) to bytes. An invalid character or
// length is an upstream_error whose message says which and where ("character '*' at offset 12").
Result<std::string> decode_base64(std::string_view text);

// Packed little-endian IEEE float32 values; the length must be a multiple of 4.
Result<std::vector<float>> decode_float32_le(std::string_view bytes);

// Both steps: an OpenAI base64 embedding to its floats.
Result<std::vector<float>> decode_base64_floats(std::string_view text);

}  // namespace switchboard::openai
