#pragma once

#include <cstdint>
#include <string_view>

#include <boost/json/parse.hpp>
#include <boost/json/value.hpp>

namespace switchboard::llamaparse {

// An options.extra value as v2 JSON: "true"/"false" as booleans, integers as numbers, JSON
// objects and arrays (agentic_options, crop_box) as themselves, anything else as a string.
inline boost::json::value option_value(std::string_view text) {
    if (text == "true") return true;
    if (text == "false") return false;
    std::string_view digits = text.substr(!text.empty() && text.front() == '-' ? 1 : 0);
    bool integer = !digits.empty() && digits.size() <= 18 && (digits == "0" || digits.front() != '0');
    for (char c : digits) integer = integer && c >= '0' && c <= '9';
    if (integer) {
        std::int64_t value = 0;
        for (char c : digits) value = value * 10 + (c - '0');
        return digits.size() == text.size() ? value : -value;
    }
    if (!text.empty() && (text.front() == '{' || text.front() == '[')) {
        boost::system::error_code ec;
        auto json = boost::json::parse(text, ec);
        if (!ec) return json;
    }
    return boost::json::string(text);
}

}  // namespace switchboard::llamaparse
