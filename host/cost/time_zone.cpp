#include "cost/time_zone.hpp"

#include <algorithm>
#include <array>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <limits>
#include <optional>
#include <stdexcept>
#include <utility>

#include <fmt/format.h>

namespace switchboard::cost {
namespace {

using Seconds = std::int64_t;  // since the Unix epoch, or a local wall-clock reading on the same scale

constexpr Seconds never_before = std::numeric_limits<Seconds>::min();
constexpr Seconds never_after = std::numeric_limits<Seconds>::max();
constexpr Seconds seconds_per_day = 86'400;

constexpr std::int64_t floor_div(std::int64_t a, std::int64_t b) {
    const std::int64_t q = a / b;
    return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q;
}
constexpr std::int64_t floor_mod(std::int64_t a, std::int64_t b) { return a - floor_div(a, b) * b; }

struct Civil {
    std::int64_t year;
    int month;
    int day;
};

// Howard Hinnant's days_from_civil and civil_from_days (proleptic Gregorian calendar).
constexpr std::int64_t days_from_civil(std::int64_t y, int m, int d) {
    y -= m <= 2 ? 1 : 0;
    const std::int64_t era = floor_div(y, 400);
    const std::int64_t yoe = y - era * 400;
    const std::int64_t doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
    const std::int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146'097 + doe - 719'468;
}

constexpr Civil civil_from_days(std::int64_t z) {
    z += 719'468;
    const std::int64_t era = floor_div(z, 146'097);
    const std::int64_t doe = z - era * 146'097;
    const std::int64_t yoe = (doe - doe / 1460 + doe / 36'524 - doe / 146'096) / 365;
    const std::int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    const std::int64_t mp = (5 * doy + 2) / 153;
    const int d = static_cast<int>(doy - (153 * mp + 2) / 5 + 1);
    const int m = static_cast<int>(mp < 10 ? mp + 3 : mp - 9);
    return {yoe + era * 400 + (m <= 2 ? 1 : 0), m, d};
}

constexpr bool is_leap(std::int64_t y) { return y % 4 == 0 && (y % 100 != 0 || y % 400 == 0); }

constexpr int days_in_month(std::int64_t y, int m) {
    constexpr std::array<int, 12> days{31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    return m == 2 && is_leap(y) ? 29 : days[static_cast<std::size_t>(m - 1)];
}

Seconds to_seconds(WallTime time) {
    return std::chrono::floor<std::chrono::seconds>(time).time_since_epoch().count();
}

WallTime from_seconds(Seconds seconds) { return WallTime{std::chrono::seconds{seconds}}; }

// The first second of the window holding local reading `local`, and of the next one.
Seconds local_window_start(Window window, Seconds local) {
    switch (window) {
        case Window::hour: return local - floor_mod(local, 3600);
        case Window::day: return local - floor_mod(local, seconds_per_day);
        case Window::month: {
            const Civil c = civil_from_days(floor_div(local, seconds_per_day));
            return days_from_civil(c.year, c.month, 1) * seconds_per_day;
        }
    }
    return local;
}

Seconds local_window_next(Window window, Seconds local_start) {
    switch (window) {
        case Window::hour: return local_start + 3600;
        case Window::day: return local_start + seconds_per_day;
        case Window::month: {
            const Civil c = civil_from_days(floor_div(local_start, seconds_per_day));
            return c.month == 12 ? days_from_civil(c.year + 1, 1, 1) * seconds_per_day
                                 : days_from_civil(c.year, c.month + 1, 1) * seconds_per_day;
        }
    }
    return local_start;
}

std::string offset_text(Seconds offset) {
    if (offset == 0) return "Z";
    const char sign = offset < 0 ? '-' : '+';
    const Seconds magnitude = offset < 0 ? -offset : offset;
    std::string text = fmt::format("{}{:02}:{:02}", sign, magnitude / 3600, magnitude / 60 % 60);
    if (magnitude % 60 != 0) text += fmt::format(":{:02}", magnitude % 60);
    return text;
}

}  // namespace

std::string_view to_string(Window window) noexcept {
    switch (window) {
        case Window::hour: return "hour";
        case Window::day: return "day";
        case Window::month: return "month";
    }
    return "day";
}

std::string_view adjective(Window window) noexcept {
    switch (window) {
        case Window::hour: return "hourly";
        case Window::day: return "daily";
        case Window::month: return "monthly";
    }
    return "daily";
}

namespace {

// A POSIX TZ rule date: "Jn" (1..365, no Feb 29), "n" (0..365) or "Mm.w.d", at `time` local.
struct RuleDate {
    enum class Kind { julian, zero_based, month_week_day } kind = Kind::month_week_day;
    int month = 0;
    int week = 0;
    int weekday = 0;
    int day = 0;
    Seconds time = 7200;
};

struct Rule {
    Seconds std_offset = 0;
    std::optional<Seconds> dst_offset;
    RuleDate start;  // read in standard time
    RuleDate end;    // read in daylight saving time
};

// The offset in effect over [start, end).
struct Period {
    Seconds start;
    Seconds end;
    Seconds offset;
};

// Offsets by period: the TZif transitions, then (after the last one) the POSIX TZ rule of the
// file's footer, so instants past 2037 keep their daylight saving. A fixed zone has one period.
struct Zone {
    std::string name;
    std::vector<Seconds> transitions;
    std::vector<Seconds> offsets;  // in effect from the transition at the same index
    Seconds initial_offset = 0;    // before the first transition
    std::optional<Rule> rule;      // after the last transition

    Period period_at(Seconds t) const;
    Period rule_period(Seconds t, Seconds floor) const;
    Seconds window_start(Window window, Seconds t) const;
    Seconds window_end(Window window, Seconds t) const;
};

Seconds rule_day(const RuleDate& date, std::int64_t year) {
    const std::int64_t jan1 = days_from_civil(year, 1, 1);
    switch (date.kind) {
        case RuleDate::Kind::julian: return jan1 + date.day - 1 + (is_leap(year) && date.day >= 60 ? 1 : 0);
        case RuleDate::Kind::zero_based: return jan1 + date.day;
        case RuleDate::Kind::month_week_day: {
            const std::int64_t first = days_from_civil(year, date.month, 1);
            const std::int64_t first_weekday = floor_mod(first + 4, 7);  // 1970-01-01 was a Thursday
            std::int64_t day = first + floor_mod(date.weekday - first_weekday, 7) + (date.week - 1) * 7;
            if (day >= first + days_in_month(year, date.month)) day -= 7;  // week 5: the last one
            return day;
        }
    }
    return jan1;
}

Seconds rule_transition(const RuleDate& date, std::int64_t year, Seconds offset_before) {
    return rule_day(date, year) * seconds_per_day + date.time - offset_before;
}

// Reads the POSIX TZ string of a TZif footer, e.g. "CET-1CEST,M3.5.0,M10.5.0/3" or "<+0545>-5:45".
class PosixParser {
public:
    explicit PosixParser(std::string_view text) : text_(text) {}

    std::optional<Rule> parse() {
        Rule rule;
        if (!name()) return std::nullopt;
        auto std_offset = offset();
        if (!std_offset) return std::nullopt;
        rule.std_offset = *std_offset;
        if (at_end()) return rule;
        if (!name()) return std::nullopt;
        rule.dst_offset = rule.std_offset + 3600;
        if (!at_end() && text_[pos_] != ',') {
            auto dst_offset = offset();
            if (!dst_offset) return std::nullopt;
            rule.dst_offset = *dst_offset;
        }
        if (at_end()) return std::nullopt;  // no rule dates: we do not guess the US defaults
        if (!consume(',') || !date(rule.start) || !consume(',') || !date(rule.end) || !at_end()) return std::nullopt;
        return rule;
    }

private:
    bool at_end() const { return pos_ >= text_.size(); }
    bool consume(char c) {
        if (at_end() || text_[pos_] != c) return false;
        ++pos_;
        return true;
    }
    bool digit() const { return !at_end() && text_[pos_] >= '0' && text_[pos_] <= '9'; }

    std::optional<int> number(int max_digits) {
        if (!digit()) return std::nullopt;
        int value = 0;
        for (int i = 0; i < max_digits && digit(); ++i) value = value * 10 + (text_[pos_++] - '0');
        return value;
    }

    bool name() {
        if (consume('<')) {
            const auto close = text_.find('>', pos_);
            if (close == std::string_view::npos) return false;
            pos_ = close + 1;
            return true;
        }
        const std::size_t begin = pos_;
        while (!at_end() && ((text_[pos_] >= 'A' && text_[pos_] <= 'Z') || (text_[pos_] >= 'a' && text_[pos_] <= 'z'))) ++pos_;
        return pos_ - begin >= 3;
    }

    // [+-]hh[:mm[:ss]]
    std::optional<Seconds> hms() {
        Seconds sign = 1;
        if (consume('-')) sign = -1;
        else consume('+');
        auto hours = number(3);
        if (!hours) return std::nullopt;
        Seconds value = *hours * 3600;
        if (consume(':')) {
            auto minutes = number(2);
            if (!minutes) return std::nullopt;
            value += *minutes * 60;
            if (consume(':')) {
                auto seconds = number(2);
                if (!seconds) return std::nullopt;
                value += *seconds;
            }
        }
        return sign * value;
    }

    // POSIX offsets are west of Greenwich: "CET-1" is UTC+1.
    std::optional<Seconds> offset() {
        auto value = hms();
        if (!value || *value < -93'599 || *value > 93'599) return std::nullopt;
        return -*value;
    }

    bool date(RuleDate& date) {
        using Kind = RuleDate::Kind;
        if (consume('J')) {
            auto day = number(3);
            if (!day || *day < 1 || *day > 365) return false;
            date.kind = Kind::julian;
            date.day = *day;
        } else if (consume('M')) {
            auto month = number(2);
            if (!month || !consume('.')) return false;
            auto week = number(1);
            if (!week || !consume('.')) return false;
            auto weekday = number(1);
            if (!weekday || *month < 1 || *month > 12 || *week < 1 || *week > 5 || *weekday > 6) return false;
            date.kind = Kind::month_week_day;
            date.month = *month;
            date.week = *week;
            date.weekday = *weekday;
        } else {
            auto day = number(3);
            if (!day || *day > 365) return false;
            date.kind = Kind::zero_based;
            date.day = *day;
        }
        if (consume('/')) {
            auto time = hms();
            if (!time) return false;
            date.time = *time;
        }
        return true;
    }

    std::string_view text_;
    std::size_t pos_ = 0;
};

// Big-endian reads over a TZif file, with bounds checks.
class TzifReader {
public:
    TzifReader(std::string_view data, std::string file) : data_(data), file_(std::move(file)) {}

    Zone read(std::string name) {
        Header v1 = header(0);
        std::size_t pos = header_size;
        Header used = v1;
        std::size_t time_size = 4;
        const bool has_v2 = v1.version >= '2';
        if (has_v2) {
            pos += block_size(v1, 4);
            used = header(pos);
            pos += header_size;
            time_size = 8;
        }
        if (used.leapcnt != 0) {
            fail("it counts leap seconds (a 'right/' zone); use the zone without the 'right/' prefix");
        }
        if (used.typecnt == 0) fail("it has no local time types");
        need(pos, block_size(used, time_size));

        Zone zone;
        zone.name = std::move(name);
        std::vector<Seconds> times(used.timecnt);
        for (auto& time : times) {
            time = time_size == 8 ? static_cast<std::int64_t>(u64(pos)) : static_cast<std::int32_t>(u32(pos));
            pos += time_size;
        }
        std::vector<std::uint8_t> indices(used.timecnt);
        for (auto& index : indices) index = static_cast<std::uint8_t>(data_[pos++]);
        std::vector<Seconds> type_offsets(used.typecnt);
        for (auto& offset : type_offsets) {
            offset = static_cast<std::int32_t>(u32(pos));
            pos += 6;  // utoff, isdst, desigidx
        }
        pos += used.charcnt + used.leapcnt * (time_size + 4) + used.isstdcnt + used.isutcnt;

        // zic writes nothing before -2^59 (its "big bang"); RFC 8536 bounds offsets to about ±25 h.
        constexpr Seconds earliest = -(Seconds{1} << 59);
        constexpr Seconds latest = Seconds{1} << 59;
        for (std::size_t i = 0; i < times.size(); ++i) {
            if (indices[i] >= type_offsets.size()) fail("a transition names a local time type that does not exist");
            if (i > 0 && times[i] <= times[i - 1]) fail("its transitions are not in time order");
            if (times[i] < earliest || times[i] > latest) fail("a transition lies outside any plausible time");
        }
        for (Seconds offset : type_offsets) {
            if (offset < -89'999 || offset > 93'599) fail("a local time type is more than 25 hours from UTC");
        }
        zone.initial_offset = type_offsets.front();
        zone.transitions = std::move(times);
        zone.offsets.reserve(indices.size());
        for (auto index : indices) zone.offsets.push_back(type_offsets[index]);

        if (has_v2 && pos < data_.size() && data_[pos] == '\n') {
            const auto close = data_.find('\n', pos + 1);
            if (close != std::string_view::npos && close > pos + 1) {
                zone.rule = PosixParser(data_.substr(pos + 1, close - pos - 1)).parse();
            }
        }
        return zone;
    }

private:
    static constexpr std::size_t header_size = 44;

    struct Header {
        char version = 0;
        std::size_t isutcnt = 0, isstdcnt = 0, leapcnt = 0, timecnt = 0, typecnt = 0, charcnt = 0;
    };

    [[noreturn]] void fail(std::string_view why) const {
        throw std::invalid_argument("the time zone file " + file_ + " cannot be used: " + std::string(why) +
                                    "; reinstall the tzdata package or write a fixed offset such as +05:30");
    }

    void need(std::size_t pos, std::size_t size) const {
        if (pos > data_.size() || size > data_.size() - pos) fail("it is truncated");
    }

    std::uint32_t u32(std::size_t pos) const {
        need(pos, 4);
        std::uint32_t value = 0;
        for (std::size_t i = 0; i < 4; ++i) value = value << 8 | static_cast<std::uint8_t>(data_[pos + i]);
        return value;
    }

    std::uint64_t u64(std::size_t pos) const {
        return static_cast<std::uint64_t>(u32(pos)) << 32 | u32(pos + 4);
    }

    Header header(std::size_t pos) const {
        need(pos, header_size);
        if (data_.substr(pos, 4) != "TZif") fail("it does not start with the TZif magic");
        Header h;
        h.version = data_[pos + 4];
        h.isutcnt = u32(pos + 20);
        h.isstdcnt = u32(pos + 24);
        h.leapcnt = u32(pos + 28);
        h.timecnt = u32(pos + 32);
        h.typecnt = u32(pos + 36);
        h.charcnt = u32(pos + 40);
        if (h.timecnt > 100'000 || h.typecnt > 256 || h.charcnt > 100'000 || h.leapcnt > 100'000 ||
            h.isstdcnt > 256 || h.isutcnt > 256) {
            fail("its header counts are implausible");
        }
        return h;
    }

    static std::size_t block_size(const Header& h, std::size_t time_size) {
        return h.timecnt * (time_size + 1) + h.typecnt * 6 + h.charcnt + h.leapcnt * (time_size + 4) + h.isstdcnt +
               h.isutcnt;
    }

    std::string_view data_;
    std::string file_;
};

bool valid_zone_name(std::string_view name) {
    if (name.empty() || name.front() == '/' || name.back() == '/' || name.size() > 255) return false;
    std::size_t begin = 0;
    while (begin <= name.size()) {
        auto end = name.find('/', begin);
        if (end == std::string_view::npos) end = name.size();
        const std::string_view part = name.substr(begin, end - begin);
        if (part.empty() || part == "." || part == "..") return false;
        for (char c : part) {
            const bool ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' ||
                            c == '-' || c == '+' || c == '.';
            if (!ok) return false;
        }
        begin = end + 1;
    }
    return name.find("..") == std::string_view::npos;
}

// "+05:30", "-08:00", "+0530", "+05" → seconds east of UTC.
std::optional<Seconds> parse_fixed_offset(std::string_view text) {
    if (text.size() < 2 || (text[0] != '+' && text[0] != '-')) return std::nullopt;
    const Seconds sign = text[0] == '-' ? -1 : 1;
    text.remove_prefix(1);
    auto two_digits = [](std::string_view s) -> std::optional<int> {
        if (s.size() != 2 || s[0] < '0' || s[0] > '9' || s[1] < '0' || s[1] > '9') return std::nullopt;
        return (s[0] - '0') * 10 + (s[1] - '0');
    };
    std::optional<int> hours;
    std::optional<int> minutes = 0;
    if (text.size() == 2) {
        hours = two_digits(text);
    } else if (text.size() == 4) {
        hours = two_digits(text.substr(0, 2));
        minutes = two_digits(text.substr(2, 2));
    } else if (text.size() == 5 && text[2] == ':') {
        hours = two_digits(text.substr(0, 2));
        minutes = two_digits(text.substr(3, 2));
    } else {
        return std::nullopt;
    }
    if (!hours || !minutes || *hours > 18 || *minutes > 59 || (*hours == 18 && *minutes != 0)) return std::nullopt;
    return sign * (*hours * 3600 + *minutes * 60);
}

const char* const accepted_zones =
    "write \"UTC\", a fixed offset such as \"+05:30\", \"-08:00\" or \"UTC+02:00\", or an IANA name such as "
    "\"Europe/Berlin\"";

Period Zone::rule_period(Seconds t, Seconds floor) const {
    if (!rule->dst_offset) return {floor, never_after, rule->std_offset};
    const std::int64_t year = civil_from_days(floor_div(t, seconds_per_day)).year;
    Seconds previous = never_before;
    Seconds offset = rule->std_offset;
    Seconds next = never_after;
    for (std::int64_t y = year - 1; y <= year + 1; ++y) {
        const std::array<std::pair<Seconds, Seconds>, 2> changes{
            std::pair{rule_transition(rule->start, y, rule->std_offset), *rule->dst_offset},
            std::pair{rule_transition(rule->end, y, *rule->dst_offset), rule->std_offset}};
        for (const auto& [at, after] : changes) {
            if (at <= t && at > previous) {
                previous = at;
                offset = after;
            }
            if (at > t && at < next) next = at;
        }
    }
    return {std::max(previous, floor), next, offset};
}

Period Zone::period_at(Seconds t) const {
    const auto it = std::upper_bound(transitions.begin(), transitions.end(), t);
    if (it == transitions.begin()) {
        if (transitions.empty()) {
            if (rule) return rule_period(t, never_before);
            return {never_before, never_after, initial_offset};
        }
        return {never_before, transitions.front(), initial_offset};
    }
    const auto k = static_cast<std::size_t>(it - transitions.begin()) - 1;
    if (k + 1 == transitions.size()) {
        if (rule) return rule_period(t, transitions[k]);
        return {transitions[k], never_after, offsets[k]};
    }
    return {transitions[k], transitions[k + 1], offsets[k]};
}

// A window runs from the first instant whose local reading reaches its local start, walking back
// over offset changes: a 23- or 25-hour day, an hour that repeats when clocks go back.
Seconds Zone::window_start(Window window, Seconds t) const {
    Period period = period_at(t);
    const Seconds target = local_window_start(window, t + period.offset);
    for (int step = 0; step < 16; ++step) {
        const Seconds candidate = target - period.offset;
        if (period.start == never_before || candidate > period.start) return candidate;
        const Period before = period_at(period.start - 1);
        if (period.start - 1 + before.offset < target) return period.start;  // the clocks jumped over target
        period = before;
    }
    return target - period_at(t).offset;
}

Seconds Zone::window_end(Window window, Seconds t) const {
    Period period = period_at(t);
    const Seconds target = local_window_next(window, local_window_start(window, t + period.offset));
    for (int step = 0; step < 16; ++step) {
        const Seconds candidate = target - period.offset;
        if (candidate < period.end) return candidate;
        const Period after = period_at(period.end);
        if (period.end + after.offset >= target) return period.end;  // the clocks jumped over target
        period = after;
    }
    return target - period_at(t).offset;
}

}  // namespace

struct TimeZone::Data {
    Zone zone;
};

TimeZone::TimeZone(std::shared_ptr<const Data> data) : data_(std::move(data)) {}

TimeZone TimeZone::utc() {
    static const auto data = [] {
        auto d = std::make_shared<Data>();
        d->zone.name = "UTC";
        return std::shared_ptr<const Data>(std::move(d));
    }();
    return TimeZone(data);
}

TimeZone TimeZone::load(std::string_view name) {
    if (name == "UTC" || name == "Etc/UTC" || name == "Z") return utc();
    std::string_view offset_part = name;
    if (name.starts_with("UTC") && name.size() > 3 && (name[3] == '+' || name[3] == '-')) offset_part.remove_prefix(3);
    if (!offset_part.empty() && (offset_part[0] == '+' || offset_part[0] == '-')) {
        auto offset = parse_fixed_offset(offset_part);
        if (!offset) {
            throw std::invalid_argument("time zone '" + std::string(name) +
                                        "' is not a valid fixed offset: write [+|-]HH:MM between -18:00 and +18:00, "
                                        "such as \"+05:30\" or \"UTC-08:00\"");
        }
        auto data = std::make_shared<Data>();
        data->zone.name = std::string(name);
        data->zone.initial_offset = *offset;
        return TimeZone(std::move(data));
    }
    if (!valid_zone_name(name)) {
        throw std::invalid_argument("time zone '" + std::string(name) +
                                    "' is not a zone name (no leading '/', no '..', only letters, digits and _-+./); " +
                                    accepted_zones);
    }
    const char* tzdir = std::getenv("TZDIR");
    const std::filesystem::path folder = tzdir && *tzdir ? tzdir : "/usr/share/zoneinfo";
    const std::filesystem::path file = folder / std::string(name);
    std::error_code error;
    if (!std::filesystem::is_regular_file(file, error)) {
        throw std::invalid_argument("unknown time zone '" + std::string(name) + "': there is no file " + file.string() +
                                    "; " + accepted_zones + " (names are case-sensitive; is tzdata installed?)");
    }
    std::ifstream in(file, std::ios::binary);
    std::string bytes;
    if (in) {
        in.seekg(0, std::ios::end);
        const auto size = in.tellg();
        if (size > 0 && size < 4 * 1024 * 1024) {
            bytes.resize(static_cast<std::size_t>(size));
            in.seekg(0);
            in.read(bytes.data(), static_cast<std::streamsize>(bytes.size()));
        }
    }
    if (!in || bytes.empty()) {
        throw std::invalid_argument("cannot read the time zone file " + file.string() + " for '" + std::string(name) +
                                    "'; " + accepted_zones);
    }
    auto data = std::make_shared<Data>();
    data->zone = TzifReader(bytes, file.string()).read(std::string(name));
    return TimeZone(std::move(data));
}

const std::string& TimeZone::name() const noexcept { return data_->zone.name; }

std::chrono::seconds TimeZone::offset_at(WallTime time) const {
    return std::chrono::seconds{data_->zone.period_at(to_seconds(time)).offset};
}

WallTime TimeZone::window_start(Window window, WallTime time) const {
    return from_seconds(data_->zone.window_start(window, to_seconds(time)));
}

WallTime TimeZone::window_end(Window window, WallTime time) const {
    return from_seconds(data_->zone.window_end(window, to_seconds(time)));
}

std::string TimeZone::format(WallTime time) const {
    const Seconds t = to_seconds(time);
    const Seconds offset = data_->zone.period_at(t).offset;
    const Seconds local = t + offset;
    const Civil c = civil_from_days(floor_div(local, seconds_per_day));
    const Seconds of_day = floor_mod(local, seconds_per_day);
    return fmt::format("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}", c.year, c.month, c.day, of_day / 3600, of_day / 60 % 60,
                       of_day % 60) +
           offset_text(offset);
}

std::string TimeZone::label(Window window, WallTime time) const {
    const Seconds t = to_seconds(time);
    const Seconds local = t + data_->zone.period_at(t).offset;
    const Civil c = civil_from_days(floor_div(local, seconds_per_day));
    switch (window) {
        case Window::hour:
            return fmt::format("{:04}-{:02}-{:02}T{:02}", c.year, c.month, c.day, floor_mod(local, seconds_per_day) / 3600);
        case Window::day: return fmt::format("{:04}-{:02}-{:02}", c.year, c.month, c.day);
        case Window::month: return fmt::format("{:04}-{:02}", c.year, c.month);
    }
    return {};
}

namespace {

// The instant a local reading names in `zone`: the earlier one when clocks went back over it,
// the moment they jumped when they skipped it.
WallTime from_local(const TimeZone& zone, Seconds local) {
    std::array<Seconds, 3> offsets{};
    for (std::size_t i = 0; i < offsets.size(); ++i) {
        const Seconds probe = local + (static_cast<Seconds>(i) - 1) * seconds_per_day;
        offsets[i] = zone.offset_at(from_seconds(probe)).count();
    }
    std::optional<Seconds> best;
    for (Seconds offset : offsets) {
        const Seconds candidate = local - offset;
        if (zone.offset_at(from_seconds(candidate)).count() == offset && (!best || candidate < *best)) best = candidate;
    }
    if (best) return from_seconds(*best);
    // Skipped: the first instant whose local reading is past `local`.
    Seconds low = local - *std::max_element(offsets.begin(), offsets.end());
    Seconds high = local - *std::min_element(offsets.begin(), offsets.end());
    auto past = [&](Seconds u) { return u + zone.offset_at(from_seconds(u)).count() > local; };
    while (low < high) {
        const Seconds mid = low + (high - low) / 2;
        if (past(mid)) high = mid;
        else low = mid + 1;
    }
    return from_seconds(low);
}

[[noreturn]] void bad_time(std::string_view text, const TimeZone& zone) {
    throw std::invalid_argument("cannot read the time '" + std::string(text) + "': write a date (2026-11-29, midnight in " +
                                zone.name() + "), a local time (2026-11-29T08:00 or 2026-11-29T08:00:00), one with an "
                                "offset (2026-11-29T08:00:00Z, 2026-11-29T08:00:00+01:00), or a span back from now "
                                "(90m, 24h, 7d)");
}

}  // namespace

WallTime parse_time(std::string_view text, const TimeZone& zone, WallTime now) {
    while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) text.remove_prefix(1);
    while (!text.empty() && (text.back() == ' ' || text.back() == '\t')) text.remove_suffix(1);
    if (text.empty()) bad_time(text, zone);

    auto digits = [&](std::size_t pos, std::size_t count) -> std::optional<int> {
        if (pos + count > text.size()) return std::nullopt;
        int value = 0;
        for (std::size_t i = pos; i < pos + count; ++i) {
            if (text[i] < '0' || text[i] > '9') return std::nullopt;
            value = value * 10 + (text[i] - '0');
        }
        return value;
    };

    // A span back from now: "90m", "24h", "7d".
    const char unit = text.back();
    if (text.size() >= 2 && text.size() <= 8 && (unit == 's' || unit == 'm' || unit == 'h' || unit == 'd')) {
        auto amount = digits(0, text.size() - 1);
        if (!amount) bad_time(text, zone);
        const Seconds per = unit == 's' ? 1 : unit == 'm' ? 60 : unit == 'h' ? 3600 : seconds_per_day;
        return now - std::chrono::seconds{static_cast<Seconds>(*amount) * per};
    }

    auto year = digits(0, 4);
    auto month = digits(5, 2);
    auto day = digits(8, 2);
    if (!year || !month || !day || text[4] != '-' || text[7] != '-' || *month < 1 || *month > 12 || *day < 1 ||
        *day > days_in_month(*year, *month)) {
        bad_time(text, zone);
    }
    Seconds local = days_from_civil(*year, *month, *day) * seconds_per_day;
    if (text.size() == 10) return from_local(zone, local);

    if (text[10] != 'T' && text[10] != ' ') bad_time(text, zone);
    auto hour = digits(11, 2);
    auto minute = digits(14, 2);
    if (!hour || !minute || text.size() < 16 || text[13] != ':' || *hour > 23 || *minute > 59) bad_time(text, zone);
    local += *hour * 3600 + *minute * 60;
    std::size_t pos = 16;
    if (pos < text.size() && text[pos] == ':') {
        auto second = digits(pos + 1, 2);
        if (!second || *second > 59) bad_time(text, zone);
        local += *second;
        pos += 3;
    }
    const std::string_view suffix = text.substr(pos);
    if (suffix.empty()) return from_local(zone, local);
    if (suffix == "Z" || suffix == "z") return from_seconds(local);
    auto offset = parse_fixed_offset(suffix);
    if (!offset) bad_time(text, zone);
    return from_seconds(local - *offset);
}

}  // namespace switchboard::cost
