#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <map>
#include <optional>
#include <set>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <toml++/toml.h>

#include "config/config.hpp"
#include "config/overrides.hpp"
#include "config/schema.hpp"

namespace switchboard::config {

// Turns one config file plus its environment into a Config and every problem found on the way.
// One use: construct, run(), discard.
class Loader {
public:
    Loader(std::filesystem::path file, const Environment& env);

    LoadResult run();

private:
    struct ServiceRefs {  // where a service names its backends, for the cross-checks
        std::vector<Position> real_where;
        Position mock_where;
        Position mode_where;
    };

    bool failed(const std::string& key_path) const { return failed_paths_.count(key_path) > 0; }

    void select_environment();
    std::optional<toml::table> parse_file();

    void read_root(const toml::table& root);
    void read_host(const toml::table& table);
    void read_health(const toml::table& table);
    void read_backend_http(const toml::table& table, const std::string& path, HttpSettings& http);
    void read_cost(const toml::table& table);
    void read_server(const toml::table& table);
    void check_server_models();
    void read_pricing_file(const std::filesystem::path& file, const Position& named_at);
    Caps read_caps(const toml::table& table, const std::string& path);
    RateLimits read_limits(const toml::table& table, const std::string& path);
    PriceList read_price_list(const toml::table& table, const std::string& path, std::string source);
    void read_prices(std::string_view text, const std::string& label);
    void apply_prices();
    void read_plugin_pin(const std::string& name, const toml::table& table, const std::string& path);
    void read_backend(const std::string& name, const toml::table& table, const std::string& path);
    void read_service(const std::string& name, const toml::table& table, const std::string& path);
    void flatten_settings(const toml::table& table, const std::string& prefix, const std::string& path,
                          Settings& settings);
    void check_service_backends();
    void check_service(const ServiceSettings& service, const ServiceRefs& refs);
    void check_backend_reference(const std::string& backend, const std::string& key_path, const Position& where);

    // Value readers: each reports a wrong type or bad value and returns nullopt.
    const toml::table* read_table(const toml::node& node, const std::string& path);
    std::optional<std::string> read_string(const toml::node& node, const std::string& path);
    std::optional<std::vector<std::pair<std::string, Position>>> read_string_array(const toml::node& node,
                                                                                  const std::string& path);
    std::optional<std::int64_t> read_integer(const toml::node& node, const std::string& path);
    std::optional<std::chrono::milliseconds> read_duration(const toml::node& node, const std::string& path);
    std::optional<cost::Money> read_money(const toml::node& node, const std::string& path, std::string_view what);
    std::optional<Mode> read_mode(const toml::node& node, const std::string& path);
    std::optional<std::string> read_choice(const toml::node& node, const std::string& path, std::string_view what,
                                           const std::vector<std::string>& choices);
    std::optional<std::string> interpolate(std::string_view text, const Position& where, const std::string& path);

    void check_keys(const toml::table& table, const std::string& path, std::span<const KeySpec> keys);
    bool require(const toml::table& table, std::string_view key, const std::string& path);

    Position where(const toml::node& node, std::string_view path) const;
    Position where(const toml::key& key) const;
    void report(Severity severity, Position where, std::string key_path, std::string message);
    void error(const Position& where, std::string key_path, std::string message);
    void type_error(const toml::node& node, const std::string& path, std::string_view expected);

    std::filesystem::path file_;
    std::string label_;  // the file as the caller named it, for positions
    std::filesystem::path folder_;
    const Environment& env_;
    std::map<std::string, std::string> dotenv_;
    std::string missing_variable_hint_;  // "set it or add it to .env.development"
    Overrides overrides_;
    Config config_;
    std::map<std::string, ServiceRefs> service_refs_;
    std::map<std::string, PriceList> backend_pricing_;  // [backends.NAME.pricing] as written
    std::map<std::string, Position> server_model_where_;  // [server.models] entries
    std::vector<Problem> problems_;
    std::set<std::string> failed_paths_;  // key paths with an error, so checks do not pile on
};

}  // namespace switchboard::config
