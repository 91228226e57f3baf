#pragma once

#include <chrono>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "cost/money.hpp"
#include "switchboard/host_services.hpp"
#include "switchboard/secret.hpp"
#include "switchboard/service_interface.hpp"
#include "switchboard/settings.hpp"

namespace switchboard::config {

// How a service routes: the mock only, the real backends only, or real first then the mock.
enum class Mode { mock, real, hybrid };

std::string_view to_string(Mode mode) noexcept;
std::optional<Mode> mode_from_string(std::string_view text) noexcept;

// How the host writes log lines: plain text or one JSON object per line.
enum class LogFormat { text, json };

std::string_view to_string(LogFormat format) noexcept;
std::optional<LogFormat> log_format_from_string(std::string_view text) noexcept;

// Where a value came from, for error messages: "config/switchboard.toml:12:5".
struct Position {
    std::string file;
    int line = 0;
    int column = 0;
    std::string to_string() const;  // "file:line:column", or "file" when line is 0
};

struct HostSettings {
    Mode default_mode = Mode::mock;
    std::vector<std::filesystem::path> plugin_dirs;  // absolute, resolved against the config dir
    LogFormat log_format = LogFormat::text;
    LogLevel log_level = LogLevel::info;
};

// Spend caps in USD over calendar windows (in cost.timezone); an unset cap does not limit.
struct Caps {
    std::optional<cost::Money> hourly;
    std::optional<cost::Money> daily;
    std::optional<cost::Money> monthly;

    bool any() const noexcept { return hourly || daily || monthly; }
};

// [server.clients.NAME]: one client allowed to call the service. Only the SHA-256 of its key is
// kept (`printf %s "$KEY" | sha256sum`).
struct ClientSettings {
    static constexpr std::string_view local = "local";  // who calls when no clients are configured
    // The caller's name for the ledger, metrics and audit: the client's, or `local` for none.
    static std::string_view name_of(const ClientSettings* client) noexcept {
        return client != nullptr ? std::string_view(client->name) : local;
    }

