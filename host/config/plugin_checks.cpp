#include <algorithm>
#include <cctype>
#include <optional>
#include <set>
#include <tuple>

#include "config/config.hpp"
#include "config/schema.hpp"
#include "config/suggest.hpp"

namespace switchboard::config {
namespace {

bool offers(const PluginInfo& plugin, const std::string& capability) {
    return std::find(plugin.capabilities.begin(), plugin.capabilities.end(), capability) != plugin.capabilities.end();
}

// Backs check_against_plugins: one pass over backends, one over services.
class PluginChecker {
public:
    PluginChecker(const Config& config, const std::vector<PluginInfo>& plugins) : config_(config), plugins_(plugins) {}

    std::vector<Problem> run() {
        for (const auto& [name, backend] : config_.backends) check_backend(backend);
        for (const auto& [name, service] : config_.services) check_capability(service);
        for (const auto& [name, service] : config_.services) {
            for (const auto& backend : service.real) check_price(service, backend);
        }
        std::stable_sort(problems_.begin(), problems_.end(), [](const Problem& a, const Problem& b) {
            return std::tie(a.where.file, a.where.line, a.where.column) <
                   std::tie(b.where.file, b.where.line, b.where.column);
        });
        return std::move(problems_);
    }

private:
    const PluginInfo* plugin_of(const std::string& backend_name) const {
        auto backend = config_.backends.find(backend_name);
        if (backend == config_.backends.end()) return nullptr;
        auto plugin = std::find_if(plugins_.begin(), plugins_.end(),
                                   [&](const PluginInfo& p) { return p.name == backend->second.plugin; });
        return plugin == plugins_.end() ? nullptr : &*plugin;
    }

    void check_backend(const BackendSettings& backend) {
        const std::string path = join_key_path("backends", backend.name);
        if (backend.plugin.empty()) return;  // the loader reported it
        const PluginInfo* plugin = plugin_of(backend.name);
        if (!plugin) {
            std::vector<std::string> names;
            for (const auto& p : plugins_) names.push_back(p.name);
            std::string message = "no plugin named '" + backend.plugin + "' was found in the plugin folders";
            if (auto suggestion = did_you_mean(backend.plugin, names); !suggestion.empty()) message += suggestion;
            else if (names.empty()) message += "; no plugins were found at all: check host.plugin_dirs";
            else message += "; found: " + join_alternatives(names, ", ");
            add(Severity::error, backend.plugin_where, path + ".plugin", message);
            return;
        }
        if (!plugin->api_key_prefix.empty()) check_api_key(backend, *plugin, path);
    }

