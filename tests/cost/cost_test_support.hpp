#pragma once

#include <catch2/catch.hpp>

#include <chrono>
#include <string>

#include "cost/money.hpp"
#include "cost/time_zone.hpp"

namespace switchboard::cost::testing {

// An instant given in UTC fields: at(2026, 3, 29, 1) is 2026-03-29T01:00:00Z.
inline WallTime at(int y, unsigned m, unsigned d, int h = 0, int min = 0, int s = 0) {
    using namespace std::chrono;
    return sys_days{year{y} / month{m} / day{d}} + hours{h} + minutes{min} + seconds{s};
}

// Exact amounts for readability: usd("4.99").
inline Money usd(const char* text) { return *money_from_decimal(text); }

}  // namespace switchboard::cost::testing

namespace Catch {
template <>
struct StringMaker<switchboard::cost::WallTime> {
    static std::string convert(const switchboard::cost::WallTime& time) {
        const auto ns = std::chrono::duration_cast<std::chrono::nanoseconds>(time.time_since_epoch()).count() % 1'000'000'000;
        return switchboard::cost::TimeZone::utc().format(time) + (ns != 0 ? " +" + std::to_string(ns) + "ns" : "");
    }
};
template <>
struct StringMaker<switchboard::cost::Money> {
    static std::string convert(const switchboard::cost::Money& money) { return switchboard::cost::format_usd(money); }
};
}  // namespace Catch
