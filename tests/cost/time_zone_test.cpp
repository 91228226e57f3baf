#include <catch2/catch.hpp>

#include <stdlib.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <stdexcept>
#include <string>

#include "cost/time_zone.hpp"
#include "cost_test_support.hpp"
#include "fakes/temp_dir.hpp"

using namespace std::chrono_literals;
using namespace switchboard::cost;
using switchboard::cost::testing::at;

namespace {

std::string load_error(std::string_view name) {
    try {
        TimeZone::load(name);
    } catch (const std::invalid_argument& e) {
        return e.what();
    }
    return "(loaded)";
}

std::string parse_error(std::string_view text) {
    try {
        parse_time(text, TimeZone::utc(), at(2026, 11, 29));
    } catch (const std::invalid_argument& e) {
        return e.what();
    }
    return "(parsed)";
}

}  // namespace

TEST_CASE("UTC windows start at the hour, midnight and the first of the month", "[cost][time_zone]") {
    const TimeZone utc = TimeZone::load("UTC");
    const WallTime t = at(2026, 11, 29, 8, 41, 7) + 250ms;

    CHECK(utc.name() == "UTC");
    CHECK(utc.offset_at(t) == 0s);
    CHECK(utc.window_start(Window::hour, t) == at(2026, 11, 29, 8));
    CHECK(utc.window_end(Window::hour, t) == at(2026, 11, 29, 9));
    CHECK(utc.window_start(Window::day, t) == at(2026, 11, 29));
    CHECK(utc.window_end(Window::day, t) == at(2026, 11, 30));
    CHECK(utc.window_start(Window::month, t) == at(2026, 11, 1));
    CHECK(utc.window_end(Window::month, t) == at(2026, 12, 1));
    CHECK(utc.window_end(Window::month, at(2026, 12, 31, 23, 59, 59)) == at(2027, 1, 1));
    CHECK(utc.window_end(Window::month, at(2028, 2, 10)) == at(2028, 3, 1));

    CHECK(utc.format(t) == "2026-11-29T08:41:07Z");
    CHECK(utc.label(Window::hour, t) == "2026-11-29T08");
    CHECK(utc.label(Window::day, t) == "2026-11-29");
    CHECK(utc.label(Window::month, t) == "2026-11");
    CHECK(TimeZone::load("Etc/UTC").name() == "UTC");
    CHECK(TimeZone::load("Z").name() == "UTC");
}

TEST_CASE("a window ends exactly where the next one starts", "[cost][time_zone]") {
    const TimeZone utc = TimeZone::utc();
    CHECK(utc.window_start(Window::day, at(2026, 11, 30)) == at(2026, 11, 30));
    CHECK(utc.window_start(Window::day, at(2026, 11, 30) - 1ns) == at(2026, 11, 29));
    CHECK(utc.window_end(Window::day, at(2026, 11, 30) - 1ns) == at(2026, 11, 30));
}

TEST_CASE("fixed offsets shift every window and show in formatted times", "[cost][time_zone]") {
    const TimeZone india = TimeZone::load("+05:30");
    const WallTime t = at(2026, 11, 29, 20);  // 2026-11-30T01:30 in India

    CHECK(india.name() == "+05:30");
    CHECK(india.offset_at(t) == 5h + 30min);
    CHECK(india.window_start(Window::day, t) == at(2026, 11, 29, 18, 30));
    CHECK(india.window_end(Window::day, t) == at(2026, 11, 30, 18, 30));
    CHECK(india.window_start(Window::hour, t) == at(2026, 11, 29, 19, 30));
    CHECK(india.window_start(Window::month, t) == at(2026, 10, 31, 18, 30));
    CHECK(india.format(t) == "2026-11-30T01:30:00+05:30");
    CHECK(india.label(Window::day, t) == "2026-11-30");

    const TimeZone pacific = TimeZone::load("-08:00");
    CHECK(pacific.window_start(Window::day, t) == at(2026, 11, 29, 8));
    CHECK(pacific.format(t) == "2026-11-29T12:00:00-08:00");

    const TimeZone cairo = TimeZone::load("UTC+02:00");
    CHECK(cairo.name() == "UTC+02:00");
    CHECK(cairo.window_start(Window::day, t) == at(2026, 11, 28, 22));

    CHECK(load_error("+25:00") == "time zone '+25:00' is not a valid fixed offset: write [+|-]HH:MM between -18:00 and "
                                  "+18:00, such as \"+05:30\" or \"UTC-08:00\"");
    CHECK(load_error("+5:3").find("not a valid fixed offset") != std::string::npos);
}

