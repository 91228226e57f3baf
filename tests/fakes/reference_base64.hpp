// Base64 the slow, obvious way, for tests to check the fast encoders and decoders against.
#pragma once

#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

namespace switchboard::testing {

// Six bits at a time; `padded` adds the '=' to a multiple of 4.
inline std::string reference_base64(const std::string& bytes, bool padded = true) {
    static const std::string alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    std::string text;
    std::uint32_t buffer = 0;
    int held = 0;
    for (char c : bytes) {
        buffer = (buffer << 8) | static_cast<unsigned char>(c);
        held += 8;
        while (held >= 6) {
            held -= 6;
            text += alphabet[(buffer >> held) & 63];
        }
    }
    if (held > 0) text += alphabet[(buffer << (6 - held)) & 63];
    while (padded && text.size() % 4 != 0) text += '=';
    return text;
}

// The floats' little-endian float32 bytes, as OpenAI's base64 embeddings carry them.
inline std::string little_endian_bytes(const std::vector<float>& values) {
    std::string bytes;
    for (float value : values) {
        std::uint32_t bits = 0;
        std::memcpy(&bits, &value, 4);
        for (int b = 0; b < 4; ++b) bytes += static_cast<char>(bits >> (8 * b));
    }
    return bytes;
}

}  // namespace switchboard::testing
