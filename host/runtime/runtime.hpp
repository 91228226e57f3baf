#pragma once

#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "config/config.hpp"
#include "cost/cost_policy.hpp"
#include "health/health_monitor.hpp"
#include "http/backend_http_client.hpp"
#include "http/transport.hpp"
#include "ledger/ledger.hpp"
#include "log/host_logger.hpp"
#include "plugin/plugin_loader.hpp"
#include "router/router.hpp"
#include "runtime/metrics_registry.hpp"

namespace switchboard::runtime {

// Everything the host runs, assembled from one config file, walking the line once: config →
// plugins → backends (created and started) → health (probing) → ledger and cost policy → router. Problems found on the
// way are collected, not thrown, so `check-config` can print all of them; ok() says whether the
// host can serve. Owns the backends and shuts them down on destruction.
//
// Each backend gets its own HttpClient over `transport` (null: backends get no HTTP client, as in
// tests of mock-only configs). Stop the event loop that runs `clock` and `transport` before
// destroying a Runtime: calls still in flight are then abandoned (never resumed), and the
// backends are shut down. `transport` must outlive the Runtime.
class Runtime {
public:
    // check: assemble only what finds problems (config, plugins, backends) and check the ledger's
    // path without creating or changing the file; router(), health(), cost() and ledger() do not
    // exist, and ok() is false. For `switchboard check-config`.
    enum class Purpose { run, check };

    Runtime(const std::filesystem::path& config_file, const config::Environment& env,
            Clock& clock, log::HostLogger& logger, http::Transport* transport = nullptr,
            Purpose purpose = Purpose::run);
    ~Runtime();
    Runtime(const Runtime&) = delete;
    Runtime& operator=(const Runtime&) = delete;

    // False when any error-severity problem was found; then only problems() and plugins() are
    // meaningful (router() and health() exist only when ok()).
    bool ok() const { return router_ != nullptr; }
    const std::vector<config::Problem>& problems() const { return problems_; }

    const config::Config* config() const { return config_ ? &*config_ : nullptr; }
    const std::vector<plugin::PluginRecord>& plugins() const { return plugins_; }
    router::Router& router() { return *router_; }
    health::HealthMonitor& health() { return *health_; }
    cost::CostPolicy& cost() { return *cost_; }
    ledger::Ledger& ledger() { return *ledger_; }
    Clock& clock() const noexcept { return clock_; }
    MetricsRegistry& metrics() { return metrics_; }
    // What the backend's plugin reports about its upstream (status_details()); empty for an
    // unknown backend or one whose plugin threw.
    std::vector<std::pair<std::string, std::string>> status_details(std::string_view backend) const;

private:
    // Members are destroyed bottom-up: the service goes before the services it was handed.
    struct RunningBackend {
        std::string name;
        std::unique_ptr<log::ComponentLogger> logger;
        std::unique_ptr<BackendMetrics> metrics;
        std::unique_ptr<http::BackendHttpClient> http;
        std::shared_ptr<ServiceInterface> service;
        std::optional<Error> missing_key;  // set when the plugin needs a key and none was configured
    };

    void register_secrets(const std::map<std::string, std::string>& variables);
    void register_url_credentials(const Settings& settings);
    void scan_plugins(const config::Environment& env);
    void start_backends();
    void shut_down(RunningBackend& backend);
    bool has_errors() const;

    Clock& clock_;
    log::HostLogger& logger_;
    http::Transport* transport_;
    MetricsRegistry metrics_;
    std::optional<config::Config> config_;
    std::vector<config::Problem> problems_;
    std::unique_ptr<log::ComponentLogger> loader_logger_;
    std::unique_ptr<plugin::PluginLoader> loader_;
    std::vector<plugin::PluginRecord> plugins_;
    std::vector<RunningBackend> backends_;
    std::unique_ptr<log::ComponentLogger> health_logger_;
    std::unique_ptr<log::ComponentLogger> router_logger_;
    std::unique_ptr<health::HealthMonitor> health_;
    std::unique_ptr<log::ComponentLogger> ledger_logger_;
    std::unique_ptr<log::ComponentLogger> cost_logger_;  // before ledger_: it reports through it after cost_ is gone
    std::unique_ptr<BackendMetrics> cost_metrics_;
    std::unique_ptr<ledger::Ledger> ledger_;
    std::unique_ptr<cost::CostPolicy> cost_;
    std::unique_ptr<router::Router> router_;
};

}  // namespace switchboard::runtime
