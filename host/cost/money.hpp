#pragma once

#include <compare>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace switchboard::cost {

// Exact intermediates for money math (products of amounts and counts). GCC/Clang; __extension__
// keeps -Wpedantic quiet.
__extension__ using Int128 = __int128;

// An amount of US dollars as a whole number of nano-dollars (1e-9 USD): exact integer arithmetic,
// never floating point; holds ±9.2 billion USD. Every shipped price is a whole number of
// nano-dollars per unit (text-embedding-3-small: 20 per token; LlamaParse: 1,250 per milli-credit).
struct Money {
    static constexpr std::int64_t nanos_per_usd = 1'000'000'000;

    std::int64_t nanos = 0;

    static constexpr Money from_nanos(std::int64_t nanos) noexcept { return Money{nanos}; }

    constexpr auto operator<=>(const Money&) const = default;
    constexpr Money& operator+=(Money other) noexcept { nanos += other.nanos; return *this; }
    constexpr Money& operator-=(Money other) noexcept { nanos -= other.nanos; return *this; }
    friend constexpr Money operator+(Money a, Money b) noexcept { return Money{a.nanos + b.nanos}; }
    friend constexpr Money operator-(Money a, Money b) noexcept { return Money{a.nanos - b.nanos}; }
};

// Parses a decimal USD amount exactly: "0.02", "5", "1250.5", "0.000000001". At most nine
// decimals, no sign, no exponent; nullopt for anything else or above 9 billion.
std::optional<Money> money_from_decimal(std::string_view text) noexcept;

// The nearest nano-dollar to a TOML float such as 0.13. nullopt when negative, not finite, above
// 9 billion, or not within 1e-3 nano-dollars of a whole nano-dollar (more precision than we keep).
std::optional<Money> money_from_usd(double usd) noexcept;

// The exact decimal text, at least two decimals, trailing zeros beyond them dropped:
// "0.02", "0.00000002", "12.50", "-0.10". Valid as a JSON number and a CSV field.
std::string to_decimal(Money money);

// For messages: "$" + to_decimal, e.g. "$4.99987".
std::string format_usd(Money money);

// `count` units at `price_per` for every `per` units, rounded up to the next nano-dollar
// (billing never rounds in our favour). 128-bit intermediate; saturates at the int64 limit.
// Example: 1,000 tokens at $0.02 per million = per_units(1000, money(0.02), 1'000'000).
Money per_units(std::int64_t count, Money price_per, std::int64_t per) noexcept;

// a + b, held at the int64 limits instead of wrapping.
Money saturating_add(Money a, Money b) noexcept;

}  // namespace switchboard::cost
