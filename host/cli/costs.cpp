// `switchboard costs summary|forecast|export`: what the ledger says was spent, and where it is going.
#include <filesystem>
#include <memory>
#include <optional>

#include "cli/commands.hpp"
#include "cli/exit_codes.hpp"
#include "cost/reports.hpp"
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
    // CLI11 checked the choices.
    auto report = cost::summary_report(context->reader.get(), context->query, context->zone,
                                       *cost::window_from_string(options.by), *cost::group_by_from_string(options.group));
    cost::write_report(report, context->zone, *cost::report_format_from_string(options.format), out);
    return written(out, err);
}

int costs_forecast_command(const CostsOptions& options, std::ostream& out, std::ostream& err) {
    int code = exit_ok;
    auto context = open_ledger(options, err, code);
    if (!context) return code;
    auto report = cost::forecast_report(context->config, context->reader.get(), context->zone, context->now,
                                        context->query.service);
    cost::write_report(report, context->zone, *cost::report_format_from_string(options.format), out);
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
