#include "openai_embeddings/base64.hpp"

#include <array>
#include <bit>
#include <cstdint>
#include <cstring>
#include <optional>
#include <string_view>

namespace switchboard::openai {
namespace {

// One table per position in a group of four characters, each value already shifted to its place
// in the 24-bit group, so a group is four lookups ORed together. A character outside the
// alphabet has the bit above the 24 in every table: one test per group finds it.
constexpr std::uint32_t invalid = 1u << 24;

constexpr std::array<std::uint32_t, 256> decoding_table(int shift) {
    std::array<std::uint32_t, 256> table{};
    table.fill(invalid);
    constexpr std::string_view alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    for (std::size_t i = 0; i < alphabet.size(); ++i) {
        table[static_cast<unsigned char>(alphabet[i])] = static_cast<std::uint32_t>(i) << shift;
    }
    return table;
}

constexpr auto table0 = decoding_table(18);
constexpr auto table1 = decoding_table(12);
constexpr auto table2 = decoding_table(6);
constexpr auto table3 = decoding_table(0);

Error problem(std::string message) { return Error::make(ErrorKind::upstream_error, std::move(message)); }

std::string printable(char c) {
    auto byte = static_cast<unsigned char>(c);
    if (byte >= 0x20 && byte < 0x7f) return std::string("'") + c + "'";
    static constexpr char hex[] = "0123456789abcdef";
    return std::string("byte 0x") + hex[byte >> 4] + hex[byte & 0xf];
}

// The characters before the padding ('=' at most twice), or why the length is impossible.
Result<std::size_t> unpadded_length(std::string_view text) {
    std::size_t length = text.size();
    while (length > 0 && text.size() - length < 2 && text[length - 1] == '=') --length;
    if (length < text.size() && text.size() % 4 != 0) {
        return problem("has padding but a length of " + std::to_string(text.size()) + ", not a multiple of 4");
    }
    if (length % 4 == 1) {
        return problem("has a length of " + std::to_string(length) + " characters, which no byte string encodes to");
    }
    return length;
}

std::size_t decoded_size(std::size_t unpadded) { return unpadded / 4 * 3 + (unpadded % 4 == 0 ? 0 : unpadded % 4 - 1); }

// Decodes the first `unpadded` characters of `text` into decoded_size(unpadded) bytes at `out`.
std::optional<Error> decode_into(std::string_view text, std::size_t unpadded, unsigned char* out) {
    const auto* in = reinterpret_cast<const unsigned char*>(text.data());
    auto bad_character = [&](std::size_t from) {
        std::size_t i = from;
        while (table3[in[i]] != invalid) ++i;
        return problem("has " + printable(text[i]) + " at offset " + std::to_string(i) +
                       ", which is not in the base64 alphabet");
    };
    // Four characters make three bytes; an embedding is thousands of them, so this loop is hot.
    const std::size_t whole = unpadded / 4 * 4;
    for (std::size_t i = 0; i < whole; i += 4, out += 3) {
        const std::uint32_t word = table0[in[i]] | table1[in[i + 1]] | table2[in[i + 2]] | table3[in[i + 3]];
        if (word & invalid) return bad_character(i);
        out[0] = static_cast<unsigned char>(word >> 16);
        out[1] = static_cast<unsigned char>(word >> 8);
        out[2] = static_cast<unsigned char>(word);
    }
    const std::size_t tail = unpadded - whole;  // 0, 2 or 3 characters
    if (tail > 0) {
        std::uint32_t word = table0[in[whole]] | table1[in[whole + 1]] | (tail == 3 ? table2[in[whole + 2]] : 0);
        if (word & invalid) return bad_character(whole);
        out[0] = static_cast<unsigned char>(word >> 16);
        if (tail == 3) out[1] = static_cast<unsigned char>(word >> 8);
    }
    return std::nullopt;
}

}  // namespace

Result<std::string> decode_base64(std::string_view text) {
    auto unpadded = unpadded_length(text);
    if (!unpadded) return std::move(unpadded).error();
    std::string bytes(decoded_size(unpadded.value()), '\0');
    if (auto error = decode_into(text, unpadded.value(), reinterpret_cast<unsigned char*>(bytes.data()))) {
        return std::move(*error);
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

// Decoded straight into the floats' storage: no bytes in between (an answer of 1,536 dimensions
// is 8 KiB of base64 and this runs once per embedding).
Result<std::vector<float>> decode_base64_floats(std::string_view text) {
    auto unpadded = unpadded_length(text);
    if (!unpadded) return std::move(unpadded).error();
    const std::size_t size = decoded_size(unpadded.value());
    if (size % 4 != 0) {  // refused either way; a bad character is the more useful message
        auto bytes = decode_base64(text);
        if (!bytes) return std::move(bytes).error();
        return decode_float32_le(bytes.value());
    }
    std::vector<float> values(size / 4);
    if (auto error = decode_into(text, unpadded.value(), reinterpret_cast<unsigned char*>(values.data()))) {
        return std::move(*error);
    }
    if constexpr (std::endian::native != std::endian::little) {
        for (auto& value : values) {
            unsigned char bytes[4];
            std::memcpy(bytes, &value, 4);
            const std::uint32_t word = std::uint32_t{bytes[0]} | std::uint32_t{bytes[1]} << 8 |
                                       std::uint32_t{bytes[2]} << 16 | std::uint32_t{bytes[3]} << 24;
            std::memcpy(&value, &word, 4);
        }
    }
    return values;
}

}  // namespace switchboard::openai
