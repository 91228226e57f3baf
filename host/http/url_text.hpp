#pragma once

#include <string>
#include <string_view>

namespace switchboard::http {

// A URL as messages and log lines may show it: any "user:password@" taken out of the authority.
inline std::string url_for_messages(std::string_view url) {
    auto scheme_end = url.find("://");
    if (scheme_end == std::string_view::npos) return std::string(url);
    auto authority_start = scheme_end + 3;
    auto authority_end = url.find_first_of("/?#", authority_start);
    auto at = url.rfind('@', authority_end == std::string_view::npos ? url.size() : authority_end);
    if (at == std::string_view::npos || at < authority_start) return std::string(url);
    return std::string(url.substr(0, authority_start)) + std::string(url.substr(at + 1));
}

}  // namespace switchboard::http