TEST_CASE("Europe/Berlin: the spring-forward day is 23 hours, the fall-back day 25", "[cost][time_zone]") {
    const TimeZone berlin = TimeZone::load("Europe/Berlin");
    const WallTime spring = at(2026, 3, 29, 12);

    CHECK(berlin.window_start(Window::day, spring) == at(2026, 3, 28, 23));
    CHECK(berlin.window_end(Window::day, spring) == at(2026, 3, 29, 22));
    CHECK(berlin.window_end(Window::day, spring) - berlin.window_start(Window::day, spring) == 23h);
    CHECK(berlin.offset_at(at(2026, 3, 29, 0, 59, 59)) == 1h);
    CHECK(berlin.offset_at(at(2026, 3, 29, 1)) == 2h);
    // 01:00 local (00:00Z) is followed by 03:00 local (01:00Z): the 01 hour ends at the jump.
    CHECK(berlin.window_start(Window::hour, at(2026, 3, 29, 0, 30)) == at(2026, 3, 29, 0));
    CHECK(berlin.window_end(Window::hour, at(2026, 3, 29, 0, 30)) == at(2026, 3, 29, 1));
    CHECK(berlin.label(Window::hour, at(2026, 3, 29, 1)) == "2026-03-29T03");

    const WallTime autumn = at(2026, 10, 25, 12);
    CHECK(berlin.window_start(Window::day, autumn) == at(2026, 10, 24, 22));
    CHECK(berlin.window_end(Window::day, autumn) == at(2026, 10, 25, 23));
    // Local 02:00-03:00 happens twice; its label holds for both passes, so its window does too.
    CHECK(berlin.window_start(Window::hour, at(2026, 10, 25, 1, 30)) == at(2026, 10, 25, 0));
    CHECK(berlin.window_end(Window::hour, at(2026, 10, 25, 0, 30)) == at(2026, 10, 25, 2));
    CHECK(berlin.label(Window::hour, at(2026, 10, 25, 1, 30)) == "2026-10-25T02");

    CHECK(berlin.window_start(Window::month, at(2026, 3, 15)) == at(2026, 2, 28, 23));
    CHECK(berlin.window_end(Window::month, at(2026, 3, 15)) == at(2026, 3, 31, 22));
    CHECK(berlin.format(at(2026, 11, 29)) == "2026-11-29T01:00:00+01:00");
    CHECK(berlin.format(at(2026, 7, 1)) == "2026-07-01T02:00:00+02:00");
}

TEST_CASE("America/St_Johns keeps its half-hour offset in day and hour windows", "[cost][time_zone]") {
    const TimeZone st_johns = TimeZone::load("America/St_Johns");
    const WallTime t = at(2026, 11, 29, 12);  // 08:30 local, -03:30

    CHECK(st_johns.offset_at(t) == -(3h + 30min));
    CHECK(st_johns.format(t) == "2026-11-29T08:30:00-03:30");
    CHECK(st_johns.window_start(Window::day, t) == at(2026, 11, 29, 3, 30));
    CHECK(st_johns.window_start(Window::hour, t) == at(2026, 11, 29, 11, 30));
    CHECK(st_johns.window_end(Window::hour, t) == at(2026, 11, 29, 12, 30));
    // Summer time ends 2026-11-01 at 04:30Z: that day is 25 hours.
    CHECK(st_johns.window_start(Window::day, at(2026, 11, 1, 12)) == at(2026, 11, 1, 2, 30));
    CHECK(st_johns.window_end(Window::day, at(2026, 11, 1, 12)) == at(2026, 11, 2, 3, 30));
}

