#include "cost/forecast.hpp"

#include <algorithm>
#include <limits>

#include <fmt/format.h>

namespace switchboard::cost {
namespace {

using std::chrono::milliseconds;
using std::chrono::nanoseconds;

// ceil(a × b / c) without overflow, saturating at the int64 limit: money's rounding-up rule.
std::int64_t scale_up(std::int64_t a, std::int64_t b, std::int64_t c) { return per_units(a, Money{b}, c).nanos; }

std::string span_text(milliseconds span) {
    const auto ms = span.count();
    if (ms < 60'000) return fmt::format("{}s", ms / 1000);
    return fmt::format("{}h {}m", ms / 3'600'000, ms / 60'000 % 60);
}

}  // namespace

Forecast forecast(const ForecastInput& input, const TimeZone& zone) {
    Forecast result;
    result.now = input.now;
    const milliseconds lookback = std::max(input.lookback, milliseconds{0});
    if (input.first_row) {
        const auto age = std::chrono::floor<milliseconds>(input.now - *input.first_row);
        result.rate_span = std::clamp(age, milliseconds{0}, lookback);
    }
    const std::int64_t span_ns = nanoseconds(result.rate_span).count();
    const std::int64_t recent = span_ns > 0 ? std::max<std::int64_t>(input.recent_spend.nanos, 0) : 0;
    // Spend at the recent rate over `ahead`, rounded up (a projection should not flatter).
    auto at_rate = [&](nanoseconds ahead) { return Money{scale_up(recent, ahead.count(), span_ns)}; };

    result.rate_per_hour = at_rate(std::chrono::hours{1});
    result.day_end = zone.window_end(Window::day, input.now);
    result.month_end = zone.window_end(Window::month, input.now);
    result.projected_day_end = input.spent_today + at_rate(result.day_end - input.now);
    result.projected_month_end = input.spent_this_month + at_rate(result.month_end - input.now);

    for (const CapState& cap : input.caps) {
        CapForecast line;
        line.key = cap.key;
        line.spent = cap.spent;
        line.limit = cap.limit;
        line.resets_at = cap.resets_at;
        line.projected = cap.spent + at_rate(std::max(nanoseconds{0}, cap.resets_at - input.now));
        if (cap.spent >= cap.limit) {
            line.reached_at = input.now;
        } else if (recent > 0) {
            // Compared as a duration first: far beyond the reset, now + it would overflow.
            const nanoseconds until{scale_up((cap.limit - cap.spent).nanos, span_ns, recent)};
            if (until < cap.resets_at - input.now) line.reached_at = input.now + until;
        }
        result.caps.push_back(std::move(line));
    }

    if (!input.first_row) {
        result.method = "linear: the ledger has no rows yet, so the rate is $0.00/h and every projection is the spend "
                        "so far";
    } else {
        const std::string since = zone.format(input.now - result.rate_span);
        const std::string window =
            result.rate_span < lookback
                ? fmt::format("the last {} (since {}, the ledger's first row; the lookback is {})",
                              span_text(result.rate_span), since, span_text(lookback))
                : fmt::format("the last {} (since {})", span_text(result.rate_span), since);
        result.method =
            recent > 0
                ? fmt::format("linear: {} spent over {} = {}/h, continued to the end of each window; every cap is "
                              "projected at that whole rate",
                              format_usd(input.recent_spend), window, format_usd(result.rate_per_hour))
                : fmt::format("linear: nothing spent over {}, so the rate is $0.00/h and every projection is the "
                              "spend so far",
                              window);
    }
    return result;
}

}  // namespace switchboard::cost
