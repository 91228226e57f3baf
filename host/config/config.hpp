#pragma once

#include <chrono>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "switchboard/secret.hpp"
#include "switchboard/settings.hpp"

namespace switchboard::config {

// How a service routes: the mock only, the real backends only, or real first then the mock.
enum class Mode { mock, real, hybrid };

std::string_view to_string(Mode mode) noexcept;
std::optional<Mode> mode_from_string(std::string_view text) noexcept;

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
    std::string log_format = "text";                 // "text" or "json"
    std::string log_level = "info";                  // trace|debug|info|warn|error|critical
};

struct HealthSettings {
    std::chrono::milliseconds probe_interval{30'000};
    std::chrono::milliseconds probe_timeout{5'000};
    int failure_threshold = 3;                        // consecutive availability failures
    std::chrono::milliseconds cooldown{30'000};       // how long an open circuit stays open
};

// [backends.NAME]: one configured instance of a plugin.
struct BackendSettings {
    std::string name;
    std::string plugin;  // the plugin's name as it reports it in info()
    Settings settings;   // [backends.NAME.settings], flattened
    Secret api_key;      // api_key, after interpolation; never printed unredacted
    Position where;
};

// [services.NAME]: what clients call.
struct ServiceSettings {
    std::string name;
    std::string capability;            // "embeddings", "parse", or a JSON operation name
    std::optional<Mode> mode;          // unset: host.default_mode
    std::vector<std::string> real;     // real backends, in the order to try them
    std::string mock;                  // the mock backend; empty if none
    std::chrono::milliseconds fallback_timeout{30'000};
    Position where;
};

struct Config {
    std::filesystem::path file;  // the config file, absolute
    std::string environment;     // SWITCHBOARD_ENV, default "development"
    HostSettings host;
    HealthSettings health;
    std::map<std::string, std::string> plugin_pins;  // plugin file stem -> sha256 hex
    std::map<std::string, BackendSettings> backends;
    std::map<std::string, ServiceSettings> services;

    Mode mode_of(const ServiceSettings& service) const { return service.mode.value_or(host.default_mode); }
};

}  // namespace switchboard::config
