#pragma once

#include <chrono>
#include <optional>
#include <string_view>

namespace switchboard::config {

// Parses "250ms", "30s", "5m", "1h" or "400d": a whole non-negative number and a unit, nothing else.
// nullopt for anything else, including a value too large for milliseconds.
std::optional<std::chrono::milliseconds> parse_duration(std::string_view text) noexcept;

}  // namespace switchboard::config
