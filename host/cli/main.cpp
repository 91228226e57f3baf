#include <iostream>
#include <optional>

#include <CLI/CLI.hpp>

#include "cli/commands.hpp"
#include "cli/exit_codes.hpp"
#include "switchboard/abi.hpp"
#include "switchboard/host_services.hpp"

using namespace switchboard::cli;

namespace {

void add_host_options(CLI::App& command, HostOptions& host, bool config_positional = false) {
    if (config_positional) {
        command.add_option("config", host.config, "Config file (TOML)")->required()->check(CLI::ExistingFile);
    } else {
        command.add_option("-c,--config", host.config, "Config file (TOML)")->required()->check(CLI::ExistingFile);
    }
    command.add_option("--log-level", host.log_level, "Override host.log_level")
        ->check([](const std::string& level) {
            return switchboard::log_level_from_string(level)
                       ? std::string()
                       : "use trace, debug, info, warn, error or critical";
        });
}

void add_route_options(CLI::App& command, std::string& service, std::optional<switchboard::config::Mode>& mode) {
    command.add_option("-s,--service", service, "Service to call (default: the first with this capability)");
    command.add_option("-m,--mode", mode, "Route this call in mode mock, real or hybrid")
        ->transform(
            [](std::string text) {
                auto parsed = switchboard::config::mode_from_string(text);
                if (!parsed) throw CLI::ValidationError("use mock, real or hybrid");
                return std::to_string(static_cast<int>(*parsed));  // CLI11 reads enums as numbers
            },
            "MODE", "mode");
}

std::string join_words(const std::vector<std::string>& words) {
    std::string out;
    for (const auto& word : words) out += (out.empty() ? "" : ", ") + word;
    return out;
}

}  // namespace

