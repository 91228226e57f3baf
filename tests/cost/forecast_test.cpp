#include <catch2/catch.hpp>

#include "cost/forecast.hpp"
#include "cost_test_support.hpp"

using namespace std::chrono_literals;
using namespace switchboard::cost;
using switchboard::cost::testing::at;
using switchboard::cost::testing::usd;

namespace {

CapState cap_state(Scope scope, std::string name, Window window, const char* limit, const char* spent,
                   WallTime resets_at) {
    CapState state;
    state.key = CapKey{scope, std::move(name), window};
    state.limit = usd(limit);
    state.spent = usd(spent);
    state.resets_at = resets_at;
    return state;
}

ForecastInput steady_input() {
    ForecastInput input;
    input.now = at(2026, 11, 29, 9);
    input.spent_today = usd("1.20");
    input.spent_this_month = usd("30");
    input.recent_spend = usd("0.42");
    input.lookback = 3h;
    input.first_row = at(2026, 11, 1);
    input.caps = {cap_state(Scope::global, "", Window::day, "5", "1.20", at(2026, 11, 30)),
                  cap_state(Scope::backend, "openai", Window::day, "2", "1.20", at(2026, 11, 30)),
                  cap_state(Scope::global, "", Window::month, "30", "30", at(2026, 12, 1))};
    return input;
}

}  // namespace

TEST_CASE("the recent rate is continued to the end of the day, the month and every cap's window", "[cost][forecast]") {
    const Forecast result = forecast(steady_input(), TimeZone::utc());

    CHECK(result.now == at(2026, 11, 29, 9));
    CHECK(result.rate_span == 3h);
    CHECK(result.rate_per_hour == usd("0.14"));
    CHECK(result.day_end == at(2026, 11, 30));
    CHECK(result.month_end == at(2026, 12, 1));
    CHECK(result.projected_day_end == usd("3.30"));     // 1.20 + 15 h × 0.14
    CHECK(result.projected_month_end == usd("35.46"));  // 30 + 39 h × 0.14
    CHECK(result.method ==
          "linear: $0.42 spent over the last 3h 0m (since 2026-11-29T06:00:00Z) = $0.14/h, continued to the end of "
          "each window; every cap is projected at that whole rate");

    REQUIRE(result.caps.size() == 3);
    CHECK(result.caps[0].key == CapKey{Scope::global, "", Window::day});
    CHECK(result.caps[0].projected == usd("3.30"));
    CHECK_FALSE(result.caps[0].reached_at);
    CHECK(result.caps[0].resets_at == at(2026, 11, 30));
    // $0.80 of room at $0.14/h: 5 h 42 min 51.428571429 s (rounded up to the nanosecond).
    CHECK(result.caps[1].projected == usd("3.30"));
    CHECK(result.caps[1].reached_at == at(2026, 11, 29, 9) + 20'571'428'571'429ns);
    CHECK(result.caps[2].reached_at == at(2026, 11, 29, 9));  // already reached
    CHECK(result.caps[2].spent == usd("30"));
    CHECK(result.caps[2].limit == usd("30"));
}

TEST_CASE("a ledger younger than the lookback gives its own age as the span", "[cost][forecast]") {
    ForecastInput input = steady_input();
    input.first_row = input.now - 80min;
    input.recent_spend = usd("0.40");
    const Forecast result = forecast(input, TimeZone::load("Europe/Berlin"));

    CHECK(result.rate_span == 80min);
    CHECK(result.rate_per_hour == usd("0.30"));
    CHECK(result.day_end == at(2026, 11, 29, 23));
    CHECK(result.projected_day_end == usd("5.40"));  // 1.20 + 14 h × 0.30
    CHECK(result.method ==
          "linear: $0.40 spent over the last 1h 20m (since 2026-11-29T08:40:00+01:00, the ledger's first row; the "
          "lookback is 3h 0m) = $0.30/h, continued to the end of each window; every cap is projected at that whole "
          "rate");
}

TEST_CASE("no recent spend: rate zero, projections are the spend so far, no cap is reached", "[cost][forecast]") {
    ForecastInput input = steady_input();
    input.recent_spend = Money{};
    const Forecast result = forecast(input, TimeZone::utc());

    CHECK(result.rate_per_hour == Money{});
    CHECK(result.projected_day_end == usd("1.20"));
    CHECK(result.projected_month_end == usd("30"));
    CHECK_FALSE(result.caps[0].reached_at);
    CHECK_FALSE(result.caps[1].reached_at);
    CHECK(result.method == "linear: nothing spent over the last 3h 0m (since 2026-11-29T06:00:00Z), so the rate is "
                           "$0.00/h and every projection is the spend so far");

    input.first_row.reset();
    input.caps.clear();
    const Forecast empty = forecast(input, TimeZone::utc());
    CHECK(empty.rate_span == 0ms);
    CHECK(empty.rate_per_hour == Money{});
    CHECK(empty.method.starts_with("linear: the ledger has no rows yet"));
}

TEST_CASE("forecast rates round up to the nano-dollar", "[cost][forecast]") {
    ForecastInput input = steady_input();
    input.recent_spend = usd("0.01");
    const Forecast result = forecast(input, TimeZone::utc());
    CHECK(result.rate_per_hour == Money::from_nanos(3'333'334));
    CHECK(result.projected_day_end == usd("1.25"));  // 1.20 + 15 h × 0.01 / 3 h
}