    std::string name;
    std::string key_sha256;             // 64 lowercase hex characters
    std::vector<std::string> services;  // the services it may call; empty: all
    Caps caps;                          // [server.clients.NAME.caps]: its own spend limits
};

// [server]: the HTTP service `switchboard serve` runs.
struct ServerSettings {
    std::string address = "127.0.0.1";
    std::uint16_t port = 8080;                   // 0: a free port, printed at start
    std::map<std::string, std::string> models;   // [server.models]: request model -> service
    std::map<std::string, ClientSettings> clients;  // none: no authentication, loopback only
    std::string admin_key_sha256;                // the admin key's SHA-256; empty: no admin routes
    std::chrono::milliseconds job_ttl{3'600'000};  // how long a finished parse job's result is kept
    std::string parse_service;                   // the LlamaParse routes' service; empty: the first parse service
    Position parse_service_where;                // the parse_service key, for messages
};

// "HOST:PORT" (IPv6 as "[::1]:8080") into address and port; nullopt with `why` set if malformed.
std::optional<std::pair<std::string, std::uint16_t>> parse_listen(std::string_view text, std::string& why);

struct HealthSettings {
    std::chrono::milliseconds probe_interval{30'000};
    std::chrono::milliseconds probe_timeout{5'000};
    int failure_threshold = 3;                        // consecutive availability failures
    std::chrono::milliseconds cooldown{30'000};       // how long an open circuit stays open
};

// [backends.NAME.http]: how the host's HTTP client talks to this backend's upstream, retries
// included. Defaults follow the official OpenAI client.
struct HttpSettings {
    std::chrono::milliseconds connect_timeout{5'000};
    std::chrono::milliseconds timeout{60'000};              // one attempt, connect to last byte
    std::size_t max_response_bytes = 64 * 1024 * 1024;
    int max_attempts = 3;                                    // 1 = no retries
    std::chrono::milliseconds backoff_initial{500};          // first wait; doubles per retry
    std::chrono::milliseconds backoff_max{8'000};
    std::chrono::milliseconds retry_after_max{60'000};       // a longer Retry-After: give up
    std::chrono::milliseconds deadline{120'000};             // all attempts and waits together
};

// [backends.NAME.limits]: local rate limits, enforced before a call leaves the host.
struct RateLimits {
    std::optional<std::int64_t> requests_per_minute;  // rpm
    std::optional<std::int64_t> tokens_per_minute;    // tpm, estimated input tokens

    bool any() const noexcept { return requests_per_minute || tokens_per_minute; }
};

// What a backend's calls cost. Embeddings are priced per million input tokens by model;
// LlamaParse by credits (credits per page by tier, USD per thousand credits; cache hits are free
// because the upstream reports no credits for them).
struct PriceList {
    bool free = false;                                          // explicitly costs nothing
    std::map<std::string, cost::Money> usd_per_million_tokens;  // by model
    std::string default_model;                                  // when neither request nor settings name one
    std::optional<cost::Money> usd_per_thousand_credits;
    std::map<std::string, std::int64_t> credits_per_page;       // by tier or parse mode
    std::string default_tier;                                   // when neither request nor settings name one
    std::string source;  // where it was defined, for messages: "config/pricing.toml [llamaparse]"

    bool priced() const noexcept {
        return free || !usd_per_million_tokens.empty() || usd_per_thousand_credits.has_value();
    }

    // What a call is priced as: the model (or tier) the request asks for, else the backend's
    // setting (model_setting / tier_setting), else the list's default. The config checks and the
    // cost gate both go through these, so check-config passes exactly what calls can be priced.
    std::string model_for(std::string_view requested, std::string_view setting) const {
        return std::string(!requested.empty() ? requested : !setting.empty() ? setting : default_model);
    }
    std::string tier_for(std::string_view requested, std::string_view setting) const {
        return std::string(!requested.empty() ? requested : !setting.empty() ? setting : default_tier);
    }
};

// The backend's `model` setting; "" when unset.
inline std::string model_setting(const Settings& settings) {
    auto value = settings.get<std::string>("model", "");
    return value.ok() ? value.value() : "";
}

// The backend's `tier` setting (LlamaParse v2), else `parse_mode` (v1); for a v1 backend
// (`api = "v1"`) without one, the v1 upstream's own default, parse_page_with_llm; else "".
inline std::string tier_setting(const Settings& settings) {
    auto tier = settings.get<std::string>("tier", "");
    if (tier.ok() && !tier.value().empty()) return tier.value();
    auto mode = settings.get<std::string>("parse_mode", "");
    if (mode.ok() && !mode.value().empty()) return mode.value();
    auto api = settings.get<std::string>("api", "");
    return api.ok() && api.value() == "v1" ? "parse_page_with_llm" : "";
}

// What to do with paid calls while the spend ledger cannot be written.
enum class LedgerFailure { closed, open };

// When a paid call is answered. full: once its ledger row is committed with an fsync (nothing
// answered is ever lost). normal: at once; the row is committed moments later without an fsync
// per commit, so a crash of the host loses the rows not committed yet and a power cut can lose
// the commits since the last checkpoint.
enum class LedgerSync { full, normal };

// [cost]: pricing, caps, ledger and alerts.
struct CostSettings {
    std::filesystem::path ledger;  // absolute; default var/ledger.sqlite beside the config file
    LedgerFailure on_ledger_failure = LedgerFailure::closed;
    LedgerSync ledger_sync = LedgerSync::full;
    std::chrono::milliseconds retention{400LL * 86'400'000};  // older rows are deleted
    std::string timezone = "UTC";                                // caps' calendar windows
    std::vector<int> alert_percents{50, 80, 95};                 // of each cap, ascending
    std::chrono::milliseconds forecast_lookback{3 * 3'600'000};  // the "recent rate" of forecasts
    Caps caps;                                                   // [cost.caps]: everything together
    std::filesystem::path pricing_file;                          // absolute; empty: none
    std::map<std::string, PriceList> plugin_prices;              // from pricing_file, by plugin name
};

// [backends.NAME]: one configured instance of a plugin.
struct BackendSettings {
    std::string name;
    std::string plugin;      // the plugin's name as it reports it in info()
    Settings settings;       // [backends.NAME.settings], flattened
    Secret api_key;          // api_key, after interpolation; never printed unredacted
    HttpSettings http;       // [backends.NAME.http]
    Caps caps;               // [backends.NAME.caps]
    RateLimits limits;       // [backends.NAME.limits]
    // Its plugin's prices from the pricing file with [backends.NAME.pricing] laid over them.
    // priced() is false for a backend nobody priced: an error if a service lists it as real.
    PriceList price;
    Position where;          // the [backends.NAME] table
    Position plugin_where;   // the plugin key; `where` when absent
    Position api_key_where;  // the api_key key; `where` when absent
};

// [services.NAME]: what clients call.
struct ServiceSettings {
    std::string name;
    std::string capability;            // "embeddings", "parse", or a JSON operation name
    std::optional<Mode> mode;          // unset: host.default_mode
    std::vector<std::string> real;     // real backends, in the order to try them
    std::string mock;                  // the mock backend; empty if none
    std::chrono::milliseconds fallback_timeout{30'000};
    Caps caps;                  // [services.NAME.caps]
    Position where;             // the [services.NAME] table
    Position capability_where;  // the capability key; `where` when absent
};

struct Config {
    std::filesystem::path file;  // the config file, absolute
    std::string environment;     // SWITCHBOARD_ENV, default "development"
    HostSettings host;
    HealthSettings health;
    CostSettings cost;
    ServerSettings server;
    std::map<std::string, std::string> plugin_pins;  // plugin file stem -> sha256 hex
    std::map<std::string, BackendSettings> backends;
    std::map<std::string, ServiceSettings> services;
    // Variables read from .env.{environment}, beside the config file; the process environment
    // wins over them. May hold secrets: never print.
    std::map<std::string, std::string> dotenv;

    Mode mode_of(const ServiceSettings& service) const { return service.mode.value_or(host.default_mode); }
};

enum class Severity { error, warning };

std::string_view to_string(Severity severity) noexcept;

// One thing wrong with a config: where, which key, what is wrong and what to do about it.
struct Problem {
    Severity severity = Severity::error;
    Position where;        // a file position, or "environment variable NAME" for an override
    std::string key_path;  // "services.embeddings.mode"; empty when the problem is not about a key
    std::string message;   // never contains a secret

    std::string to_string() const;  // "FILE:LINE:COL: error: KEY.PATH: MESSAGE"
};

bool has_errors(const std::vector<Problem>& problems) noexcept;

// The environment variables the loader may read, injected so tests never touch the real ones.
struct Environment {
    std::map<std::string, std::string> variables;

    static Environment from_process();  // a copy of environ
};

struct LoadResult {
    std::optional<Config> config;   // present whenever the file could be parsed; use it only if ok()
    std::vector<Problem> problems;  // every error and warning found, ordered by position

    bool ok() const noexcept { return config.has_value() && !has_errors(problems); }
};

// Reads, interpolates, overrides and validates a config file (see docs/config-reference.md).
// Never throws for anything wrong with the file or the environment: that is a Problem.
LoadResult load(const std::filesystem::path& file, const Environment& env);

// Fills in what each backend's plugin says may come from the environment when the config does
// not set it (PluginInfo::api_key_env, settings_from_env): the process environment first, then
// .env.{environment}. Run after the plugin folders were scanned, before check_against_plugins.
void apply_plugin_environment(Config& config, const std::vector<PluginInfo>& plugins, const Environment& env);

// Checks that need to know which plugins exist (run after the plugin folders were scanned):
// backends naming unknown plugins, capabilities nobody offers, missing or malformed API keys.
// `plugins` are the loaded plugins' info().
std::vector<Problem> check_against_plugins(const Config& config, const std::vector<PluginInfo>& plugins);

}  // namespace switchboard::config
