#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include "cost/budget.hpp"
#include "cost/money.hpp"
#include "cost/time_zone.hpp"

namespace switchboard::cost {

// What the forecast is made from: real (not shadow) spend.
struct ForecastInput {
    WallTime now;
    Money spent_today;       // since the start of the current day window
    Money spent_this_month;  // since the start of the current month window
    Money recent_spend;      // over the lookback
    std::chrono::milliseconds lookback{0};  // as configured (cost.forecast_lookback)
    std::optional<WallTime> first_row;      // the oldest row in the ledger, if any
    std::vector<CapState> caps;             // spent and limit of every cap, for when each is reached
};

struct CapForecast {
    CapKey key;
    Money spent;
    Money limit;
    Money projected;                   // at the end of the cap's window
    std::optional<WallTime> reached_at;  // when the recent rate reaches the limit inside the window
    WallTime resets_at;
};

struct Forecast {
    WallTime now;
    std::chrono::milliseconds rate_span{0};  // the lookback actually used (shorter if the ledger is younger)
    Money rate_per_hour;                     // recent_spend / rate_span, per hour
    Money projected_day_end;                 // spent_today + rate × time left today
    Money projected_month_end;
    WallTime day_end;
    WallTime month_end;
    std::vector<CapForecast> caps;
    std::string method;  // one sentence saying how the projection was made, with the numbers used
};

// Linear projection: the spend rate over the recent lookback (clipped to the ledger's age) is
// assumed to continue until the end of each window. Integer arithmetic throughout.
Forecast forecast(const ForecastInput& input, const TimeZone& zone);

}  // namespace switchboard::cost
