#pragma once

#include <charconv>
#include <cstdint>
#include <string>
#include <string_view>

#include "switchboard/settings.hpp"

// Typed, range-checked reads of a backend's settings, with errors that name the key and where
// it came from.
namespace switchboard::mock {

// The shortest text that reads back as `value` ("0.2", "1.5", "3").
inline std::string format_number(double value) {
    char buffer[32];
    auto [end, ec] = std::to_chars(buffer, buffer + sizeof buffer, value);
    return ec == std::errc{} ? std::string(buffer, end) : std::string("?");
}

// A bad_request error: "setting 'KEY' at FILE:LINE:COLUMN PROBLEM" (or "in ORIGIN" without a position).
inline Error bad_setting(const Settings& settings, std::string_view key, std::string_view problem) {
    return Error::make(ErrorKind::bad_request,
                       "setting '" + std::string(key) + "'" + settings.where(key) + " " + std::string(problem));
}

inline Result<std::int64_t> int_setting(const Settings& settings, std::string_view key,
                                        std::int64_t fallback, std::int64_t min, std::int64_t max) {
    auto value = settings.get<std::int64_t>(key, fallback);
    if (!value) return value;
    if (value.value() < min || value.value() > max) {
        return bad_setting(settings, key,
                           "must be between " + std::to_string(min) + " and " + std::to_string(max) +
                               ", got " + std::to_string(value.value()));
    }
    return value;
}

inline Result<double> number_setting(const Settings& settings, std::string_view key, double fallback,
                                     double min, double max) {
    auto value = settings.get<double>(key, fallback);
    if (!value) return value;
    // Written so that NaN fails too.
    if (!(value.value() >= min && value.value() <= max)) {
        return bad_setting(settings, key,
                           "must be between " + format_number(min) + " and " + format_number(max) +
                               ", got " + format_number(value.value()));
    }
    return value;
}

inline Result<std::string> non_empty_string_setting(const Settings& settings, std::string_view key,
                                                    std::string fallback) {
    auto value = settings.get<std::string>(key, std::move(fallback));
    if (value && value.value().empty()) return bad_setting(settings, key, "must not be empty");
    return value;
}

}  // namespace switchboard::mock
