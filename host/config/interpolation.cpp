#include "config/interpolation.hpp"

namespace switchboard::config {

bool is_variable_name(std::string_view name) noexcept {
    if (name.empty() || (name[0] >= '0' && name[0] <= '9')) return false;
    for (char c : name) {
        bool ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_';
        if (!ok) return false;
    }
    return true;
}

Expansion expand_variables(std::string_view text, const VariableLookup& lookup) {
    Expansion result;
    std::size_t pos = 0;
    while (pos < text.size()) {
        char c = text[pos];
        if (c != '$' || pos + 1 == text.size() || (text[pos + 1] != '$' && text[pos + 1] != '{')) {
            result.value += c;
            ++pos;
            continue;
        }
        if (text[pos + 1] == '$') {
            result.value += '$';
            pos += 2;
            continue;
        }

        std::string at = "at character " + std::to_string(pos + 1);
        auto close = text.find('}', pos + 2);
        if (close == std::string_view::npos) {
            result.syntax_error = "unterminated '${' " + at + "; close it with '}' or write '$$' for a literal '$'";
            return result;
        }
        std::string_view inside = text.substr(pos + 2, close - pos - 2);
        std::string_view name = inside;
        std::optional<std::string_view> fallback;
        if (auto colon = inside.find(':'); colon != std::string_view::npos) {
            name = inside.substr(0, colon);
            if (inside.substr(colon, 2) == ":-") fallback = inside.substr(colon + 2);
            else name = inside;  // a ':' not followed by '-' makes the name invalid
        }
        if (!is_variable_name(name)) {
            result.syntax_error = "malformed variable reference " + at +
                                  "; expected ${NAME} or ${NAME:-default}, NAME being letters, digits and '_'";
            return result;
        }

        const std::string* value = lookup(name);
        if (value && !(value->empty() && fallback)) result.value += *value;
        else if (fallback) result.value += *fallback;
        else result.missing.emplace_back(name);
        pos = close + 1;
    }
    return result;
}

}  // namespace switchboard::config
