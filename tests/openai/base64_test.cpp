#include <string>
#include <vector>

#include <catch2/catch.hpp>

#include "openai_embeddings/base64.hpp"

namespace switchboard::openai {
namespace {

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

}  // namespace
}  // namespace switchboard::openai
