#pragma once

#include <chrono>
#include <string>

#include <fmt/format.h>

namespace switchboard::log {

// "2026-11-29T06:03:47.815Z": calendar time in UTC with milliseconds, as log lines and messages
// show it.
inline std::string format_utc(std::chrono::system_clock::time_point time) {
    using namespace std::chrono;
    auto ms = floor<milliseconds>(time);
    auto day = floor<days>(ms);
    year_month_day date{day};
    hh_mm_ss clock_time{ms - day};
    return fmt::format("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:03}Z", static_cast<int>(date.year()),
                       static_cast<unsigned>(date.month()), static_cast<unsigned>(date.day()),
                       clock_time.hours().count(), clock_time.minutes().count(), clock_time.seconds().count(),
                       clock_time.subseconds().count());
}

}  // namespace switchboard::log