TEST_CASE("Asia/Kathmandu (+05:45): hour windows start at local hour starts, :15 past in UTC", "[cost][time_zone]") {
    const TimeZone kathmandu = TimeZone::load("Asia/Kathmandu");
    const WallTime t = at(2026, 11, 29, 12);  // 17:45 local

    CHECK(kathmandu.window_start(Window::hour, t) == at(2026, 11, 29, 11, 15));
    CHECK(kathmandu.window_end(Window::hour, t) == at(2026, 11, 29, 12, 15));
    CHECK(kathmandu.label(Window::hour, t) == "2026-11-29T17");
    CHECK(kathmandu.format(t) == "2026-11-29T17:45:00+05:45");
}

TEST_CASE("America/Santiago: a day that starts at 01:00 and one that runs 25 hours", "[cost][time_zone]") {
    const TimeZone santiago = TimeZone::load("America/Santiago");
    // 2026-09-06: clocks jump from 00:00 -04 to 01:00 -03, so the day starts at the jump.
    CHECK(santiago.window_start(Window::day, at(2026, 9, 6, 12)) == at(2026, 9, 6, 4));
    CHECK(santiago.window_end(Window::day, at(2026, 9, 6, 12)) == at(2026, 9, 7, 3));
    // 2026-04-05 00:00 -03 becomes 2026-04-04 23:00 -04: April 4 lasts 25 hours.
    CHECK(santiago.window_start(Window::day, at(2026, 4, 5, 3, 30)) == at(2026, 4, 4, 3));
    CHECK(santiago.window_end(Window::day, at(2026, 4, 5, 2, 30)) == at(2026, 4, 5, 4));
    CHECK(santiago.label(Window::day, at(2026, 4, 5, 3, 30)) == "2026-04-04");
}

TEST_CASE("after the zone file's last transition (2037) the POSIX rule of its footer applies", "[cost][time_zone]") {
    const TimeZone berlin = TimeZone::load("Europe/Berlin");
    CHECK(berlin.offset_at(at(2040, 3, 25, 0, 59, 59)) == 1h);
    CHECK(berlin.offset_at(at(2040, 3, 25, 1)) == 2h);
    CHECK(berlin.offset_at(at(2040, 10, 28, 0, 59, 59)) == 2h);
    CHECK(berlin.offset_at(at(2040, 10, 28, 1)) == 1h);
    CHECK(berlin.window_end(Window::day, at(2050, 3, 27, 12)) - berlin.window_start(Window::day, at(2050, 3, 27, 12)) ==
          23h);

    // "<-04>4<-03>,M9.1.6/24,M4.1.6/24": 24:00 on the first Saturday of September.
    const TimeZone santiago = TimeZone::load("America/Santiago");
    CHECK(santiago.offset_at(at(2040, 9, 2, 3, 59, 59)) == -4h);
    CHECK(santiago.offset_at(at(2040, 9, 2, 4)) == -3h);
    CHECK(santiago.offset_at(at(2040, 4, 8, 3)) == -4h);
    CHECK(santiago.window_start(Window::day, at(2040, 9, 2, 12)) == at(2040, 9, 2, 4));
}

TEST_CASE("zone names that could leave the zoneinfo folder are refused", "[cost][time_zone]") {
    for (const char* name : {"../etc/passwd", "/etc/localtime", "Europe/../../etc/passwd", "Europe//Berlin", "Europe/",
                             "Europe/Berlin\n"}) {
        INFO(name);
        CHECK(load_error(name).find("is not a zone name (no leading '/', no '..'") != std::string::npos);
    }
    CHECK(load_error("Europe/Berln") ==
          "unknown time zone 'Europe/Berln': there is no file /usr/share/zoneinfo/Europe/Berln; write \"UTC\", a fixed "
          "offset such as \"+05:30\", \"-08:00\" or \"UTC+02:00\", or an IANA name such as \"Europe/Berlin\" (names are "
          "case-sensitive; is tzdata installed?)");
    CHECK(load_error("Europe").find("unknown time zone 'Europe'") != std::string::npos);
}

