#pragma once

#include <array>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace switchboard::config {

// The keys the config file knows, shared by the loader (unknown keys, did-you-mean) and the
// environment overrides (which type a value must be parsed to).
enum class ValueKind { string, integer, floating, boolean, string_array, table };

struct KeySpec {
    std::string_view name;
    ValueKind kind;
};

struct SectionSpec {
    std::string_view name;
    std::string_view entry_noun;  // "backend" for [backends.NAME]; empty for a plain table
    std::span<const KeySpec> keys;

    bool has_entries() const noexcept { return !entry_noun.empty(); }
};

inline constexpr std::array<KeySpec, 4> host_keys{{{"default_mode", ValueKind::string},
                                                   {"plugin_dirs", ValueKind::string_array},
                                                   {"log_format", ValueKind::string},
                                                   {"log_level", ValueKind::string}}};
inline constexpr std::array<KeySpec, 4> health_keys{{{"probe_interval", ValueKind::string},
                                                     {"probe_timeout", ValueKind::string},
                                                     {"failure_threshold", ValueKind::integer},
                                                     {"cooldown", ValueKind::string}}};
inline constexpr std::array<KeySpec, 1> plugin_keys{{{"sha256", ValueKind::string}}};
inline constexpr std::array<KeySpec, 4> backend_keys{{{"plugin", ValueKind::string},
                                                      {"api_key", ValueKind::string},
                                                      {"settings", ValueKind::table},
                                                      {"http", ValueKind::table}}};
inline constexpr std::array<KeySpec, 8> backend_http_keys{{{"connect_timeout", ValueKind::string},
                                                           {"timeout", ValueKind::string},
                                                           {"max_response_bytes", ValueKind::integer},
                                                           {"max_attempts", ValueKind::integer},
                                                           {"backoff_initial", ValueKind::string},
                                                           {"backoff_max", ValueKind::string},
                                                           {"retry_after_max", ValueKind::string},
                                                           {"deadline", ValueKind::string}}};
inline constexpr std::array<KeySpec, 5> service_keys{{{"capability", ValueKind::string},
                                                      {"mode", ValueKind::string},
                                                      {"real", ValueKind::string_array},
                                                      {"mock", ValueKind::string},
                                                      {"fallback_timeout", ValueKind::string}}};

inline constexpr std::array<KeySpec, 5> root_keys{{{"host", ValueKind::table},
                                                   {"health", ValueKind::table},
                                                   {"plugins", ValueKind::table},
                                                   {"backends", ValueKind::table},
                                                   {"services", ValueKind::table}}};

inline constexpr std::array<SectionSpec, 5> sections{{{"host", "", host_keys},
                                                      {"health", "", health_keys},
                                                      {"plugins", "plugin", plugin_keys},
                                                      {"backends", "backend", backend_keys},
                                                      {"services", "service", service_keys}}};

inline std::vector<std::string> key_names(std::span<const KeySpec> keys) {
    std::vector<std::string> names;
    for (const auto& key : keys) names.emplace_back(key.name);
    return names;
}

inline std::vector<std::string> section_names() {
    std::vector<std::string> names;
    for (const auto& section : sections) names.emplace_back(section.name);
    return names;
}

// "backends.openai" from "backends" and "openai"; a key that is not bare is quoted, as TOML
// would write it: services."my.service".
inline std::string join_key_path(std::string_view parent, std::string_view key) {
    bool bare = !key.empty();
    for (char c : key) {
        bare = bare && ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
                        c == '_' || c == '-');
    }
    std::string part = bare ? std::string(key) : "\"" + std::string(key) + "\"";
    return parent.empty() ? part : std::string(parent) + "." + part;
}

}  // namespace switchboard::config
