#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "http/url_text.hpp"
#include "switchboard/error.hpp"
#include "switchboard/http.hpp"

namespace switchboard::http {

// What both transports say the same way, so their callers cannot tell them apart.

// "METHOD URL" for messages, any credentials in the URL taken out.
inline std::string exchange_where(std::string_view method, std::string_view url) {
    return std::string(method) + " " + url_for_messages(url);
}

// The first header that cannot go on the wire as given (an empty name, a ':' in the name, a line
// break anywhere, which would let a value inject headers), as a bad_request; null when all can.
inline std::optional<Error> invalid_header(const std::vector<HttpHeader>& headers, std::string_view where) {
    auto has_line_break = [](std::string_view text) { return text.find_first_of("\r\n") != std::string_view::npos; };
    for (const auto& header : headers) {
        if (has_line_break(header.name) || has_line_break(header.value) || header.name.empty() ||
            header.name.find(':') != std::string::npos) {
            return Error::make(ErrorKind::bad_request,
                               "header \"" + (has_line_break(header.name) ? std::string("?") : header.name) +
                                   "\" is not a valid HTTP header (empty name, ':' or a line break) in " +
                                   std::string(where));
        }
    }
    return std::nullopt;
}

// The end of an exchange its caller cancelled.
inline Error cancelled_during(std::string_view where) {
    return Error::make(ErrorKind::timeout, "cancelled by the caller during " + std::string(where));
}

}  // namespace switchboard::http