    // A real backend must be priced, and the model or tier it uses by default must have a price:
    // an unpriced call would count as free against every cap. One report per backend.
    void check_price(const ServiceSettings& service, const std::string& backend_name) {
        auto found = config_.backends.find(backend_name);
        if (found == config_.backends.end() || plugin_of(backend_name) == nullptr) return;
        const BackendSettings& backend = found->second;
        const std::string path = join_key_path("backends", backend.name) + ".pricing";
        if (!priced_.insert(backend.name).second) return;
        const PriceList& price = backend.price;
        if (!price.priced()) {
            add(Severity::error, backend.where, path,
                "backend '" + backend.name + "' (plugin '" + backend.plugin + "') is a real backend of service '" +
                    service.name + "' but has no price; add [" + path +
                    "] with usd_per_million_tokens or usd_per_thousand_credits, or free = true, or price plugin '" +
                    backend.plugin + "' in the pricing file (cost.pricing)");
            return;
        }
        if (price.free) return;
        auto names = [](const auto& map) {
            std::vector<std::string> keys;
            for (const auto& [key, value] : map) keys.push_back(key);
            return keys;
        };
        if (!price.usd_per_million_tokens.empty()) {
            const std::string model = price.model_for("", model_setting(backend.settings));
            auto priced = names(price.usd_per_million_tokens);
            if (model.empty()) {
                add(Severity::error, backend.where, path,
                    "backend '" + backend.name + "' names no model to price its calls by; set settings.model or "
                    "pricing.default_model");
            } else if (!price.usd_per_million_tokens.count(model)) {
                add(Severity::error, backend.where, path,
                    "backend '" + backend.name + "' uses model '" + model + "', which has no price" +
                        did_you_mean(model, priced) + " (priced: " + join_alternatives(priced, ", ") +
                        "); add it under [" + path + ".usd_per_million_tokens]");
            }
        }
        if (price.usd_per_thousand_credits) {
            const std::string tier = price.tier_for("", tier_setting(backend.settings));
            auto tiers = names(price.credits_per_page);
            if (tiers.empty()) {
                add(Severity::error, backend.where, path,
                    "backend '" + backend.name + "' is priced by credits but has no credits_per_page, so its calls "
                    "cannot be estimated; add [" + path + ".credits_per_page]");
            } else if (tier.empty()) {
                add(Severity::error, backend.where, path,
                    "backend '" + backend.name + "' names no tier to price its calls by; set settings.tier (or "
                    "parse_mode) or pricing.default_tier");
            } else if (!price.credits_per_page.count(tier)) {
                add(Severity::error, backend.where, path,
                    "backend '" + backend.name + "' uses tier '" + tier + "', which has no credits_per_page" +
                        did_you_mean(tier, tiers) + " (priced: " + join_alternatives(tiers, ", ") +
                        "); add it under [" + path + ".credits_per_page]");
            }
        }
    }

    void check_api_key(const BackendSettings& backend, const PluginInfo& plugin, const std::string& path) {
        const std::string& prefix = plugin.api_key_prefix;
        if (backend.api_key.empty()) {
            std::vector<std::string> real, hybrid;  // services that may send real traffic to it
            bool listed = false;
            for (const auto& [name, service] : config_.services) {
                if (std::find(service.real.begin(), service.real.end(), backend.name) == service.real.end()) continue;
                listed = true;
                if (config_.mode_of(service) == Mode::real) real.push_back("'" + name + "'");
                if (config_.mode_of(service) == Mode::hybrid) hybrid.push_back("'" + name + "'");
            }
            std::string how = plugin.api_key_env.empty()
                                  ? "set api_key to a key starting with '" + prefix +
                                        "', preferably through a variable: api_key = \"${NAME}\""
                                  : "set " + plugin.api_key_env + " in the environment or in .env." +
                                        config_.environment + ", or api_key in [" + path + "]";
            auto services = [](const std::vector<std::string>& names) {
                return std::string(names.size() == 1 ? "service " : "services ") + join_alternatives(names, " and ");
            };
            if (!real.empty()) {
                add(Severity::error, backend.api_key_where, path,
                    "has no API key, but " + services(real) + " route" + (real.size() == 1 ? "s" : "") +
                        " to it in real mode; " + how);
            } else if (!hybrid.empty()) {
                add(Severity::warning, backend.api_key_where, path,
                    "has no API key, so it starts unhealthy (auth) and " + services(hybrid) +
                        " fall" + (hybrid.size() == 1 ? "s" : "") + " back to the mock; " + how);
            } else if (listed) {
                add(Severity::warning, backend.api_key_where, path,
                    "has no API key; it cannot serve until one is set: " + how);
            }
            return;
        }

        const std::string key_path = path + ".api_key";
        const std::string& key = backend.api_key.reveal();
        const std::string shown = "API key " + backend.api_key.redacted();
        if (!key.starts_with(prefix)) {
            add(Severity::error, backend.api_key_where, key_path,
                shown + " does not start with '" + prefix + "', which plugin '" + plugin.name +
                    "' expects; check that the key is for this provider");
        }
        if (std::any_of(key.begin(), key.end(), [](char c) { return std::isspace(static_cast<unsigned char>(c)); })) {
            add(Severity::error, backend.api_key_where, key_path,
                shown + " contains whitespace; remove the stray space or line break");
        }
        if (key.size() < prefix.size() + 8) {
            add(Severity::error, backend.api_key_where, key_path,
                shown + " is too short to be a key (fewer than " + std::to_string(prefix.size() + 8) +
                    " characters); check that it was copied whole");
        }
    }

