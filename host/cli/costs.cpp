// `switchboard costs summary|forecast|export`: what the ledger says was spent, and where it is going.
#include <algorithm>
#include <cctype>
#include <filesystem>
#include <memory>
#include <optional>

#include "cli/commands.hpp"
#include "cli/exit_codes.hpp"
#include "cli/table.hpp"
#include "cost/budget.hpp"
#include "cost/forecast.hpp"
#include "cost/summary.hpp"
#include "ledger/export.hpp"
#include "ledger/ledger.hpp"

namespace switchboard::cli {
namespace {

struct CostsContext {
    config::Config config;
    cost::TimeZone zone = cost::TimeZone::utc();
    cost::WallTime now;
    ledger::Query query;
    std::unique_ptr<ledger::Reader> reader;  // null when no ledger file exists yet
};

// Loads the config and opens its ledger; on failure prints why and sets `code`.
std::optional<CostsContext> open_ledger(const CostsOptions& options, std::ostream& err, int& code) {
    auto loaded = config::load(options.config, config::Environment::from_process());
    for (const auto& problem : loaded.problems) {
        if (problem.severity == config::Severity::error) err << problem.to_string() << '\n';
    }
    if (!loaded.ok()) {
        err << "error: the configuration has errors; run `switchboard check-config` for the full report\n";
        code = exit_usage;
        return std::nullopt;
    }
    CostsContext context;
    context.config = std::move(*loaded.config);
    context.zone = cost::TimeZone::load(context.config.cost.timezone);
    context.now = std::chrono::system_clock::now();
    try {
        if (!options.since.empty()) context.query.since = cost::parse_time(options.since, context.zone, context.now);
        if (!options.until.empty()) context.query.until = cost::parse_time(options.until, context.zone, context.now);
    } catch (const std::invalid_argument& e) {
        err << "error: " << e.what() << '\n';
        code = exit_usage;
        return std::nullopt;
    }
    if (context.query.since && context.query.until && *context.query.since >= *context.query.until) {
        err << "error: --since (" << context.zone.format(*context.query.since) << ") is not before --until ("
            << context.zone.format(*context.query.until) << ")\n";
        code = exit_usage;
        return std::nullopt;
    }
    if (!options.service.empty()) context.query.service = options.service;

    const auto& path = context.config.cost.ledger;
    std::error_code exists_error;
    if (!std::filesystem::exists(path, exists_error)) {
        err << "no ledger at " << path.string() << " yet: the host creates it on its first call\n";
        return context;
    }
    try {
        context.reader = std::make_unique<ledger::Reader>(path);
    } catch (const ledger::LedgerError& e) {
        err << "error: " << e.what() << '\n';
        code = exit_failure;
        return std::nullopt;
    }
    return context;
}

std::string optional_time(const cost::TimeZone& zone, const std::optional<cost::WallTime>& time) {
    return time ? zone.format(*time) : "";
}

std::string json_time(const cost::TimeZone& zone, const std::optional<cost::WallTime>& time) {
    return time ? ledger::json_string(zone.format(*time)) : "null";
}

// Renders a summary line's numbers in the column order the formats share.
std::vector<std::string> line_numbers(const cost::SummaryLine& line) {
    return {std::to_string(line.calls),        std::to_string(line.errors), std::to_string(line.fallbacks),
            std::to_string(line.input_tokens), std::to_string(line.pages),  ledger::thousandths(line.credits_milli),
            cost::to_decimal(line.cost),       cost::to_decimal(line.shadow_cost)};
}

const std::vector<std::string> number_columns{"calls",   "errors",   "fallbacks", "input_tokens",
                                              "pages",   "credits",  "cost_usd",  "shadow_cost_usd"};

void add_to(cost::SummaryLine& total, const cost::SummaryLine& line) {
    total.calls += line.calls;
    total.errors += line.errors;
    total.fallbacks += line.fallbacks;
    total.input_tokens += line.input_tokens;
    total.pages += line.pages;
    total.credits_milli += line.credits_milli;
    total.cost += line.cost;
    total.shadow_cost += line.shadow_cost;
}

// Whether everything written to `out` got out; says so on `err` when it did not.
int written(std::ostream& out, std::ostream& err) {
    if (out.flush()) return exit_ok;
    err << "error: the output could not be written to its end (disk full or closed pipe?)\n";
    return exit_failure;
}

}  // namespace

int costs_summary_command(const CostsOptions& options, std::ostream& out, std::ostream& err) {
    int code = exit_ok;
    auto context = open_ledger(options, err, code);
    if (!context) return code;
    const auto window = *cost::window_from_string(options.by);   // CLI11 checked both
    const auto group = *cost::group_by_from_string(options.group);
    cost::Summarizer summarizer(context->zone, window, group);
    if (context->reader) context->reader->for_each(context->query, [&](const ledger::Row& row) { summarizer.add(row); });
    const auto lines = summarizer.lines();
    cost::SummaryLine total;
    total.window = "total";
    for (const auto& line : lines) add_to(total, line);

    if (options.format == "csv") {
        out << "window," << options.group;
        for (const auto& column : number_columns) out << ',' << column;
        out << "\r\n";
        for (const auto& line : lines) {
            out << ledger::csv_field(line.window) << ',' << ledger::csv_field(line.key);
            for (const auto& number : line_numbers(line)) out << ',' << number;
            out << "\r\n";
        }
        return written(out, err);
    }
    if (options.format == "json") {
        auto object = [&](const cost::SummaryLine& line, bool keyed) {
            std::string text = "{";
            if (keyed) {
                text += "\"window\":" + ledger::json_string(line.window) + ",\"" + options.group +
                        "\":" + ledger::json_string(line.key) + ",";
            }
            auto numbers = line_numbers(line);
            for (std::size_t i = 0; i < numbers.size(); ++i) {
                text += (i ? ",\"" : "\"") + number_columns[i] + "\":" + numbers[i];
            }
            return text + "}";
        };
        out << "{\"timezone\":" << ledger::json_string(context->zone.name()) << ",\"window\":\"" << options.by
            << "\",\"group\":\"" << options.group << "\",\"since\":" << json_time(context->zone, context->query.since)
            << ",\"until\":" << json_time(context->zone, context->query.until) << ",\"lines\":[";
        for (std::size_t i = 0; i < lines.size(); ++i) out << (i ? ",\n" : "\n") << object(lines[i], true);
        out << "],\"total\":" << object(total, false) << "}\n";
        return written(out, err);
    }
    std::vector<std::vector<std::string>> rows{{"WINDOW", options.group, "CALLS", "ERRORS", "FALLBACKS", "TOKENS",
                                                "PAGES", "CREDITS", "COST USD", "SHADOW USD"}};
    for (auto& c : rows.front()[1]) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    for (const auto& line : lines) {
        std::vector<std::string> row{line.window, line.key};
        for (auto& number : line_numbers(line)) row.push_back(std::move(number));
        rows.push_back(std::move(row));
    }
    std::vector<std::string> footer{"total", ""};
    for (auto& number : line_numbers(total)) footer.push_back(std::move(number));
    rows.push_back(std::move(footer));
    out << "Spend by " << options.by << " and " << options.group << " (" << context->zone.name() << ")\n";
    print_table(out, rows);
    return written(out, err);
}

int costs_forecast_command(const CostsOptions& options, std::ostream& out, std::ostream& err) {
    int code = exit_ok;
    auto context = open_ledger(options, err, code);
    if (!context) return code;
    const auto& zone = context->zone;
    const auto now = context->now;
    const auto day_start = zone.window_start(cost::Window::day, now);
    const auto month_start = zone.window_start(cost::Window::month, now);
    const auto hour_start = zone.window_start(cost::Window::hour, now);
    const auto& service = context->query.service;

    cost::ForecastInput input;
    input.now = now;
    input.lookback = context->config.cost.forecast_lookback;
    // Caps are rebuilt exactly as a restarting host rebuilds them: from the ledger's totals.
    cost::Budget budget(cost::Limits::from(context->config), zone);
    if (context->reader) {
        const auto far = now + std::chrono::hours(24 * 366);
        input.spent_today = context->reader->spend_between(day_start, far, service);
        input.spent_this_month = context->reader->spend_between(month_start, far, service);
        input.recent_spend = context->reader->spend_between(now - input.lookback, far, service);
        input.first_row = context->reader->first_time();
        for (const auto& total : context->reader->spend_since(hour_start, day_start, month_start)) {
            budget.restore(total.service, total.backend, total.hour, total.day, total.month, now);
        }
    }
    input.caps = budget.caps(now);
    if (service) {
        const auto& services = context->config.services;
        auto it = services.find(*service);
        std::erase_if(input.caps, [&](const cost::CapState& cap) {
            if (cap.key.scope == cost::Scope::service) return cap.key.name != *service;
            if (cap.key.scope == cost::Scope::backend) {
                if (it == services.end()) return true;
                const auto& s = it->second;
                return cap.key.name != s.mock && std::find(s.real.begin(), s.real.end(), cap.key.name) == s.real.end();
            }
            return false;
        });
    }
    const cost::Forecast forecast = cost::forecast(input, zone);

    if (options.format == "json") {
        out << "{\"timezone\":" << ledger::json_string(zone.name()) << ",\"now\":" << ledger::json_string(zone.format(now))
            << ",\"service\":" << (service ? ledger::json_string(*service) : "null")
            << ",\"method\":" << ledger::json_string(forecast.method)
            << ",\"rate_usd_per_hour\":" << cost::to_decimal(forecast.rate_per_hour)
            << ",\"rate_span_seconds\":" << forecast.rate_span.count() / 1000
            << ",\"spent_today_usd\":" << cost::to_decimal(input.spent_today)
            << ",\"projected_day_end_usd\":" << cost::to_decimal(forecast.projected_day_end)
            << ",\"day_end\":" << ledger::json_string(zone.format(forecast.day_end))
            << ",\"spent_this_month_usd\":" << cost::to_decimal(input.spent_this_month)
            << ",\"projected_month_end_usd\":" << cost::to_decimal(forecast.projected_month_end)
            << ",\"month_end\":" << ledger::json_string(zone.format(forecast.month_end)) << ",\"caps\":[";
        for (std::size_t i = 0; i < forecast.caps.size(); ++i) {
            const auto& cap = forecast.caps[i];
            out << (i ? ",\n" : "\n") << "{\"cap\":" << ledger::json_string(cost::id_of(cap.key))
                << ",\"spent_usd\":" << cost::to_decimal(cap.spent) << ",\"limit_usd\":" << cost::to_decimal(cap.limit)
                << ",\"projected_usd\":" << cost::to_decimal(cap.projected)
                << ",\"reached_at\":" << json_time(zone, cap.reached_at)
                << ",\"resets_at\":" << ledger::json_string(zone.format(cap.resets_at)) << "}";
        }
        out << "]}\n";
        return written(out, err);
    }
    if (options.format == "csv") {
        out << "cap,spent_usd,limit_usd,projected_usd,reached_at,resets_at\r\n";
        out << "day,"  << cost::to_decimal(input.spent_today) << ",," << cost::to_decimal(forecast.projected_day_end)
            << ",," << zone.format(forecast.day_end) << "\r\n";
        out << "month," << cost::to_decimal(input.spent_this_month) << ",," << cost::to_decimal(forecast.projected_month_end)
            << ",," << zone.format(forecast.month_end) << "\r\n";
        for (const auto& cap : forecast.caps) {
            out << ledger::csv_field(cost::id_of(cap.key)) << ',' << cost::to_decimal(cap.spent) << ','
                << cost::to_decimal(cap.limit) << ',' << cost::to_decimal(cap.projected) << ','
                << optional_time(zone, cap.reached_at) << ',' << zone.format(cap.resets_at) << "\r\n";
        }
        return written(out, err);
    }
    out << "Forecast at " << zone.format(now) << (service ? " for service '" + *service + "'" : "") << '\n'
        << forecast.method << "\n\n";
    print_table(out, {{"", "SPENT", "PROJECTED", "AT"},
                      {"today", cost::format_usd(input.spent_today), cost::format_usd(forecast.projected_day_end),
                       zone.format(forecast.day_end)},
                      {"this month", cost::format_usd(input.spent_this_month),
                       cost::format_usd(forecast.projected_month_end), zone.format(forecast.month_end)}});
    if (!forecast.caps.empty()) {
        std::vector<std::vector<std::string>> rows{{"CAP", "SPENT", "LIMIT", "PROJECTED", "REACHED AT", "RESETS AT"}};
        for (const auto& cap : forecast.caps) {
            rows.push_back({cost::id_of(cap.key), cost::format_usd(cap.spent), cost::format_usd(cap.limit),
                            cost::format_usd(cap.projected),
                            cap.reached_at ? zone.format(*cap.reached_at) : "not before it resets",
                            zone.format(cap.resets_at)});
        }
        out << '\n';
        print_table(out, rows);
    }
    return written(out, err);
}

int costs_export_command(const CostsOptions& options, std::ostream& out, std::ostream& err) {
    int code = exit_ok;
    auto context = open_ledger(options, err, code);
    if (!context) return code;
    const auto format = options.format == "json" ? ledger::Format::json : ledger::Format::csv;
    std::int64_t rows = 0;
    try {
        rows = ledger::export_rows(context->reader.get(), context->query, format, out);
    } catch (const std::runtime_error& e) {
        err << "error: " << e.what() << '\n';
        return exit_failure;
    }
    err << "exported " << rows << " row(s) from " << context->config.cost.ledger.string() << '\n';
    return exit_ok;
}

}  // namespace switchboard::cli
