#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace switchboard::server {

// `raw` with %XX escapes decoded (and '+' as a space, in a query); a malformed escape stays as sent.
std::string percent_decoded(std::string_view raw, bool plus_is_space);

// Every value of `name` in a query string ("a=1&b=2&a=3"), decoded, in order.
std::vector<std::string> query_values(std::string_view query, std::string_view name);

// The first value of `name`; nullopt when absent.
std::optional<std::string> query_value(std::string_view query, std::string_view name);

}  // namespace switchboard::server
