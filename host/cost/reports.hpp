#pragma once

#include <optional>
#include <ostream>
#include <string>
#include <string_view>
#include <vector>

#include "config/config.hpp"
#include "cost/forecast.hpp"
#include "cost/summary.hpp"
#include "cost/time_zone.hpp"
#include "ledger/ledger.hpp"

namespace switchboard::cost {

// What the ledger says was spent and where it is going, as `switchboard costs` prints it and the
// HTTP admin API serves it. A null `reader` stands for a ledger that does not exist yet.

enum class ReportFormat { table, json, csv };

std::optional<ReportFormat> report_format_from_string(std::string_view text) noexcept;

struct SummaryReport {
    std::string timezone;
    Window by = Window::day;
    GroupBy group = GroupBy::service;
    std::optional<WallTime> since;
    std::optional<WallTime> until;
    std::vector<SummaryLine> lines;  // by window, then key
    SummaryLine total;               // every line added up; window "total"
};

SummaryReport summary_report(const ledger::Reader* reader, const ledger::Query& query, const TimeZone& zone,
                             Window by, GroupBy group);

// JSON: one object with the lines and the total; CSV (RFC 4180): one line per summary line; table:
// aligned columns with a total line.
void write_report(const SummaryReport& report, const TimeZone& zone, ReportFormat format, std::ostream& out);

struct ForecastReport {
    std::optional<std::string> service;  // only this service's spend and caps; nullopt: everything
    Money spent_today;
    Money spent_this_month;
    Forecast forecast;
};

// From the ledger's real spend; the caps are rebuilt from it exactly as a restarting host
// rebuilds them.
ForecastReport forecast_report(const config::Config& config, const ledger::Reader* reader, const TimeZone& zone,
                               WallTime now, const std::optional<std::string>& service);

void write_report(const ForecastReport& report, const TimeZone& zone, ReportFormat format, std::ostream& out);

}  // namespace switchboard::cost
