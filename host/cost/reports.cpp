#include "cost/reports.hpp"

#include <algorithm>
#include <cctype>

#include "ledger/export.hpp"
#include "wire/text_table.hpp"

namespace switchboard::cost {
namespace {

std::string json_time(const TimeZone& zone, const std::optional<WallTime>& time) {
    return time ? ledger::json_string(zone.format(*time)) : "null";
}

const std::vector<std::string> number_columns{"calls", "errors",  "fallbacks", "input_tokens",
                                              "pages", "credits", "cost_usd",  "shadow_cost_usd"};

// A summary line's numbers, in number_columns' order, as every format writes them.
std::vector<std::string> line_numbers(const SummaryLine& line) {
    return {std::to_string(line.calls),        std::to_string(line.errors), std::to_string(line.fallbacks),
            std::to_string(line.input_tokens), std::to_string(line.pages),  ledger::thousandths(line.credits_milli),
            to_decimal(line.cost),             to_decimal(line.shadow_cost)};
}

void add_to(SummaryLine& total, const SummaryLine& line) {
    total.calls += line.calls;
    total.errors += line.errors;
    total.fallbacks += line.fallbacks;
    total.input_tokens += line.input_tokens;
    total.pages += line.pages;
    total.credits_milli += line.credits_milli;
    total.cost += line.cost;
    total.shadow_cost += line.shadow_cost;
}

std::string upper(std::string_view text) {
    std::string out;
    for (char c : text) out += static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    return out;
}

}  // namespace

std::optional<ReportFormat> report_format_from_string(std::string_view text) noexcept {
    if (text == "table") return ReportFormat::table;
    if (text == "json") return ReportFormat::json;
    if (text == "csv") return ReportFormat::csv;
    return std::nullopt;
}

SummaryReport summary_report(const ledger::Reader* reader, const ledger::Query& query, const TimeZone& zone,
                             Window by, GroupBy group) {
    SummaryReport report;
    report.timezone = zone.name();
    report.by = by;
    report.group = group;
    report.since = query.since;
    report.until = query.until;
    Summarizer summarizer(zone, by, group);
    if (reader != nullptr) reader->for_each(query, [&](const ledger::Row& row) { summarizer.add(row); });
    report.lines = summarizer.lines();
    report.total.window = "total";
    for (const auto& line : report.lines) add_to(report.total, line);
    return report;
}

void write_report(const SummaryReport& report, const TimeZone& zone, ReportFormat format, std::ostream& out) {
    const std::string group(to_string(report.group));
    switch (format) {
        case ReportFormat::csv:
            out << "window," << group;
            for (const auto& column : number_columns) out << ',' << column;
            out << "\r\n";
            for (const auto& line : report.lines) {
                out << ledger::csv_field(line.window) << ',' << ledger::csv_field(line.key);
                for (const auto& number : line_numbers(line)) out << ',' << number;
                out << "\r\n";
            }
            return;
        case ReportFormat::json: {
            auto object = [&](const SummaryLine& line, bool keyed) {
                std::string text = "{";
                if (keyed) {
                    text += "\"window\":" + ledger::json_string(line.window) + ",\"" + group +
                            "\":" + ledger::json_string(line.key) + ",";
                }
                auto numbers = line_numbers(line);
                for (std::size_t i = 0; i < numbers.size(); ++i) {
                    text += (i ? ",\"" : "\"") + number_columns[i] + "\":" + numbers[i];
                }
                return text + "}";
            };
            out << "{\"timezone\":" << ledger::json_string(report.timezone) << ",\"window\":\""
                << to_string(report.by) << "\",\"group\":\"" << group << "\",\"since\":" << json_time(zone, report.since)
                << ",\"until\":" << json_time(zone, report.until) << ",\"lines\":[";
            for (std::size_t i = 0; i < report.lines.size(); ++i) {
                out << (i ? ",\n" : "\n") << object(report.lines[i], true);
            }
            out << "],\"total\":" << object(report.total, false) << "}\n";
            return;
        }
        case ReportFormat::table: {
            std::vector<std::vector<std::string>> rows{{"WINDOW", upper(group), "CALLS", "ERRORS", "FALLBACKS",
                                                        "TOKENS", "PAGES", "CREDITS", "COST USD", "SHADOW USD"}};
            for (const auto& line : report.lines) {
                std::vector<std::string> row{line.window, line.key.empty() ? "(none)" : line.key};
                for (auto& number : line_numbers(line)) row.push_back(std::move(number));
                rows.push_back(std::move(row));
            }
            std::vector<std::string> footer{"total", ""};
            for (auto& number : line_numbers(report.total)) footer.push_back(std::move(number));
            rows.push_back(std::move(footer));
            out << "Spend by " << to_string(report.by) << " and " << group << " (" << report.timezone << ")\n";
            wire::print_table(out, rows);
            return;
        }
    }
}

ForecastReport forecast_report(const config::Config& config, const ledger::Reader* reader, const TimeZone& zone,
                               WallTime now, const std::optional<std::string>& service) {
    const auto hour_start = zone.window_start(Window::hour, now);
    const auto day_start = zone.window_start(Window::day, now);
    const auto month_start = zone.window_start(Window::month, now);

    ForecastInput input;
    input.now = now;
    input.lookback = config.cost.forecast_lookback;
    Budget budget(Limits::from(config), zone);
    if (reader != nullptr) {
        const auto far = now + std::chrono::hours(24 * 366);
        input.spent_today = reader->spend_between(day_start, far, service);
        input.spent_this_month = reader->spend_between(month_start, far, service);
        input.recent_spend = reader->spend_between(now - input.lookback, far, service);
        input.first_row = reader->first_time();
        for (const auto& total : reader->spend_since(hour_start, day_start, month_start)) {
            budget.restore(total.service, total.backend, total.client, total.hour, total.day, total.month, now);
        }
    }
    input.caps = budget.caps(now);
    if (service) {  // the global caps, the service's, and its backends'
        auto it = config.services.find(*service);
        std::erase_if(input.caps, [&](const CapState& cap) {
            if (cap.key.scope == Scope::service) return cap.key.name != *service;
            if (cap.key.scope == Scope::backend) {
                if (it == config.services.end()) return true;
                const auto& s = it->second;
                return cap.key.name != s.mock && std::find(s.real.begin(), s.real.end(), cap.key.name) == s.real.end();
            }
            return false;
        });
    }
    ForecastReport report;
    report.service = service;
    report.spent_today = input.spent_today;
    report.spent_this_month = input.spent_this_month;
    report.forecast = forecast(input, zone);
    return report;
}

void write_report(const ForecastReport& report, const TimeZone& zone, ReportFormat format, std::ostream& out) {
    const Forecast& forecast = report.forecast;
    switch (format) {
        case ReportFormat::json:
            out << "{\"timezone\":" << ledger::json_string(zone.name())
                << ",\"now\":" << ledger::json_string(zone.format(forecast.now))
                << ",\"service\":" << (report.service ? ledger::json_string(*report.service) : "null")
                << ",\"method\":" << ledger::json_string(forecast.method)
                << ",\"rate_usd_per_hour\":" << to_decimal(forecast.rate_per_hour)
                << ",\"rate_span_seconds\":" << forecast.rate_span.count() / 1000
                << ",\"spent_today_usd\":" << to_decimal(report.spent_today)
                << ",\"projected_day_end_usd\":" << to_decimal(forecast.projected_day_end)
                << ",\"day_end\":" << ledger::json_string(zone.format(forecast.day_end))
                << ",\"spent_this_month_usd\":" << to_decimal(report.spent_this_month)
                << ",\"projected_month_end_usd\":" << to_decimal(forecast.projected_month_end)
                << ",\"month_end\":" << ledger::json_string(zone.format(forecast.month_end)) << ",\"caps\":[";
            for (std::size_t i = 0; i < forecast.caps.size(); ++i) {
                const auto& cap = forecast.caps[i];
                out << (i ? ",\n" : "\n") << "{\"cap\":" << ledger::json_string(id_of(cap.key))
                    << ",\"spent_usd\":" << to_decimal(cap.spent) << ",\"limit_usd\":" << to_decimal(cap.limit)
                    << ",\"projected_usd\":" << to_decimal(cap.projected)
                    << ",\"reached_at\":" << json_time(zone, cap.reached_at)
                    << ",\"resets_at\":" << ledger::json_string(zone.format(cap.resets_at)) << "}";
            }
            out << "]}\n";
            return;
        case ReportFormat::csv:
            out << "cap,spent_usd,limit_usd,projected_usd,reached_at,resets_at\r\n";
            out << "day," << to_decimal(report.spent_today) << ",," << to_decimal(forecast.projected_day_end) << ",,"
                << zone.format(forecast.day_end) << "\r\n";
            out << "month," << to_decimal(report.spent_this_month) << ",," << to_decimal(forecast.projected_month_end)
                << ",," << zone.format(forecast.month_end) << "\r\n";
            for (const auto& cap : forecast.caps) {
                out << ledger::csv_field(id_of(cap.key)) << ',' << to_decimal(cap.spent) << ','
                    << to_decimal(cap.limit) << ',' << to_decimal(cap.projected) << ','
                    << (cap.reached_at ? zone.format(*cap.reached_at) : "") << ',' << zone.format(cap.resets_at)
                    << "\r\n";
            }
            return;
        case ReportFormat::table: {
            out << "Forecast at " << zone.format(forecast.now)
                << (report.service ? " for service '" + *report.service + "'" : "") << '\n'
                << forecast.method << "\n\n";
            wire::print_table(out, {{"", "SPENT", "PROJECTED", "AT"},
                                    {"today", format_usd(report.spent_today), format_usd(forecast.projected_day_end),
                                     zone.format(forecast.day_end)},
                                    {"this month", format_usd(report.spent_this_month),
                                     format_usd(forecast.projected_month_end), zone.format(forecast.month_end)}});
            if (forecast.caps.empty()) return;
            std::vector<std::vector<std::string>> rows{
                {"CAP", "SPENT", "LIMIT", "PROJECTED", "REACHED AT", "RESETS AT"}};
            for (const auto& cap : forecast.caps) {
                rows.push_back({id_of(cap.key), format_usd(cap.spent), format_usd(cap.limit), format_usd(cap.projected),
                                cap.reached_at ? zone.format(*cap.reached_at) : "not before it resets",
                                zone.format(cap.resets_at)});
            }
            out << '\n';
            wire::print_table(out, rows);
            return;
        }
    }
}

}  // namespace switchboard::cost
