#pragma once

#include <string>
#include <string_view>

// Small text helpers shared by the parser's converters.
namespace switchboard::mock {

constexpr char ascii_lower(char c) noexcept {
    return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c;
}

// `text` with ASCII letters lowercased; other bytes (UTF-8 included) unchanged.
inline std::string ascii_lowercase(std::string_view text) {
    std::string out(text);
    for (char& c : out) c = ascii_lower(c);
    return out;
}

// `text` with "\r\n" and lone "\r" turned into "\n".
inline std::string normalise_line_endings(std::string_view text) {
    std::string out;
    out.reserve(text.size());
    for (std::size_t i = 0; i < text.size(); ++i) {
        if (text[i] != '\r') {
            out += text[i];
            continue;
        }
        out += '\n';
        if (i + 1 < text.size() && text[i + 1] == '\n') ++i;
    }
    return out;
}

}  // namespace switchboard::mock
