#pragma once

#include <filesystem>
#include <optional>
#include <ostream>
#include <string>
#include <vector>

#include "config/config.hpp"

namespace switchboard::cli {

// What every command that runs the host needs.
struct HostOptions {
    std::filesystem::path config;
    std::string log_level;  // empty: the config's host.log_level
};

struct EmbedOptions {
    HostOptions host;
    std::string service;     // empty: the first service with capability "embeddings"
    std::optional<config::Mode> mode;  // unset: the service's configured mode
    std::string model;
    std::optional<int> dimensions;
    std::vector<std::string> texts;
};

struct ParseOptions {
    HostOptions host;
    std::string service;     // empty: the first service with capability "parse"
    std::optional<config::Mode> mode;
    std::filesystem::path file;
    std::string mime_type;   // empty: guessed from the file name
    std::string parse_mode;
    std::string language;
    std::string target_pages;
    bool json = false;
};

// `switchboard costs summary|forecast|export`: read the ledger named by the config, never the plugins.
struct CostsOptions {
    std::filesystem::path config;
    std::string since;    // empty: from the first row
    std::string until;    // empty: up to now (and rows written meanwhile)
    std::string service;  // empty: every service
    std::string format;   // table, json or csv (export: json or csv)
    std::string by = "day";         // summary window: hour, day, month
    std::string group = "service";  // summary group: service, backend, model, client
};

struct ServeOptions {
    HostOptions host;
    std::string listen;    // "HOST:PORT"; empty: [server] listen
    unsigned threads = 0;  // event-loop threads; 0: one per core
};

// Each command writes its result to `out` and diagnostics to `err`, and returns an exit code
// from exit_codes.hpp.
int plugins_command(const HostOptions& options, std::ostream& out, std::ostream& err);
int check_config_command(const HostOptions& options, std::ostream& out, std::ostream& err);
int embed_command(const EmbedOptions& options, std::ostream& out, std::ostream& err);
int parse_command(const ParseOptions& options, std::ostream& out, std::ostream& err);
int status_command(const HostOptions& options, std::ostream& out, std::ostream& err);
int demo_command(const HostOptions& options, std::ostream& out, std::ostream& err);
int serve_command(const ServeOptions& options, std::ostream& out, std::ostream& err);
int costs_summary_command(const CostsOptions& options, std::ostream& out, std::ostream& err);
int costs_forecast_command(const CostsOptions& options, std::ostream& out, std::ostream& err);
int costs_export_command(const CostsOptions& options, std::ostream& out, std::ostream& err);

}  // namespace switchboard::cli
