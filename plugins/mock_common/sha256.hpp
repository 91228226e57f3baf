#pragma once

#include <string>
#include <string_view>

#include <openssl/evp.h>

#include "switchboard/result.hpp"

namespace switchboard::mock {

// The SHA-256 of `data` as 64 lowercase hex digits.
inline Result<std::string> sha256_hex(std::string_view data) {
    unsigned char digest[EVP_MAX_MD_SIZE];
    unsigned int size = 0;
    if (EVP_Digest(data.data(), data.size(), digest, &size, EVP_sha256(), nullptr) != 1) {
        return Error::make(ErrorKind::internal, "OpenSSL could not compute a SHA-256 digest");
    }
    static constexpr char digits[] = "0123456789abcdef";
    std::string hex;
    hex.reserve(size * 2);
    for (unsigned int i = 0; i < size; ++i) {
        hex += digits[digest[i] >> 4];
        hex += digits[digest[i] & 0x0f];
    }
    return hex;
}

}  // namespace switchboard::mock
