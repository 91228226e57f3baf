#include "config/duration.hpp"

#include <charconv>
#include <cstdint>
#include <limits>

namespace switchboard::config {

std::optional<std::chrono::milliseconds> parse_duration(std::string_view text) noexcept {
    std::size_t digits = 0;
    while (digits < text.size() && text[digits] >= '0' && text[digits] <= '9') ++digits;
    if (digits == 0) return std::nullopt;

    std::int64_t count = 0;
    auto [end, error] = std::from_chars(text.data(), text.data() + digits, count);
    if (error != std::errc{}) return std::nullopt;

    std::string_view unit = text.substr(digits);
    std::int64_t factor = 0;
    if (unit == "ms") factor = 1;
    else if (unit == "s") factor = 1'000;
    else if (unit == "m") factor = 60'000;
    else if (unit == "h") factor = 3'600'000;
    else if (unit == "d") factor = 86'400'000;
    else return std::nullopt;

    if (count > std::numeric_limits<std::int64_t>::max() / factor) return std::nullopt;
    return std::chrono::milliseconds(count * factor);
}

}  // namespace switchboard::config