int main(int argc, char** argv) {
    CLI::App app{"Switchboard: one host for AI-service backends, routed by mode with fallback"};
    app.set_version_flag("-V,--version", "switchboard " + std::string(SWITCHBOARD_SDK_VERSION) +
                                             " (plugin ABI " + std::to_string(SWITCHBOARD_ABI_MAJOR) + "." +
                                             std::to_string(SWITCHBOARD_ABI_MINOR) + ")");
    app.require_subcommand(1);
    app.footer(
        "Exit codes: 0 ok, 1 host failure, 2 usage or config error, 3 a backend is unhealthy (status),\n"
        "10 unavailable, 11 timeout, 12 rate_limited, 13 quota, 14 auth, 15 bad_request,\n"
        "16 upstream_error, 17 internal, 18 budget_exceeded.");

    HostOptions plugins_options;
    auto* plugins = app.add_subcommand("plugins", "List every plugin in the configured plugin folders");
    add_host_options(*plugins, plugins_options);

    HostOptions check_options;
    auto* check = app.add_subcommand("check-config", "Validate a config and print every problem");
    add_host_options(*check, check_options, true);

    EmbedOptions embed_options;
    auto* embed = app.add_subcommand("embed", "Embed texts through the router; prints OpenAI-shaped JSON");
    add_host_options(*embed, embed_options.host);
    add_route_options(*embed, embed_options.service, embed_options.mode);
    embed->add_option("--model", embed_options.model, "Embedding model (default: the backend's)");
    embed->add_option("--dimensions", embed_options.dimensions, "Output dimensions")->check(CLI::Range(1, 65536));
    embed->add_option("text", embed_options.texts, "Texts to embed")->required();

    ParseOptions parse_options;
    auto* parse = app.add_subcommand("parse", "Parse a document through the router; prints markdown");
    add_host_options(*parse, parse_options.host);
    add_route_options(*parse, parse_options.service, parse_options.mode);
    parse->add_flag("--json", parse_options.json, "Print the full result as JSON");
    parse->add_option("--mime-type", parse_options.mime_type, "MIME type (default: from the file name)");
    parse->add_option("--parse-mode", parse_options.parse_mode, "Backend parse mode");
    parse->add_option("--language", parse_options.language, "Document language hint");
    parse->add_option("--target-pages", parse_options.target_pages, "Pages to parse, 0-based: \"0,2-4\"");
    parse->add_option("path", parse_options.file, "Document to parse")->required()->check(CLI::ExistingFile);

    HostOptions status_options;
    auto* status = app.add_subcommand("status", "Probe every backend once and print its health");
    add_host_options(*status, status_options);

    HostOptions demo_options;
    auto* demo = app.add_subcommand("demo", "List plugins, then make one embed and one parse call");
    add_host_options(*demo, demo_options);

    ServeOptions serve_options;
    auto* serve = app.add_subcommand(
        "serve", "Serve the OpenAI- and LlamaParse-compatible HTTP APIs until SIGINT or SIGTERM");
    add_host_options(*serve, serve_options.host);
    serve->add_option("--listen", serve_options.listen, "HOST:PORT to listen on (port 0: a free one, printed)");
    serve->add_option("--threads", serve_options.threads, "event-loop threads (default: one per core)")
        ->check(CLI::Range(1u, 256u));

    CostsOptions costs_options;
    auto* costs = app.add_subcommand("costs", "Spend from the ledger: summary, forecast, export");
    costs->require_subcommand(1);
    auto add_costs_options = [&](CLI::App& command, std::string default_format, std::vector<std::string> formats,
                                 bool time_range = true) {
        command.add_option("-c,--config", costs_options.config, "Config file (TOML)")->required()->check(CLI::ExistingFile);
        if (time_range) {
            command.add_option("--since", costs_options.since,
                               "From: 2026-11-29, 2026-11-29T08:00, ...Z / +01:00, or back from now: 24h, 7d");
            command.add_option("--until", costs_options.until, "Until (exclusive), same forms as --since");
        }
        command.add_option("-s,--service", costs_options.service, "Only this service");
        // The subcommands share costs_options, so each default is applied after parsing.
        command.add_option("--format", costs_options.format, "Output: " + join_words(formats) + " (default " +
                                                                 default_format + ")")
            ->check(CLI::IsMember(formats));
    };
    auto* costs_summary = costs->add_subcommand("summary", "Totals by window and group, real and shadow");
    add_costs_options(*costs_summary, "table", {"table", "json", "csv"});
    costs_summary->add_option("--by", costs_options.by, "Window: hour, day or month")
        ->check(CLI::IsMember({"hour", "day", "month"}))
        ->default_val("day");
    costs_summary->add_option("--group", costs_options.group, "Group by: service, backend, model or client")
        ->check(CLI::IsMember({"service", "backend", "model", "client"}))
        ->default_val("service");
    auto* costs_forecast = costs->add_subcommand("forecast", "Projected spend at the end of the day and month");
    add_costs_options(*costs_forecast, "table", {"table", "json", "csv"}, false);  // always from now
    auto* costs_export = costs->add_subcommand("export", "Every ledger row, streamed");
    add_costs_options(*costs_export, "csv", {"json", "csv"});

    try {
        app.parse(argc, argv);
    } catch (const CLI::ParseError& e) {
        int code = app.exit(e);
        return code == 0 ? exit_ok : exit_usage;
    }

    try {
        if (*plugins) return plugins_command(plugins_options, std::cout, std::cerr);
        if (*check) return check_config_command(check_options, std::cout, std::cerr);
        if (*embed) return embed_command(embed_options, std::cout, std::cerr);
        if (*parse) return parse_command(parse_options, std::cout, std::cerr);
        if (*status) return status_command(status_options, std::cout, std::cerr);
        if (*demo) return demo_command(demo_options, std::cout, std::cerr);
        if (*serve) return serve_command(serve_options, std::cout, std::cerr);
        if (*costs_export && costs_options.format.empty()) costs_options.format = "csv";
        if (costs_options.format.empty()) costs_options.format = "table";
        if (*costs_summary) return costs_summary_command(costs_options, std::cout, std::cerr);
        if (*costs_forecast) return costs_forecast_command(costs_options, std::cout, std::cerr);
        if (*costs_export) return costs_export_command(costs_options, std::cout, std::cerr);
    } catch (const std::exception& e) {
        std::cerr << "error: " << e.what() << '\n';
        return exit_failure;
    }
    return exit_usage;
}
