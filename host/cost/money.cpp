#include "cost/money.hpp"

#include <cmath>
#include <limits>

namespace switchboard::cost {
namespace {

constexpr std::int64_t max_usd = 9'000'000'000;

}  // namespace

std::optional<Money> money_from_decimal(std::string_view text) noexcept {
    if (text.empty()) return std::nullopt;
    std::int64_t whole = 0;
    std::size_t i = 0;
    bool digits = false;
    for (; i < text.size() && text[i] >= '0' && text[i] <= '9'; ++i) {
        whole = whole * 10 + (text[i] - '0');
        digits = true;
        if (whole > max_usd) return std::nullopt;
    }
    std::int64_t fraction = 0;
    int decimals = 0;
    if (i < text.size() && text[i] == '.') {
        ++i;
        for (; i < text.size() && text[i] >= '0' && text[i] <= '9'; ++i) {
            if (++decimals > 9) return std::nullopt;
            fraction = fraction * 10 + (text[i] - '0');
            digits = true;
        }
        if (decimals == 0) return std::nullopt;
    }
    if (!digits || i != text.size()) return std::nullopt;
    for (int d = decimals; d < 9; ++d) fraction *= 10;
    return Money{whole * Money::nanos_per_usd + fraction};
}

std::optional<Money> money_from_usd(double usd) noexcept {
    if (!std::isfinite(usd) || usd < 0 || usd > static_cast<double>(max_usd)) return std::nullopt;
    const double nanos = usd * static_cast<double>(Money::nanos_per_usd);
    const double rounded = std::round(nanos);
    if (std::fabs(nanos - rounded) > 1e-3 * std::max(1.0, std::fabs(nanos) * 1e-9)) return std::nullopt;
    return Money{static_cast<std::int64_t>(rounded)};
}

std::string to_decimal(Money money) {
    const bool negative = money.nanos < 0;
    // Through unsigned so INT64_MIN has a magnitude.
    const std::uint64_t magnitude =
        negative ? std::uint64_t{0} - static_cast<std::uint64_t>(money.nanos) : static_cast<std::uint64_t>(money.nanos);
    const std::uint64_t whole = magnitude / Money::nanos_per_usd;
    std::string fraction = std::to_string(magnitude % Money::nanos_per_usd);
    fraction.insert(0, 9 - fraction.size(), '0');
    while (fraction.size() > 2 && fraction.back() == '0') fraction.pop_back();
    return (negative ? "-" : "") + std::to_string(whole) + "." + fraction;
}

std::string format_usd(Money money) {
    std::string text = to_decimal(money);
    return text.front() == '-' ? "-$" + text.substr(1) : "$" + text;
}

Money per_units(std::int64_t count, Money price_per, std::int64_t per) noexcept {
    if (count <= 0 || price_per.nanos <= 0 || per <= 0) return Money{};
    const Int128 product = static_cast<Int128>(count) * price_per.nanos;
    const Int128 rounded_up = (product + per - 1) / per;
    constexpr auto limit = std::numeric_limits<std::int64_t>::max();
    return Money{rounded_up > limit ? limit : static_cast<std::int64_t>(rounded_up)};
}

Money saturating_add(Money a, Money b) noexcept {
    const Int128 sum = static_cast<Int128>(a.nanos) + b.nanos;
    constexpr auto high = std::numeric_limits<std::int64_t>::max();
    constexpr auto low = std::numeric_limits<std::int64_t>::min();
    return Money{sum > high ? high : sum < low ? low : static_cast<std::int64_t>(sum)};
}

}  // namespace switchboard::cost
