#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <utility>

namespace switchboard::http {

// Where the "user:password" of "scheme://user:password@host/..." stands in `url`: {start, size},
// or nullopt when the URL carries none.
inline std::optional<std::pair<std::size_t, std::size_t>> url_userinfo(std::string_view url) {
    auto scheme_end = url.find("://");
    if (scheme_end == std::string_view::npos) return std::nullopt;
    auto start = scheme_end + 3;
    auto authority_end = url.find_first_of("/?#", start);
    auto at = url.rfind('@', authority_end == std::string_view::npos ? url.size() : authority_end);
    if (at == std::string_view::npos || at < start) return std::nullopt;
    return std::pair{start, at - start};
}

// A URL as messages and log lines may show it: any "user:password@" taken out of the authority.
inline std::string url_for_messages(std::string_view url) {
    auto userinfo = url_userinfo(url);
    if (!userinfo) return std::string(url);
    return std::string(url.substr(0, userinfo->first)) + std::string(url.substr(userinfo->first + userinfo->second + 1));
}

// The password in a URL's "user:password@", or nullopt.
inline std::optional<std::string_view> url_password(std::string_view url) {
    auto userinfo = url_userinfo(url);
    if (!userinfo) return std::nullopt;
    auto text = url.substr(userinfo->first, userinfo->second);
    auto colon = text.find(':');
    if (colon == std::string_view::npos) return std::nullopt;
    return text.substr(colon + 1);
}

}  // namespace switchboard::http