    void check_capability(const ServiceSettings& service) {
        const std::string key_path = join_key_path("services", service.name) + ".capability";
        if (service.capability.empty()) return;  // the loader reported it
        bool offered_anywhere = std::any_of(plugins_.begin(), plugins_.end(),
                                            [&](const PluginInfo& p) { return offers(p, service.capability); });
        if (!offered_anywhere) {
            std::vector<std::string> all;
            for (const auto& plugin : plugins_) {
                for (const auto& capability : plugin.capabilities) {
                    if (std::find(all.begin(), all.end(), capability) == all.end()) all.push_back(capability);
                }
            }
            std::string message = "no plugin offers capability '" + service.capability + "'";
            if (auto suggestion = did_you_mean(service.capability, all); !suggestion.empty()) message += suggestion;
            else if (!all.empty()) message += "; offered: " + join_alternatives(all, ", ");
            add(Severity::error, service.capability_where, key_path, message);
            return;
        }

        std::vector<std::string> backends = service.real;
        if (!service.mock.empty()) backends.push_back(service.mock);
        for (const auto& name : backends) {
            const PluginInfo* plugin = plugin_of(name);
            if (!plugin || offers(*plugin, service.capability)) continue;
            std::vector<std::string> offered;
            for (const auto& capability : plugin->capabilities) offered.push_back("'" + capability + "'");
            add(Severity::error, service.capability_where, key_path,
                "backend '" + name + "' (plugin '" + plugin->name + "') does not offer capability '" +
                    service.capability + "'; it offers " + (offered.empty() ? "none" : join_alternatives(offered, ", ")));
        }
    }

    void add(Severity severity, const Position& where, std::string key_path, std::string message) {
        problems_.push_back({severity, where, std::move(key_path), std::move(message)});
    }

    const Config& config_;
    const std::vector<PluginInfo>& plugins_;
    std::vector<Problem> problems_;
    std::set<std::string> priced_;  // backends whose price was checked
};

}  // namespace

void apply_plugin_environment(Config& config, const std::vector<PluginInfo>& plugins, const Environment& env) {
    auto lookup = [&](const std::string& name) -> std::optional<std::pair<std::string, std::string>> {
        if (auto it = env.variables.find(name); it != env.variables.end() && !it->second.empty()) {
            return std::pair{it->second, "environment variable " + name};
        }
        if (auto it = config.dotenv.find(name); it != config.dotenv.end() && !it->second.empty()) {
            return std::pair{it->second, ".env." + config.environment + " variable " + name};
        }
        return std::nullopt;
    };
    for (auto& [name, backend] : config.backends) {
        auto plugin = std::find_if(plugins.begin(), plugins.end(),
                                   [&](const PluginInfo& p) { return p.name == backend.plugin; });
        if (plugin == plugins.end()) continue;
        if (backend.api_key.empty() && !plugin->api_key_env.empty()) {
            if (auto found = lookup(plugin->api_key_env)) {
                backend.api_key = Secret(std::move(found->first));
                backend.api_key_where = Position{std::move(found->second)};
            }
        }
        for (const auto& [key, variable] : plugin->settings_from_env) {
            if (backend.settings.contains(key)) continue;
            if (auto found = lookup(variable)) backend.settings.set(key, std::move(found->first), std::move(found->second));
        }
    }
}

std::vector<Problem> check_against_plugins(const Config& config, const std::vector<PluginInfo>& plugins) {
    return PluginChecker(config, plugins).run();
}

}  // namespace switchboard::config
