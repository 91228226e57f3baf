#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace switchboard::cost {

// The calendar windows caps are counted over.
enum class Window { hour, day, month };

std::string_view to_string(Window window) noexcept;  // "hour", "day", "month"
std::string_view adjective(Window window) noexcept;  // "hourly", "daily", "monthly"

using WallTime = std::chrono::system_clock::time_point;

// A time zone for calendar windows: UTC, a fixed offset, or an IANA zone read from the system's
// compiled tz database (TZif files under $TZDIR or /usr/share/zoneinfo), daylight saving included.
// Immutable once made; copies share the data; thread-safe.
class TimeZone {
public:
    static TimeZone utc();
    // "UTC" (or "Etc/UTC", "Z"), a fixed offset "+05:30" / "-08:00" / "UTC+02:00", or an IANA name
    // such as "Europe/Berlin". Throws std::invalid_argument saying what is wrong and what to write.
    static TimeZone load(std::string_view name);

    const std::string& name() const noexcept;
    std::chrono::seconds offset_at(WallTime time) const;  // local minus UTC at that instant

    // The window holding `time`: [start, end), at local midnight / hour / first of the month.
    WallTime window_start(Window window, WallTime time) const;
    WallTime window_end(Window window, WallTime time) const;

    // ISO 8601 with the local offset: "2026-11-29T00:00:00+01:00"; "Z" when the offset is zero.
    std::string format(WallTime time) const;
    // The window's label for summaries: "2026-11-29T08" (hour), "2026-11-29" (day), "2026-11" (month).
    std::string label(Window window, WallTime time) const;

private:
    struct Data;
    explicit TimeZone(std::shared_ptr<const Data> data);
    std::shared_ptr<const Data> data_;
};

// Parses what a user types for --since/--until: "2026-11-29" (local midnight in `zone`),
// "2026-11-29T08:00" / "2026-11-29T08:00:00" (local), with "Z" or "+01:00" (that offset), or a
// span back from `now` such as "24h", "7d", "90m". Throws std::invalid_argument with the accepted forms.
WallTime parse_time(std::string_view text, const TimeZone& zone, WallTime now);

}  // namespace switchboard::cost
