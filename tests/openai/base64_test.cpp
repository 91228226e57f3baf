#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

#include <catch2/catch.hpp>

#include "fakes/reference_base64.hpp"
#include "openai_embeddings/base64.hpp"

namespace switchboard::openai {
namespace {

using testing::little_endian_bytes;
using testing::reference_base64;

TEST_CASE("base64 embeddings decode to little-endian float32 values", "[openai]") {
    // 1.0f = 3f800000, -2.0f = c0000000, 0.5f = 3f000000, each stored least significant byte first.
    auto values = decode_base64_floats("AACAPwAAAMAAAAA/");
    REQUIRE(values.ok());
    CHECK(values.value() == std::vector<float>{1.0f, -2.0f, 0.5f});

    auto padded = decode_base64_floats("AACAPgAAYEA=");
    REQUIRE(padded.ok());
    CHECK(padded.value() == std::vector<float>{0.25f, 3.5f});

    auto single = decode_base64_floats("AACAPw==");
    REQUIRE(single.ok());
    CHECK(single.value() == std::vector<float>{1.0f});
}

TEST_CASE("base64 decoding accepts padding or none and yields the exact bytes", "[openai]") {
    CHECK(decode_base64("aGVsbG8=").value() == "hello");
    CHECK(decode_base64("aGVsbG8").value() == "hello");
    CHECK(decode_base64("aGk=").value() == "hi");
    CHECK(decode_base64("").value().empty());
}

TEST_CASE("base64 decoding names the character outside the alphabet and its offset", "[openai]") {
    auto star = decode_base64("AACA*w==");
    REQUIRE_FALSE(star.ok());
    CHECK(star.error().kind == ErrorKind::upstream_error);
    CHECK(star.error().message == "has '*' at offset 4, which is not in the base64 alphabet");

    auto url_safe = decode_base64("AAC_Pw==");
    REQUIRE_FALSE(url_safe.ok());
    CHECK(url_safe.error().message == "has '_' at offset 3, which is not in the base64 alphabet");

    auto newline = decode_base64("AACA\nw==");
    REQUIRE_FALSE(newline.ok());
    CHECK(newline.error().message == "has byte 0x0a at offset 4, which is not in the base64 alphabet");

    auto inner_padding = decode_base64("AA=APw==");
    REQUIRE_FALSE(inner_padding.ok());
    CHECK(inner_padding.error().message == "has '=' at offset 2, which is not in the base64 alphabet");
}

TEST_CASE("base64 decoding refuses impossible lengths", "[openai]") {
    auto one_over = decode_base64("AACAP");
    REQUIRE_FALSE(one_over.ok());
    CHECK(one_over.error().message == "has a length of 5 characters, which no byte string encodes to");

    auto bad_padding = decode_base64("AACAPw=");
    REQUIRE_FALSE(bad_padding.ok());
    CHECK(bad_padding.error().message == "has padding but a length of 7, not a multiple of 4");
}

TEST_CASE("base64 embeddings whose bytes are not whole float32 values are refused", "[openai]") {
    // 1.0f plus one stray byte: 5 bytes.
    auto values = decode_base64_floats("AACAPwE=");
    REQUIRE_FALSE(values.ok());
    CHECK(values.error().kind == ErrorKind::upstream_error);
    CHECK(values.error().message == "decodes to 5 bytes, not a multiple of 4 (float32)");
}

TEST_CASE("base64 of every length decodes to the exact bytes, padded or not", "[openai]") {
    std::string all;
    for (int byte = 0; byte < 256; ++byte) all += static_cast<char>(255 - byte);  // every byte value
    for (std::size_t size = 0; size <= 9; ++size) {
        auto bytes = size == 9 ? all : all.substr(size * 7, size);  // lengths 0..8 (mod 3: all three), then 256
        for (bool padded : {true, false}) {
            INFO("bytes: " << bytes.size() << (padded ? ", padded" : ", unpadded"));
            auto decoded = decode_base64(reference_base64(bytes, padded));
            REQUIRE(decoded.ok());
            CHECK(decoded.value() == bytes);
        }
    }
}

TEST_CASE("base64 embeddings of every float count decode to those floats", "[openai]") {
    // n floats are 4n bytes: n = 0, 1, 2 (mod 3) end in no padding, "==" and "=" respectively.
    std::vector<float> all = {0.1f, -0.333333343f, 3.4e38f, -1.17549435e-38f, 1e-45f, -0.0f, 12345.678f};
    for (std::size_t n = 0; n <= all.size(); ++n) {
        std::vector<float> values(all.begin(), all.begin() + static_cast<std::ptrdiff_t>(n));
        for (bool padded : {true, false}) {
            INFO("floats: " << n << (padded ? ", padded" : ", unpadded"));
            auto decoded = decode_base64_floats(reference_base64(little_endian_bytes(values), padded));
            REQUIRE(decoded.ok());
            REQUIRE(decoded.value().size() == n);
            CHECK(std::memcmp(decoded.value().data(), values.data(), n * 4) == 0);  // -0.0f and all, bit for bit
        }
    }
}

TEST_CASE("a character outside the alphabet is named at its offset wherever it stands", "[openai]") {
    struct Case {
        const char* text;
        const char* message;
    };
    for (auto [text, message] : {
             Case{"*AAAAAAA", "has '*' at offset 0, which is not in the base64 alphabet"},
             Case{"AAAAA.AA", "has '.' at offset 5, which is not in the base64 alphabet"},
             Case{"AAAAAA-A", "has '-' at offset 6, which is not in the base64 alphabet"},
             Case{"AAAAAAA\xff", "has byte 0xff at offset 7, which is not in the base64 alphabet"},
             Case{"AAAA A==", "has ' ' at offset 4, which is not in the base64 alphabet"},     // 2-character tail
             Case{"AAAAA!A=", "has '!' at offset 5, which is not in the base64 alphabet"},     // 3-character tail
             Case{"AAAAAA~", "has '~' at offset 6, which is not in the base64 alphabet"},      // unpadded tail
             Case{"A===", "has '=' at offset 1, which is not in the base64 alphabet"},         // padding is two at most
             Case{"====", "has '=' at offset 0, which is not in the base64 alphabet"},
         }) {
        INFO(text);
        auto bytes = decode_base64(text);
        REQUIRE_FALSE(bytes.ok());
        CHECK(bytes.error().kind == ErrorKind::upstream_error);
        CHECK(bytes.error().message == message);
        auto floats = decode_base64_floats(text);
        REQUIRE_FALSE(floats.ok());
        CHECK(floats.error().message == message);  // before any complaint about the byte count
    }
}

TEST_CASE("base64 embeddings with impossible lengths are refused with the length named", "[openai]") {
    CHECK(decode_base64_floats("AACAP").error().message ==
          "has a length of 5 characters, which no byte string encodes to");
    CHECK(decode_base64_floats("AACAPw=").error().message == "has padding but a length of 7, not a multiple of 4");
    CHECK(decode_base64_floats("AACAPwAA").error().message == "decodes to 6 bytes, not a multiple of 4 (float32)");
    CHECK(decode_base64_floats("AACAPwA").error().message == "decodes to 5 bytes, not a multiple of 4 (float32)");
}

}  // namespace
}  // namespace switchboard::openai
