#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace switchboard::config {

// The candidate closest to `word` by edit distance (case-insensitive, an adjacent swap counts
// as one edit), if it is close enough to be a likely typo.
std::optional<std::string> closest_match(std::string_view word, const std::vector<std::string>& candidates);

// " (did you mean 'X'?)" for the closest candidate, or "" when none is close.
std::string did_you_mean(std::string_view word, const std::vector<std::string>& candidates);

// "a, b or c" for messages that list the allowed values.
std::string join_alternatives(const std::vector<std::string>& items, std::string_view last_separator = " or ");

}  // namespace switchboard::config
