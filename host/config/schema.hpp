#pragma once

#include <array>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace switchboard::config {

// The keys the config file knows, shared by the loader (unknown keys, did-you-mean) and the
// environment overrides (which type a value must be parsed to).
enum class ValueKind { string, integer, floating, boolean, string_array, integer_array, table };

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
inline constexpr std::array<KeySpec, 7> backend_keys{{{"plugin", ValueKind::string},
                                                      {"api_key", ValueKind::string},
                                                      {"settings", ValueKind::table},
                                                      {"http", ValueKind::table},
                                                      {"caps", ValueKind::table},
                                                      {"limits", ValueKind::table},
                                                      {"pricing", ValueKind::table}}};
// Caps are USD: a number, or a decimal string for exactness ("0.10").
inline constexpr std::array<KeySpec, 3> caps_keys{{{"hourly", ValueKind::floating},
                                                   {"daily", ValueKind::floating},
                                                   {"monthly", ValueKind::floating}}};
inline constexpr std::array<KeySpec, 2> limits_keys{{{"rpm", ValueKind::integer}, {"tpm", ValueKind::integer}}};
inline constexpr std::array<KeySpec, 6> pricing_keys{{{"free", ValueKind::boolean},
                                                      {"usd_per_million_tokens", ValueKind::table},
                                                      {"default_model", ValueKind::string},
                                                      {"usd_per_thousand_credits", ValueKind::floating},
                                                      {"credits_per_page", ValueKind::table},
                                                      {"default_tier", ValueKind::string}}};
inline constexpr std::array<KeySpec, 9> cost_keys{{{"ledger", ValueKind::string},
                                                   {"on_ledger_failure", ValueKind::string},
                                                   {"ledger_sync", ValueKind::string},
                                                   {"retention", ValueKind::string},
                                                   {"timezone", ValueKind::string},
                                                   {"alert_percents", ValueKind::integer_array},
                                                   {"forecast_lookback", ValueKind::string},
                                                   {"pricing", ValueKind::string},
                                                   {"caps", ValueKind::table}}};
inline constexpr std::array<KeySpec, 8> backend_http_keys{{{"connect_timeout", ValueKind::string},
                                                           {"timeout", ValueKind::string},
                                                           {"max_response_bytes", ValueKind::integer},
                                                           {"max_attempts", ValueKind::integer},
                                                           {"backoff_initial", ValueKind::string},
                                                           {"backoff_max", ValueKind::string},
                                                           {"retry_after_max", ValueKind::string},
                                                           {"deadline", ValueKind::string}}};
inline constexpr std::array<KeySpec, 6> service_keys{{{"capability", ValueKind::string},
                                                      {"mode", ValueKind::string},
                                                      {"real", ValueKind::string_array},
                                                      {"mock", ValueKind::string},
                                                      {"fallback_timeout", ValueKind::string},
                                                      {"caps", ValueKind::table}}};

inline constexpr std::array<KeySpec, 6> server_keys{{{"listen", ValueKind::string},
                                                     {"models", ValueKind::table},
                                                     {"clients", ValueKind::table},
                                                     {"admin_key_sha256", ValueKind::string},
                                                     {"job_ttl", ValueKind::string},
                                                     {"parse_service", ValueKind::string}}};
inline constexpr std::array<KeySpec, 3> client_keys{{{"key_sha256", ValueKind::string},
                                                     {"services", ValueKind::string_array},
                                                     {"caps", ValueKind::table}}};

inline constexpr std::array<KeySpec, 7> root_keys{{{"host", ValueKind::table},
                                                   {"health", ValueKind::table},
                                                   {"cost", ValueKind::table},
                                                   {"server", ValueKind::table},
                                                   {"plugins", ValueKind::table},
                                                   {"backends", ValueKind::table},
                                                   {"services", ValueKind::table}}};

inline constexpr std::array<SectionSpec, 7> sections{{{"host", "", host_keys},
                                                      {"health", "", health_keys},
                                                      {"cost", "", cost_keys},
                                                      {"server", "", server_keys},
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
