#include "server/query.hpp"

namespace switchboard::server {
namespace {

int hex_value(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

}  // namespace

std::string percent_decoded(std::string_view raw, bool plus_is_space) {
    std::string out;
    for (std::size_t i = 0; i < raw.size(); ++i) {
        if (plus_is_space && raw[i] == '+') {
            out += ' ';
        } else if (raw[i] == '%' && i + 2 < raw.size() && hex_value(raw[i + 1]) >= 0 && hex_value(raw[i + 2]) >= 0) {
            out += static_cast<char>(hex_value(raw[i + 1]) * 16 + hex_value(raw[i + 2]));
            i += 2;
        } else {
            out += raw[i];
        }
    }
    return out;
}

std::vector<std::string> query_values(std::string_view query, std::string_view name) {
    std::vector<std::string> out;
    while (!query.empty()) {
        auto amp = query.find('&');
        std::string_view pair = query.substr(0, amp);
        query = amp == std::string_view::npos ? std::string_view{} : query.substr(amp + 1);
        auto eq = pair.find('=');
        if (percent_decoded(pair.substr(0, eq), true) != name) continue;
        out.push_back(eq == std::string_view::npos ? std::string() : percent_decoded(pair.substr(eq + 1), true));
    }
    return out;
}

std::optional<std::string> query_value(std::string_view query, std::string_view name) {
    auto values = query_values(query, name);
    if (values.empty()) return std::nullopt;
    return values.front();
}

}  // namespace switchboard::server