TEST_CASE("TZDIR points at another zoneinfo folder, and a broken file there is named", "[cost][time_zone]") {
    switchboard::testing::TempDir dir;
    std::ifstream source("/usr/share/zoneinfo/Asia/Kathmandu", std::ios::binary);
    const std::string bytes{std::istreambuf_iterator<char>(source), {}};
    dir.write("Test/Kathmandu", bytes);
    dir.write("Test/Broken", bytes.substr(0, 60));
    dir.write("Test/NotTzif", "hello, this is not a zone file at all......................");

    ::setenv("TZDIR", dir.path().c_str(), 1);
    const TimeZone copy = TimeZone::load("Test/Kathmandu");
    const std::string broken = load_error("Test/Broken");
    const std::string not_tzif = load_error("Test/NotTzif");
    const std::string berlin = load_error("Europe/Berlin");
    ::unsetenv("TZDIR");

    CHECK(copy.name() == "Test/Kathmandu");
    CHECK(copy.offset_at(at(2026, 11, 29)) == 5h + 45min);
    CHECK(broken == "the time zone file " + (dir.path() / "Test/Broken").string() +
                        " cannot be used: it is truncated; reinstall the tzdata package or write a fixed offset such "
                        "as +05:30");
    CHECK(not_tzif.find("it does not start with the TZif magic") != std::string::npos);
    CHECK(berlin.find("unknown time zone 'Europe/Berlin'") != std::string::npos);
}

TEST_CASE("parse_time reads dates, local times, offsets and spans back from now", "[cost][time_zone]") {
    const TimeZone berlin = TimeZone::load("Europe/Berlin");
    const WallTime now = at(2026, 11, 29, 10, 15);

    CHECK(parse_time("2026-11-29", berlin, now) == at(2026, 11, 28, 23));
    CHECK(parse_time("2026-07-01", berlin, now) == at(2026, 6, 30, 22));
    CHECK(parse_time("2026-11-29T08:00", berlin, now) == at(2026, 11, 29, 7));
    CHECK(parse_time("2026-11-29T08:00:30", berlin, now) == at(2026, 11, 29, 7, 0, 30));
    CHECK(parse_time("2026-11-29T08:00:00Z", berlin, now) == at(2026, 11, 29, 8));
    CHECK(parse_time("2026-11-29T08:00:00+05:30", berlin, now) == at(2026, 11, 29, 2, 30));
    CHECK(parse_time("2026-11-29T08:00-08:00", berlin, now) == at(2026, 11, 29, 16));
    CHECK(parse_time("24h", berlin, now) == now - 24h);
    CHECK(parse_time("90m", berlin, now) == now - 90min);
    CHECK(parse_time("7d", berlin, now) == now - 7 * 24h);
    CHECK(parse_time(" 2026-11-29 ", berlin, now) == at(2026, 11, 28, 23));
    // A local time the clocks skipped is the moment they jumped; one they repeated is the first.
    CHECK(parse_time("2026-03-29T02:30", berlin, now) == at(2026, 3, 29, 1));
    CHECK(parse_time("2026-10-25T02:30", berlin, now) == at(2026, 10, 25, 0, 30));
    // Santiago skips midnight on 2026-09-06: the day starts at the jump.
    CHECK(parse_time("2026-09-06", TimeZone::load("America/Santiago"), now) == at(2026, 9, 6, 4));
}

TEST_CASE("parse_time says which forms it accepts", "[cost][time_zone]") {
    CHECK(parse_error("yesterday") ==
          "cannot read the time 'yesterday': write a date (2026-11-29, midnight in UTC), a local time "
          "(2026-11-29T08:00 or 2026-11-29T08:00:00), one with an offset (2026-11-29T08:00:00Z, "
          "2026-11-29T08:00:00+01:00), or a span back from now (90m, 24h, 7d)");
    for (const char* text : {"", "2026-13-01", "2026-02-29", "2026-11-29T24:00", "2026-11-29T08", "2026-11-29T08:00+1",
                             "x4h", "12y", "2026/11/29"}) {
        INFO(text);
        CHECK(parse_error(text).find("cannot read the time") == 0);
    }
}
