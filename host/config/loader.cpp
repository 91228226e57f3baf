#include "config/loader.hpp"

#include <algorithm>
#include <cerrno>
#include <climits>
#include <cstring>
#include <fstream>
#include <sstream>

#include "config/duration.hpp"
#include "config/env_file.hpp"
#include "config/interpolation.hpp"
#include "config/default_pricing.hpp"
#include "config/suggest.hpp"
#include "cost/time_zone.hpp"

namespace switchboard::config {
namespace {

const std::vector<std::string> mode_names{"mock", "real", "hybrid"};

// Every level's name, in order, as the SDK spells it.
std::vector<std::string> log_level_names() {
    std::vector<std::string> names;
    for (int level = static_cast<int>(LogLevel::trace); level <= static_cast<int>(LogLevel::critical); ++level) {
        names.emplace_back(to_string(static_cast<LogLevel>(level)));
    }
    return names;
}

const std::vector<std::string> log_formats{std::string(to_string(LogFormat::text)),
                                           std::string(to_string(LogFormat::json))};
const std::vector<std::string> log_levels = log_level_names();

std::string describe(const toml::node& node) {
    switch (node.type()) {
        case toml::node_type::string: return "a string";
        case toml::node_type::integer: return "an integer";
        case toml::node_type::floating_point: return "a float";
        case toml::node_type::boolean: return "a boolean";
        case toml::node_type::date: return "a date";
        case toml::node_type::time: return "a time";
        case toml::node_type::date_time: return "a date-time";
        case toml::node_type::array: return "an array";
        case toml::node_type::table: return "a table";
        case toml::node_type::none: break;
    }
    return "nothing";
}

bool is_sha256_hex(std::string_view text) {
    return text.size() == 64 &&
           std::all_of(text.begin(), text.end(), [](char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'); });
}

bool is_environment_name(std::string_view name) {
    if (name.empty() || name.front() == '.') return false;
    return std::all_of(name.begin(), name.end(), [](char c) {
        return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_' ||
               c == '.';
    });
}

std::filesystem::path absolute_normal(const std::filesystem::path& path) {
    std::error_code error;
    auto absolute = std::filesystem::absolute(path, error);
    auto normal = (error ? path : absolute).lexically_normal();
    if (!normal.has_filename() && normal.has_relative_path()) normal = normal.parent_path();  // "dir/" -> "dir"
    return normal;
}

}  // namespace

LoadResult load(const std::filesystem::path& file, const Environment& env) {
    return Loader(file, env).run();
}

Loader::Loader(std::filesystem::path file, const Environment& env)
    : file_(std::move(file)), label_(file_.string()), env_(env) {
    config_.file = absolute_normal(file_);
    folder_ = config_.file.parent_path();
}

LoadResult Loader::run() {
    select_environment();
    auto root = parse_file();
    if (root) {
        overrides_ = Overrides::apply(*root, env_.variables, problems_);
        read_root(*root);
        apply_prices();
        check_service_backends();
        check_server_models();
    }

    // Problems from .env files and overrides first, then the config file's in file order.
    auto rank = [this](const Problem& p) {
        return p.where.file == label_ ? std::pair{p.where.line, p.where.column} : std::pair{0, 0};
    };
    std::stable_sort(problems_.begin(), problems_.end(),
                     [&](const Problem& a, const Problem& b) { return rank(a) < rank(b); });

    LoadResult result;
    if (root) result.config = std::move(config_);
    result.problems = std::move(problems_);
    return result;
}

void Loader::select_environment() {
    auto selected = env_.variables.find("SWITCHBOARD_ENV");
    bool given = selected != env_.variables.end() && !selected->second.empty();
    config_.environment = given ? selected->second : "development";
    if (!is_environment_name(config_.environment)) {
        missing_variable_hint_ = "set it in the environment";
        error(Position{"environment variable SWITCHBOARD_ENV"}, "",
              "invalid environment name '" + config_.environment +
                  "'; use letters, digits, '-', '_' and '.', not starting with '.'");
        return;
    }
    std::string dotenv_name = ".env." + config_.environment;
    missing_variable_hint_ = "set it or add it to " + dotenv_name;
    EnvFile dotenv = EnvFile::read(file_.parent_path() / dotenv_name);
    dotenv_ = std::move(dotenv.variables);
    config_.dotenv = dotenv_;
    for (auto& problem : dotenv.problems) report(problem.severity, problem.where, "", std::move(problem.message));
}

std::optional<toml::table> Loader::parse_file() {
    std::error_code fs_error;
    if (!std::filesystem::exists(file_, fs_error)) {
        error(Position{label_}, "", "config file not found; check the path");
        return std::nullopt;
    }
    if (std::filesystem::is_directory(file_, fs_error)) {
        error(Position{label_}, "", "is a folder, not a config file");
        return std::nullopt;
    }
    std::ifstream in(file_, std::ios::binary);
    if (!in) {
        error(Position{label_}, "", std::string("cannot read the config file: ") + std::strerror(errno));
        return std::nullopt;
    }
    std::ostringstream text;
    text << in.rdbuf();
    try {
        return toml::parse(text.str(), std::string_view(label_));
    } catch (const toml::parse_error& e) {
        const auto& begin = e.source().begin;
        error(Position{label_, static_cast<int>(begin.line), static_cast<int>(begin.column)}, "",
              std::string(e.description()));
        return std::nullopt;
    }
}

void Loader::read_root(const toml::table& root) {
    check_keys(root, "", root_keys);
    if (const auto* node = root.get("host")) {
        if (const auto* table = read_table(*node, "host")) read_host(*table);
    }
    if (const auto* node = root.get("health")) {
        if (const auto* table = read_table(*node, "health")) read_health(*table);
    }
    config_.cost.ledger = folder_ / "var" / "ledger.sqlite";
    if (const auto* node = root.get("cost")) {
        if (const auto* table = read_table(*node, "cost")) read_cost(*table);
    }
    if (config_.cost.pricing_file.empty()) read_prices(default_pricing_toml, "built-in prices (config/pricing.toml)");
    if (const auto* node = root.get("server")) {
        if (const auto* table = read_table(*node, "server")) read_server(*table);
    }
    auto for_each_entry = [&](std::string_view section, auto read_entry) {
        const auto* node = root.get(section);
        const auto* entries = node ? read_table(*node, std::string(section)) : nullptr;
        if (!entries) return;
        for (auto&& [key, value] : *entries) {
            std::string path = join_key_path(section, key.str());
            if (const auto* entry = read_table(value, path)) (this->*read_entry)(std::string(key.str()), *entry, path);
        }
    };
    for_each_entry("plugins", &Loader::read_plugin_pin);
    for_each_entry("backends", &Loader::read_backend);
    for_each_entry("services", &Loader::read_service);
}

void Loader::read_host(const toml::table& table) {
    check_keys(table, "host", host_keys);
    HostSettings& host = config_.host;
    if (const auto* node = table.get("default_mode")) {
        if (auto mode = read_mode(*node, "host.default_mode")) host.default_mode = *mode;
    }
    if (const auto* node = table.get("plugin_dirs")) {
        const std::string path = "host.plugin_dirs";
        for (const auto& [dir, where] : read_string_array(*node, path).value_or(std::vector<std::pair<std::string, Position>>{})) {
            if (dir.empty()) {
                error(where, path, "a plugin folder must not be empty");
                continue;
            }
            std::filesystem::path folder(dir);
            folder = absolute_normal(folder.is_relative() ? folder_ / folder : folder);
            std::error_code fs_error;
            if (!std::filesystem::exists(folder, fs_error)) {
                report(Severity::warning, where, path, "plugin folder '" + folder.string() + "' does not exist");
            } else if (!std::filesystem::is_directory(folder, fs_error)) {
                report(Severity::warning, where, path, "plugin folder '" + folder.string() + "' is not a folder");
            }
            host.plugin_dirs.push_back(std::move(folder));
        }
    }
    if (const auto* node = table.get("log_format")) {
        if (auto format = read_choice(*node, "host.log_format", "log format", log_formats)) {
            host.log_format = *log_format_from_string(*format);  // read_choice accepted it
        }
    }
    if (const auto* node = table.get("log_level")) {
        if (auto level = read_choice(*node, "host.log_level", "log level", log_levels)) {
            host.log_level = *log_level_from_string(*level);  // read_choice accepted it
        }
    }
}

void Loader::read_health(const toml::table& table) {
    check_keys(table, "health", health_keys);
    HealthSettings& health = config_.health;
    auto duration = [&](std::string_view key, std::chrono::milliseconds& out) {
        if (const auto* node = table.get(key)) {
            if (auto value = read_duration(*node, join_key_path("health", key))) out = *value;
        }
    };
    duration("probe_interval", health.probe_interval);
    duration("probe_timeout", health.probe_timeout);
    duration("cooldown", health.cooldown);
    if (const auto* node = table.get("failure_threshold")) {
        const std::string path = "health.failure_threshold";
        if (auto value = read_integer(*node, path)) {
            if (*value < 1) error(where(*node, path), path, "must be at least 1, got " + std::to_string(*value));
            else if (*value > INT_MAX) error(where(*node, path), path, "must be at most " + std::to_string(INT_MAX) + ", got " + std::to_string(*value));
            else health.failure_threshold = static_cast<int>(*value);
        }
    }
}

void Loader::read_plugin_pin(const std::string& name, const toml::table& table, const std::string& path) {
    check_keys(table, path, plugin_keys);
    if (!require(table, "sha256", path)) return;
    const auto& node = *table.get("sha256");
    const std::string key_path = join_key_path(path, "sha256");
    auto pin = read_string(node, key_path);
    if (!pin) return;
    if (!is_sha256_hex(*pin)) {
        error(where(node, key_path), key_path,
              "invalid sha256 pin '" + *pin + "'; expected 64 lowercase hex characters, as printed by sha256sum");
        return;
    }
    config_.plugin_pins[name] = *pin;
}

void Loader::read_backend(const std::string& name, const toml::table& table, const std::string& path) {
    BackendSettings backend;
    backend.name = name;
    backend.where = where(table, path);
    backend.plugin_where = backend.where;
    backend.api_key_where = backend.where;
    backend.settings = Settings(label_ + " [" + path + ".settings]");

    check_keys(table, path, backend_keys);
    if (require(table, "plugin", path)) {
        const auto& node = *table.get("plugin");
        const std::string key_path = join_key_path(path, "plugin");
        backend.plugin_where = where(node, key_path);
        if (auto plugin = read_string(node, key_path)) {
            if (plugin->empty()) {
                error(backend.plugin_where, key_path,
                      "must not be empty; name the plugin as it reports itself, e.g. \"mock-embeddings\"");
            }
            backend.plugin = std::move(*plugin);
        }
    }
    if (const auto* node = table.get("api_key")) {
        const std::string key_path = join_key_path(path, "api_key");
        backend.api_key_where = where(*node, key_path);
        if (auto key = read_string(*node, key_path)) backend.api_key = Secret(std::move(*key));
    }
    if (const auto* node = table.get("settings")) {
        const std::string key_path = join_key_path(path, "settings");
        if (const auto* settings = read_table(*node, key_path)) flatten_settings(*settings, "", key_path, backend.settings);
    }
    if (const auto* node = table.get("http")) {
        const std::string key_path = join_key_path(path, "http");
        if (const auto* http = read_table(*node, key_path)) read_backend_http(*http, key_path, backend.http);
    }
    if (const auto* node = table.get("caps")) {
        const std::string key_path = join_key_path(path, "caps");
        if (const auto* caps = read_table(*node, key_path)) backend.caps = read_caps(*caps, key_path);
    }
    if (const auto* node = table.get("limits")) {
        const std::string key_path = join_key_path(path, "limits");
        if (const auto* limits = read_table(*node, key_path)) backend.limits = read_limits(*limits, key_path);
    }
    if (const auto* node = table.get("pricing")) {
        const std::string key_path = join_key_path(path, "pricing");
        if (const auto* pricing = read_table(*node, key_path)) {
            backend_pricing_[name] = read_price_list(*pricing, key_path, label_ + " [" + key_path + "]");
        }
    }
    config_.backends[name] = std::move(backend);
}

void Loader::read_backend_http(const toml::table& table, const std::string& path, HttpSettings& http) {
    check_keys(table, path, backend_http_keys);
    auto duration = [&](std::string_view key, std::chrono::milliseconds& out) {
        if (const auto* node = table.get(key)) {
            if (auto value = read_duration(*node, join_key_path(path, key))) out = *value;
        }
    };
    duration("connect_timeout", http.connect_timeout);
    duration("timeout", http.timeout);
    duration("backoff_initial", http.backoff_initial);
    duration("backoff_max", http.backoff_max);
    duration("retry_after_max", http.retry_after_max);
    duration("deadline", http.deadline);
    auto integer = [&](std::string_view key, std::int64_t low, std::int64_t high, std::string_view what,
                       auto& out) {
        const auto* node = table.get(key);
        if (!node) return;
        const std::string key_path = join_key_path(path, key);
        auto value = read_integer(*node, key_path);
        if (!value) return;
        if (*value < low || *value > high) {
            error(where(*node, key_path), key_path,
                  std::string(what) + " must be between " + std::to_string(low) + " and " + std::to_string(high) +
                      ", got " + std::to_string(*value));
            return;
        }
        out = static_cast<std::remove_reference_t<decltype(out)>>(*value);
    };
    integer("max_attempts", 1, 10, "the number of attempts", http.max_attempts);
    integer("max_response_bytes", 1024, std::int64_t{1} << 32, "the response size cap in bytes",
            http.max_response_bytes);
    if (http.backoff_max < http.backoff_initial) {
        const std::string key_path = join_key_path(path, "backoff_max");
        const auto* node = table.get("backoff_max");
        error(node ? where(*node, key_path) : where(table, path), key_path,
              "must not be shorter than backoff_initial (" + std::to_string(http.backoff_initial.count()) + " ms)");
    }
}

void Loader::read_cost(const toml::table& table) {
    check_keys(table, "cost", cost_keys);
    CostSettings& cost = config_.cost;
    if (const auto* node = table.get("ledger")) {
        if (auto path = read_string(*node, "cost.ledger")) {
            if (path->empty()) {
                error(where(*node, "cost.ledger"), "cost.ledger", "must not be empty; name the ledger's SQLite file");
            } else {
                std::filesystem::path file(*path);
                cost.ledger = absolute_normal(file.is_relative() ? folder_ / file : file);
            }
        }
    }
    if (const auto* node = table.get("on_ledger_failure")) {
        static const std::vector<std::string> choices{"closed", "open"};
        if (auto choice = read_choice(*node, "cost.on_ledger_failure", "ledger failure policy", choices)) {
            cost.on_ledger_failure = *choice == "open" ? LedgerFailure::open : LedgerFailure::closed;
        }
    }
    if (const auto* node = table.get("ledger_sync")) {
        static const std::vector<std::string> choices{"full", "normal"};
        if (auto choice = read_choice(*node, "cost.ledger_sync", "ledger sync mode", choices)) {
            cost.ledger_sync = *choice == "normal" ? LedgerSync::normal : LedgerSync::full;
        }
    }
    if (const auto* node = table.get("retention")) {
        if (auto value = read_duration(*node, "cost.retention")) cost.retention = *value;
    }
    if (const auto* node = table.get("forecast_lookback")) {
        if (auto value = read_duration(*node, "cost.forecast_lookback")) cost.forecast_lookback = *value;
    }
    if (const auto* node = table.get("timezone")) {
        if (auto name = read_string(*node, "cost.timezone")) {
            try {
                cost.timezone = cost::TimeZone::load(*name).name();
            } catch (const std::invalid_argument& e) {
                error(where(*node, "cost.timezone"), "cost.timezone", e.what());
            }
        }
    }
    if (const auto* node = table.get("alert_percents")) {
        const std::string path = "cost.alert_percents";
        const auto* array = node->as_array();
        if (!array) {
            type_error(*node, path, "an array of percentages such as [50, 80, 95]");
        } else {
            std::vector<int> percents;
            for (std::size_t i = 0; i < array->size(); ++i) {
                const toml::node& item = *array->get(i);
                const auto* integer = item.as_integer();
                if (!integer || integer->get() < 1 || integer->get() > 100) {
                    error(where(item, path), path,
                          "item " + std::to_string(i + 1) + " must be a whole percentage from 1 to 100, got " +
                              (integer ? std::to_string(integer->get()) : describe(item)));
                    continue;
                }
                percents.push_back(static_cast<int>(integer->get()));
            }
            std::sort(percents.begin(), percents.end());
            percents.erase(std::unique(percents.begin(), percents.end()), percents.end());
            cost.alert_percents = std::move(percents);
        }
    }
    if (const auto* node = table.get("caps")) {
        if (const auto* caps = read_table(*node, "cost.caps")) cost.caps = read_caps(*caps, "cost.caps");
    }
    if (const auto* node = table.get("pricing")) {
        if (auto path = read_string(*node, "cost.pricing")) {
            std::filesystem::path file(*path);
            cost.pricing_file = absolute_normal(file.is_relative() ? folder_ / file : file);
            read_pricing_file(cost.pricing_file, where(*node, "cost.pricing"));
        }
    }
}

void Loader::read_prices(std::string_view text, const std::string& label) {
    toml::table root;
    try {
        root = toml::parse(text, std::string_view(label));
    } catch (const toml::parse_error& e) {
        const auto& begin = e.source().begin;
        error(Position{label, static_cast<int>(begin.line), static_cast<int>(begin.column)}, "", std::string(e.description()));
        return;
    }
    for (auto&& [key, node] : root) {
        const std::string plugin(key.str());
        const std::string path = join_key_path("", plugin);
        if (const auto* table = read_table(node, path)) {
            config_.cost.plugin_prices[plugin] = read_price_list(*table, path, label + " [" + path + "]");
        }
    }
}

void Loader::read_server(const toml::table& table) {
    check_keys(table, "server", server_keys);
    ServerSettings& server = config_.server;
    if (const auto* node = table.get("listen")) {
        if (auto text = read_string(*node, "server.listen")) {
            std::string why;
            if (auto listen = parse_listen(*text, why)) {
                server.address = listen->first;
                server.port = listen->second;
            } else {
                error(where(*node, "server.listen"), "server.listen", "invalid address '" + *text + "': " + why);
            }
        }
    }
    auto read_hash = [&](const toml::node& node, const std::string& path) -> std::optional<std::string> {
        auto text = read_string(node, path);
        if (!text) return std::nullopt;
        if (!is_sha256_hex(*text)) {
            error(where(node, path), path,
                  "expected the SHA-256 of the key as 64 lowercase hex characters (printf %s \"$KEY\" | sha256sum), "
                  "never the key itself");
            return std::nullopt;
        }
        return text;
    };
    if (const auto* node = table.get("admin_key_sha256")) {
        if (auto hash = read_hash(*node, "server.admin_key_sha256")) server.admin_key_sha256 = *hash;
    }
    if (const auto* node = table.get("job_ttl")) {
        if (auto ttl = read_duration(*node, "server.job_ttl")) server.job_ttl = *ttl;
    }
    if (const auto* node = table.get("parse_service")) {
        if (auto service = read_string(*node, "server.parse_service")) {
            server.parse_service_where = where(*node, "server.parse_service");
            if (service->empty()) {
                error(server.parse_service_where, "server.parse_service",
                      "must name a parse service; leave it out to use the first one");
            }
            server.parse_service = *service;
        }
    }
    if (const auto* node = table.get("clients")) {
        if (const auto* clients = read_table(*node, "server.clients")) {
            for (auto&& [name, value] : *clients) {
                const std::string path = join_key_path("server.clients", name.str());
                const auto* entry = read_table(value, path);
                if (!entry) continue;
                check_keys(*entry, path, client_keys);
                ClientSettings client;
                client.name = std::string(name.str());
                if (client.name == ClientSettings::local) {  // its spend would be another's
                    error(where(value, path), path,
                          "'local' is the name calls without a client key are recorded under; name the client "
                          "otherwise");
                }
                if (require(*entry, "key_sha256", path)) {
                    if (auto hash = read_hash(*entry->get("key_sha256"), join_key_path(path, "key_sha256"))) {
                        client.key_sha256 = *hash;
                    }
                }
                if (const auto* services = entry->get("services")) {
                    for (auto& [service, at] : read_string_array(*services, join_key_path(path, "services"))
                                                   .value_or(std::vector<std::pair<std::string, Position>>{})) {
                        client.services.push_back(std::move(service));
                    }
                }
                if (const auto* node = entry->get("caps")) {
                    const std::string key_path = join_key_path(path, "caps");
                    if (const auto* caps = read_table(*node, key_path)) client.caps = read_caps(*caps, key_path);
                }
                server.clients[client.name] = std::move(client);
            }
        }
    }
    if (const auto* node = table.get("models")) {
        if (const auto* models = read_table(*node, "server.models")) {
            for (auto&& [model, value] : *models) {
                const std::string path = join_key_path("server.models", model.str());
                if (auto service = read_string(value, path)) {
                    server.models[std::string(model.str())] = *service;
                    server_model_where_[std::string(model.str())] = where(value, path);
                }
            }
        }
    }
}

// Each model of [server.models] must name an embeddings service, and [server] parse_service a
// parse service.
void Loader::check_server_models() {
    if (const std::string& service = config_.server.parse_service; !service.empty()) {
        std::vector<std::string> parse;
        for (const auto& [name, settings] : config_.services) {
            if (settings.capability == capability::parse) parse.push_back(name);
        }
        auto it = config_.services.find(service);
        if (it == config_.services.end()) {
            const std::string suggestion = did_you_mean(service, parse);
            error(config_.server.parse_service_where, "server.parse_service",
                  "unknown service '" + service + "'" +
                      (!suggestion.empty() ? suggestion
                       : parse.empty()     ? "; no parse service is defined"
                                           : "; parse services: " + join_alternatives(parse, ", ")));
        } else if (it->second.capability != capability::parse) {
            error(config_.server.parse_service_where, "server.parse_service",
                  "service '" + service + "' serves '" + it->second.capability + "', not parse");
        }
    }
    std::vector<std::string> embeddings;
    for (const auto& [name, service] : config_.services) {
        if (service.capability == capability::embeddings) embeddings.push_back(name);
    }
    for (const auto& [model, service] : config_.server.models) {
        const std::string path = join_key_path("server.models", model);
        auto it = config_.services.find(service);
        if (it == config_.services.end()) {
            const std::string suggestion = did_you_mean(service, embeddings);
            error(server_model_where_.at(model), path,
                  "unknown service '" + service + "'" +
                      (!suggestion.empty()   ? suggestion
                       : embeddings.empty() ? "; no embeddings service is defined"
                                            : "; embeddings services: " + join_alternatives(embeddings, ", ")));
        } else if (it->second.capability != capability::embeddings) {
            error(server_model_where_.at(model), path,
                  "service '" + service + "' serves '" + it->second.capability + "', not embeddings");
        }
    }
}

void Loader::read_pricing_file(const std::filesystem::path& file, const Position& named_at) {
    std::ifstream in(file, std::ios::binary);
    if (!in) {
        error(named_at, "cost.pricing",
              "cannot read the pricing file '" + file.string() + "': " + std::strerror(errno) +
                  "; the shipped one is config/pricing.toml");
        return;
    }
    std::ostringstream text;
    text << in.rdbuf();
    read_prices(text.str(), file.string());
}

std::optional<cost::Money> Loader::read_money(const toml::node& node, const std::string& path, std::string_view what) {
    std::optional<cost::Money> money;
    if (const auto* integer = node.as_integer()) {
        if (integer->get() >= 0) money = cost::money_from_decimal(std::to_string(integer->get()));
    } else if (const auto* floating = node.as_floating_point()) {
        money = cost::money_from_usd(floating->get());
    } else if (node.is_string()) {
        auto text = read_string(node, path);
        if (!text) return std::nullopt;
        money = cost::money_from_decimal(*text);
    } else {
        type_error(node, path, "an amount in USD, such as 5, 0.02 or \"0.02\"");
        return std::nullopt;
    }
    if (!money) {
        error(where(node, path), path,
              std::string(what) + " must be a non-negative amount in USD below 9 billion with at most nine decimals");
    }
    return money;
}

Caps Loader::read_caps(const toml::table& table, const std::string& path) {
    check_keys(table, path, caps_keys);
    Caps caps;
    auto read = [&](std::string_view key, std::optional<cost::Money>& out) {
        if (const auto* node = table.get(key)) out = read_money(*node, join_key_path(path, key), "a cap");
    };
    read("hourly", caps.hourly);
    read("daily", caps.daily);
    read("monthly", caps.monthly);
    return caps;
}

RateLimits Loader::read_limits(const toml::table& table, const std::string& path) {
    check_keys(table, path, limits_keys);
    RateLimits limits;
    auto read = [&](std::string_view key, std::string_view what, std::optional<std::int64_t>& out) {
        const auto* node = table.get(key);
        if (!node) return;
        const std::string key_path = join_key_path(path, key);
        auto value = read_integer(*node, key_path);
        if (!value) return;
        if (*value < 1) {
            error(where(*node, key_path), key_path,
                  std::string(what) + " must be at least 1, got " + std::to_string(*value) + "; remove the key for no limit");
            return;
        }
        out = *value;
    };
    read("rpm", "requests per minute", limits.requests_per_minute);
    read("tpm", "tokens per minute", limits.tokens_per_minute);
    return limits;
}

PriceList Loader::read_price_list(const toml::table& table, const std::string& path, std::string source) {
    check_keys(table, path, pricing_keys);
    PriceList price;
    price.source = std::move(source);
    if (const auto* node = table.get("free")) {
        const std::string key_path = join_key_path(path, "free");
        if (const auto* flag = node->as_boolean()) price.free = flag->get();
        else type_error(*node, key_path, "true or false");
    }
    if (const auto* node = table.get("default_model")) {
        if (auto model = read_string(*node, join_key_path(path, "default_model"))) price.default_model = std::move(*model);
    }
    if (const auto* node = table.get("default_tier")) {
        if (auto tier = read_string(*node, join_key_path(path, "default_tier"))) price.default_tier = std::move(*tier);
    }
    if (const auto* node = table.get("usd_per_million_tokens")) {
        const std::string key_path = join_key_path(path, "usd_per_million_tokens");
        if (const auto* models = read_table(*node, key_path)) {
            for (auto&& [model, value] : *models) {
                if (auto money = read_money(value, join_key_path(key_path, model.str()), "a price")) {
                    price.usd_per_million_tokens[std::string(model.str())] = *money;
                }
            }
        }
    }
    if (const auto* node = table.get("usd_per_thousand_credits")) {
        price.usd_per_thousand_credits = read_money(*node, join_key_path(path, "usd_per_thousand_credits"), "a price");
    }
    if (const auto* node = table.get("credits_per_page")) {
        const std::string key_path = join_key_path(path, "credits_per_page");
        if (const auto* tiers = read_table(*node, key_path)) {
            for (auto&& [tier, value] : *tiers) {
                const std::string tier_path = join_key_path(key_path, tier.str());
                auto credits = read_integer(value, tier_path);
                if (!credits) continue;
                if (*credits < 0) {
                    error(where(value, tier_path), tier_path, "credits per page must not be negative");
                    continue;
                }
                price.credits_per_page[std::string(tier.str())] = *credits;
            }
        }
    }
    return price;
}

// Each backend's price list: its plugin's from the pricing file, with [backends.NAME.pricing]
// laid over it key by key.
void Loader::apply_prices() {
    for (auto& [name, backend] : config_.backends) {
        PriceList price;
        if (auto it = config_.cost.plugin_prices.find(backend.plugin); it != config_.cost.plugin_prices.end()) {
            price = it->second;
        }
        if (auto it = backend_pricing_.find(name); it != backend_pricing_.end()) {
            const PriceList& own = it->second;
            price.source = price.source.empty() ? own.source : own.source + " over " + price.source;
            // Prices of its own make a backend paid, even where its plugin's list says free.
            const bool own_prices = !own.usd_per_million_tokens.empty() || own.usd_per_thousand_credits.has_value();
            price.free = own.free || (price.free && !own_prices);
            if (!own.default_model.empty()) price.default_model = own.default_model;
            if (!own.default_tier.empty()) price.default_tier = own.default_tier;
            for (const auto& [model, money] : own.usd_per_million_tokens) price.usd_per_million_tokens[model] = money;
            if (own.usd_per_thousand_credits) price.usd_per_thousand_credits = own.usd_per_thousand_credits;
            for (const auto& [tier, credits] : own.credits_per_page) price.credits_per_page[tier] = credits;
        }
        backend.price = std::move(price);
    }
}

void Loader::flatten_settings(const toml::table& table, const std::string& prefix, const std::string& path,
                              Settings& settings) {
    for (auto&& [key, node] : table) {
        std::string name = prefix.empty() ? std::string(key.str()) : prefix + "." + std::string(key.str());
        std::string key_path = join_key_path(path, key.str());
        std::string at = where(node, key_path).to_string();
        switch (node.type()) {
            case toml::node_type::string:
                if (auto value = read_string(node, key_path)) settings.set(name, std::move(*value), at);
                break;
            case toml::node_type::integer:
                settings.set(name, node.as_integer()->get(), at);
                break;
            case toml::node_type::floating_point:
                settings.set(name, node.as_floating_point()->get(), at);
                break;
            case toml::node_type::boolean:
                settings.set(name, node.as_boolean()->get(), at);
                break;
            case toml::node_type::array:
                if (auto items = read_string_array(node, key_path)) {
                    std::vector<std::string> values;
                    for (auto& [value, where] : *items) values.push_back(std::move(value));
                    settings.set(name, std::move(values), at);
                }
                break;
            case toml::node_type::table:
                flatten_settings(*node.as_table(), name, key_path, settings);
                break;
            default:
                error(where(node, key_path), key_path,
                      "dates and times are not supported in settings; quote the value to pass it as a string");
                break;
        }
    }
}

void Loader::read_service(const std::string& name, const toml::table& table, const std::string& path) {
    ServiceSettings service;
    service.name = name;
    service.where = where(table, path);
    service.capability_where = service.where;
    ServiceRefs refs{{}, service.where, service.where};

    check_keys(table, path, service_keys);
    if (require(table, "capability", path)) {
        const auto& node = *table.get("capability");
        const std::string key_path = join_key_path(path, "capability");
        service.capability_where = where(node, key_path);
        if (auto capability = read_string(node, key_path)) {
            if (capability->empty()) {
                error(service.capability_where, key_path,
                      "must not be empty; name a capability such as \"embeddings\" or \"parse\"");
            }
            service.capability = std::move(*capability);
        }
    }
    if (const auto* node = table.get("mode")) {
        const std::string key_path = join_key_path(path, "mode");
        refs.mode_where = where(*node, key_path);
        service.mode = read_mode(*node, key_path);
    }
    if (const auto* node = table.get("real")) {
        for (auto& [backend, where] : read_string_array(*node, join_key_path(path, "real")).value_or(
                 std::vector<std::pair<std::string, Position>>{})) {
            service.real.push_back(std::move(backend));
            refs.real_where.push_back(std::move(where));
        }
    }
    if (const auto* node = table.get("mock")) {
        const std::string key_path = join_key_path(path, "mock");
        refs.mock_where = where(*node, key_path);
        if (auto mock = read_string(*node, key_path)) {
            if (mock->empty()) error(refs.mock_where, key_path, "must not be empty; name a backend or remove the key");
            service.mock = std::move(*mock);
        }
    }
    if (const auto* node = table.get("fallback_timeout")) {
        if (auto timeout = read_duration(*node, join_key_path(path, "fallback_timeout"))) service.fallback_timeout = *timeout;
    }
    if (const auto* node = table.get("caps")) {
        const std::string key_path = join_key_path(path, "caps");
        if (const auto* caps = read_table(*node, key_path)) service.caps = read_caps(*caps, key_path);
    }
    config_.services[name] = std::move(service);
    service_refs_[name] = std::move(refs);
}

void Loader::check_service_backends() {
    for (const auto& [name, service] : config_.services) check_service(service, service_refs_.at(name));
}

void Loader::check_service(const ServiceSettings& service, const ServiceRefs& refs) {
    const std::string path = join_key_path("services", service.name);
    const std::string real_path = path + ".real";
    const std::string mock_path = path + ".mock";
    for (std::size_t i = 0; i < service.real.size(); ++i) {
        const std::string& backend = service.real[i];
        if (std::find(service.real.begin(), service.real.begin() + static_cast<std::ptrdiff_t>(i), backend) !=
            service.real.begin() + static_cast<std::ptrdiff_t>(i)) {
            error(refs.real_where[i], real_path, "backend '" + backend + "' is listed twice");
            continue;
        }
        check_backend_reference(backend, real_path, refs.real_where[i]);
    }
    if (!service.mock.empty()) {
        check_backend_reference(service.mock, mock_path, refs.mock_where);
        if (std::find(service.real.begin(), service.real.end(), service.mock) != service.real.end()) {
            error(refs.mock_where, mock_path,
                  "backend '" + service.mock + "' is listed both in 'real' and as 'mock'; a backend plays one role in a service");
        }
    }

    if (failed(real_path) || failed(mock_path)) return;
    if (service.real.empty() && service.mock.empty()) {
        error(service.where, path, "has no backends; set 'real', 'mock' or both");
        return;
    }
    if (failed(path + ".mode") || (!service.mode && failed("host.default_mode"))) return;

    Mode mode = config_.mode_of(service);
    std::string mode_text = "mode is '" + std::string(to_string(mode)) + "'" + (service.mode ? "" : " (from host.default_mode)");
    Position mode_where = service.mode ? refs.mode_where : service.where;
    std::string mode_path = service.mode ? path + ".mode" : path;
    if (mode == Mode::real && service.real.empty()) {
        error(mode_where, mode_path, mode_text + " but 'real' lists no backends; add one to 'real' or change the mode");
    } else if (mode == Mode::mock && service.mock.empty()) {
        error(mode_where, mode_path, mode_text + " but no 'mock' backend is set; set 'mock' or change the mode");
    } else if (mode == Mode::hybrid && service.mock.empty()) {
        report(Severity::warning, mode_where, mode_path,
               mode_text + " but no 'mock' backend is set, so nothing takes over when the real backends fail");
    } else if (mode == Mode::hybrid && service.real.empty()) {
        report(Severity::warning, mode_where, mode_path,
               mode_text + " but 'real' lists no backends, so every call goes to the mock");
    }
}

void Loader::check_backend_reference(const std::string& backend, const std::string& key_path, const Position& where) {
    if (config_.backends.count(backend)) return;
    std::vector<std::string> names;
    for (const auto& [name, settings] : config_.backends) names.push_back(name);
    std::string message = "unknown backend '" + backend + "'";
    if (auto suggestion = did_you_mean(backend, names); !suggestion.empty()) {
        message += suggestion;
    } else if (names.empty()) {
        message += "; no backends are defined: add a [backends." + backend + "] table";
    } else {
        message += "; define [backends." + backend + "] or use one of: " + join_alternatives(names, ", ");
    }
    error(where, key_path, message);
}

const toml::table* Loader::read_table(const toml::node& node, const std::string& path) {
    if (const auto* table = node.as_table()) return table;
    type_error(node, path, "a table");
    return nullptr;
}

std::optional<std::string> Loader::read_string(const toml::node& node, const std::string& path) {
    if (!node.is_string()) {
        type_error(node, path, "a string");
        return std::nullopt;
    }
    return interpolate(node.as_string()->get(), where(node, path), path);
}

std::optional<std::vector<std::pair<std::string, Position>>> Loader::read_string_array(const toml::node& node,
                                                                                      const std::string& path) {
    const auto* array = node.as_array();
    if (!array) {
        type_error(node, path, "an array of strings");
        return std::nullopt;
    }
    std::vector<std::pair<std::string, Position>> items;
    for (std::size_t i = 0; i < array->size(); ++i) {
        const toml::node& item = *array->get(i);
        Position position = where(item, path);
        if (!item.is_string()) {
            error(position, path, "expected an array of strings; item " + std::to_string(i + 1) + " is " + describe(item));
            continue;
        }
        if (auto value = interpolate(item.as_string()->get(), position, path)) items.emplace_back(std::move(*value), position);
    }
    return items;
}

std::optional<std::int64_t> Loader::read_integer(const toml::node& node, const std::string& path) {
    if (const auto* integer = node.as_integer()) return integer->get();
    type_error(node, path, "an integer");
    return std::nullopt;
}

std::optional<std::chrono::milliseconds> Loader::read_duration(const toml::node& node, const std::string& path) {
    if (!node.is_string()) {
        type_error(node, path, "a duration string such as \"30s\"");
        return std::nullopt;
    }
    auto text = read_string(node, path);
    if (!text) return std::nullopt;
    auto duration = parse_duration(*text);
    if (!duration) {
        error(where(node, path), path,
              "invalid duration '" + *text + "'; expected a whole number and a unit (ms, s, m, h or d), e.g. \"250ms\" or \"30s\"");
        return std::nullopt;
    }
    if (duration->count() == 0) {
        error(where(node, path), path, "must be greater than zero");
        return std::nullopt;
    }
    return duration;
}

std::optional<Mode> Loader::read_mode(const toml::node& node, const std::string& path) {
    auto text = read_string(node, path);
    if (!text) return std::nullopt;
    if (auto mode = mode_from_string(*text)) return mode;
    error(where(node, path), path, "invalid mode '" + *text + "'; expected mock, real or hybrid" + did_you_mean(*text, mode_names));
    return std::nullopt;
}

std::optional<std::string> Loader::read_choice(const toml::node& node, const std::string& path, std::string_view what,
                                               const std::vector<std::string>& choices) {
    auto text = read_string(node, path);
    if (!text) return std::nullopt;
    if (std::find(choices.begin(), choices.end(), *text) != choices.end()) return text;
    error(where(node, path), path,
          "invalid " + std::string(what) + " '" + *text + "'; expected " + join_alternatives(choices) + did_you_mean(*text, choices));
    return std::nullopt;
}

std::optional<std::string> Loader::interpolate(std::string_view text, const Position& where, const std::string& path) {
    if (overrides_.variable_for(path)) return std::string(text);  // environment values are taken literally
    auto lookup = [this](std::string_view name) -> const std::string* {
        std::string key(name);
        if (auto it = env_.variables.find(key); it != env_.variables.end()) return &it->second;
        if (auto it = dotenv_.find(key); it != dotenv_.end()) return &it->second;
        return nullptr;
    };
    Expansion expansion = expand_variables(text, lookup);
    if (expansion.syntax_error) error(where, path, *expansion.syntax_error);
    for (const auto& variable : expansion.missing) {
        error(where, path,
              "environment variable " + variable + " is not set (needed by " + path + "); " + missing_variable_hint_);
    }
    if (!expansion.ok()) return std::nullopt;
    return std::move(expansion.value);
}

void Loader::check_keys(const toml::table& table, const std::string& path, std::span<const KeySpec> keys) {
    auto names = key_names(keys);
    for (auto&& [key, node] : table) {
        if (std::find(names.begin(), names.end(), key.str()) != names.end()) continue;
        std::string message = "unknown key '" + std::string(key.str()) + "'";
        auto suggestion = did_you_mean(key.str(), names);
        message += suggestion.empty() ? "; known keys: " + join_alternatives(names, ", ") : suggestion;
        error(where(key), path, message);
    }
}

bool Loader::require(const toml::table& table, std::string_view key, const std::string& path) {
    if (table.contains(key)) return true;
    error(where(table, path), path, "missing required key '" + std::string(key) + "'");
    return false;
}

Position Loader::where(const toml::node& node, std::string_view path) const {
    if (const std::string* variable = overrides_.variable_for(path)) return Position{"environment variable " + *variable};
    const auto& source = node.source();
    return Position{source.path ? *source.path : label_, static_cast<int>(source.begin.line),
                    static_cast<int>(source.begin.column)};
}

Position Loader::where(const toml::key& key) const {
    const auto& source = key.source();
    return Position{source.path ? *source.path : label_, static_cast<int>(source.begin.line),
                    static_cast<int>(source.begin.column)};
}

void Loader::report(Severity severity, Position where, std::string key_path, std::string message) {
    if (severity == Severity::error) failed_paths_.insert(key_path);
    problems_.push_back({severity, std::move(where), std::move(key_path), std::move(message)});
}

void Loader::error(const Position& where, std::string key_path, std::string message) {
    report(Severity::error, where, std::move(key_path), std::move(message));
}

void Loader::type_error(const toml::node& node, const std::string& path, std::string_view expected) {
    error(where(node, path), path, "expected " + std::string(expected) + ", got " + describe(node));
}

}  // namespace switchboard::config
