#include "openai_embeddings/base64.hpp"

#include <array>
#include <bit>
#include <cstdint>
#include <cstring>

namespace switchboard::openai {
namespace {

constexpr std::uint8_t invalid = 0xff;

constexpr std::array<std::uint8_t, 256> decoding_table() {
    std::array<std::uint8_t, 256> table{};
    table.fill(invalid);
    constexpr std::string_view alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    for (std::size_t i = 0; i < alphabet.size(); ++i) table[static_cast<unsigned char>(alphabet[i])] = std::uint8_t(i);
    return table;
}

constexpr auto table = decoding_table();

Error problem(std::string message) { return Error::make(ErrorKind::upstream_error, std::move(message)); }

std::string printable(char c) {
    auto byte = static_cast<unsigned char>(c);
    if (byte >= 0x20 && byte < 0x7f) return std::string("'") + c + "'";
    static constexpr char hex[] = "0123456789abcdef";
    return std::string("byte 0x") + hex[byte >> 4] + hex[byte & 0xf];
}

}  // namespace

Result<std::string> decode_base64(std::string_view text) {
    std::size_t data_length = text.size();
    while (data_length > 0 && text.size() - data_length < 2 && text[data_length - 1] == '=') --data_length;
    if (data_length < text.size() && text.size() % 4 != 0) {
        return problem("has padding but a length of " + std::to_string(text.size()) + ", not a multiple of 4");
    }
    if (data_length % 4 == 1) {
        return problem("has a length of " + std::to_string(data_length) + " characters, which no byte string encodes to");
    }

    auto bad_character = [&](std::size_t from) {
        std::size_t i = from;
        while (table[static_cast<unsigned char>(text[i])] != invalid) ++i;
        return problem("has " + printable(text[i]) + " at offset " + std::to_string(i) +
                       ", which is not in the base64 alphabet");
    };
    // Four characters make three bytes; an embedding is thousands of them, so this loop is hot.
    const std::size_t whole = data_length / 4 * 4;
    const std::size_t tail = data_length - whole;  // 0, 2 or 3 characters
    std::string bytes(whole / 4 * 3 + (tail == 0 ? 0 : tail - 1), '\0');
    const auto* in = reinterpret_cast<const unsigned char*>(text.data());
    auto* out = bytes.data();
    for (std::size_t i = 0; i < whole; i += 4, out += 3) {
        std::uint32_t a = table[in[i]], b = table[in[i + 1]], c = table[in[i + 2]], d = table[in[i + 3]];
        if ((a | b | c | d) & 0x80) return bad_character(i);
        std::uint32_t word = (a << 18) | (b << 12) | (c << 6) | d;
        out[0] = static_cast<char>(word >> 16);
        out[1] = static_cast<char>(word >> 8);
        out[2] = static_cast<char>(word);
    }
    if (tail > 0) {
        std::uint32_t word = 0;
        for (std::size_t i = whole; i < data_length; ++i) {
            std::uint8_t value = table[in[i]];
            if (value == invalid) return bad_character(i);
            word = (word << 6) | value;
        }
        word <<= 6 * (4 - tail);
        out[0] = static_cast<char>(word >> 16);
        if (tail == 3) out[1] = static_cast<char>(word >> 8);
    }
    return bytes;
}

Result<std::vector<float>> decode_float32_le(std::string_view bytes) {
    if (bytes.size() % 4 != 0) {
        return problem("decodes to " + std::to_string(bytes.size()) + " bytes, not a multiple of 4 (float32)");
    }
    std::vector<float> values(bytes.size() / 4);
    if (values.empty()) return values;
    if constexpr (std::endian::native == std::endian::little) {
        std::memcpy(values.data(), bytes.data(), bytes.size());
    } else {
        for (std::size_t i = 0; i < values.size(); ++i) {
            std::uint32_t word = 0;
            for (int b = 3; b >= 0; --b) word = (word << 8) | static_cast<unsigned char>(bytes[i * 4 + b]);
            std::memcpy(&values[i], &word, sizeof word);
        }
    }
    return values;
}

Result<std::vector<float>> decode_base64_floats(std::string_view text) {
    auto bytes = decode_base64(text);
    if (!bytes) return std::move(bytes).error();
    return decode_float32_le(bytes.value());
}

}  // namespace switchboard::openai
