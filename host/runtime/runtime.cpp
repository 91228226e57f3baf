#include "runtime/runtime.hpp"

#include <algorithm>

#include <boost/asio/post.hpp>

#include "http/url_text.hpp"
#include "plugin/guard.hpp"
#include "runtime/event_loops.hpp"

namespace switchboard::runtime {
namespace {

config::Problem error_at(const config::Position& where, std::string key_path, std::string message) {
    config::Problem p;
    p.severity = config::Severity::error;
    p.where = where;
    p.key_path = std::move(key_path);
    p.message = std::move(message);
    return p;
}

}  // namespace

Runtime::Runtime(const std::filesystem::path& config_file, const config::Environment& env,
                 Clock& clock, log::HostLogger& logger, http::Transport* transport, Purpose purpose)
    : clock_(clock), logger_(logger), transport_(transport) {
    register_secrets(env.variables);
    config::LoadResult loaded = config::load(config_file, env);
    problems_ = std::move(loaded.problems);
    if (loaded.config) {
        config_ = std::move(loaded.config);
        logger_.set_level(config_->host.log_level);
        logger_.set_format(config_->host.log_format == config::LogFormat::json ? log::Format::json
                                                                                 : log::Format::text);
        register_secrets(config_->dotenv);
        // Backends start even when the config has errors elsewhere, so that one run of
        // check-config reports the plugins' own settings problems too.
        scan_plugins(env);
        for (const auto& [name, backend] : config_->backends) {
            if (!backend.api_key.empty()) logger_.add_secret(backend.api_key.reveal());
            register_url_credentials(backend.settings);
        }
        start_backends();
    }
    if (config_ && purpose == Purpose::check) {
        if (auto problem = ledger::Ledger::check(config_->cost.ledger)) {
            problems_.push_back({config::Severity::error, {config_file.string()}, "cost.ledger", *problem});
        }
    }
    for (auto& problem : problems_) problem.message = logger_.redact(problem.message);
    if (!config_ || has_errors() || purpose == Purpose::check) return;

    health_logger_ = std::make_unique<log::ComponentLogger>(logger_, "health");
    router_logger_ = std::make_unique<log::ComponentLogger>(logger_, "router");
    health_ = std::make_unique<health::HealthMonitor>(config_->health, clock_, *health_logger_);
    std::map<std::string, router::Backend> routed;
    for (auto& backend : backends_) {
        health_->add(backend.name, backend.service);
        routed.emplace(backend.name, router::Backend{backend.name, backend.service, backend.logger.get()});
    }
    ledger_logger_ = std::make_unique<log::ComponentLogger>(logger_, "ledger");
    cost_logger_ = std::make_unique<log::ComponentLogger>(logger_, "cost");
    cost_metrics_ = std::make_unique<BackendMetrics>(metrics_, "cost");
    ledger::Options ledger_options;
    ledger_options.path = config_->cost.ledger;
    ledger_options.retention = config_->cost.retention;
    if (config_->cost.ledger_sync == config::LedgerSync::normal) {
        // Nobody waits for these commits: one every few milliseconds instead of one per call.
        ledger_options.sync = ledger::Sync::normal;
        ledger_options.gather = std::chrono::milliseconds(5);
    }
    ledger_options.now = [&clock = clock_] { return clock.wall_now(); };
    ledger_ = std::make_unique<ledger::Ledger>(std::move(ledger_options), *ledger_logger_);
    // A call waiting for its ledger commit ends on the event loop it ran on.
    auto resumer_of_this_thread = []() -> cost::CostPolicy::Resumer {
        auto* loop = EventLoops::current();
        if (loop == nullptr) return nullptr;
        return [loop](std::function<void()> fn) { boost::asio::post(*loop, std::move(fn)); };
    };
    cost_ = std::make_unique<cost::CostPolicy>(*config_, ledger_.get(), clock_, *cost_logger_, cost_metrics_.get(),
                                               resumer_of_this_thread);
    router_ = std::make_unique<router::Router>(*config_, std::move(routed), *health_, clock_,
                                               *router_logger_, cost_.get());
    for (auto& backend : backends_) {
        if (backend.missing_key) health_->record_failure(backend.name, *backend.missing_key);
    }
    health_->start();
}

// API keys reach the host through the environment or .env files (directly, or interpolated into
// config): treat every variable that names or looks like a credential as a secret from the first
// line on.
void Runtime::register_secrets(const std::map<std::string, std::string>& variables) {
    static constexpr std::string_view kNameEndings[] = {"KEY", "TOKEN", "SECRET", "PASSWORD"};
    static constexpr std::string_view kValuePrefixes[] = {"sk-", "llx-"};
    for (const auto& [name, value] : variables) {
        bool secret = false;
        for (auto ending : kNameEndings) secret = secret || name.ends_with(ending);
        for (auto prefix : kValuePrefixes) secret = secret || value.starts_with(prefix);
        if (secret) logger_.add_secret(value);
    }
}

// A setting holding a URL with "user:password@" (a gateway's base_url) carries a credential the
// plugin may log as part of the URL: redact the password wherever it appears.
void Runtime::register_url_credentials(const Settings& settings) {
    for (const auto& [key, value] : settings.values()) {
        const auto* text = std::get_if<std::string>(&value);
        if (!text) continue;
        if (auto password = http::url_password(*text)) logger_.add_secret(std::string(*password));
    }
}

Runtime::~Runtime() {
    if (health_) health_->stop();
    router_.reset();
    cost_.reset();
    ledger_.reset();  // writes what is queued
    for (auto& backend : backends_) shut_down(backend);
}

// Plugins must not throw from shutdown(); if one does, say so and go on with the others.
void Runtime::shut_down(RunningBackend& backend) {
    try {
        backend.service->shutdown();
    } catch (...) {
        backend.logger->log(LogLevel::error, "",
                            describe(plugin::escaped_exception("shutdown()")) + "; fix the plugin: shutdown() must not throw");
    }
}

std::vector<std::pair<std::string, std::string>> Runtime::status_details(std::string_view name) const {
    auto backend = std::find_if(backends_.begin(), backends_.end(), [&](const auto& b) { return b.name == name; });
    if (backend == backends_.end()) return {};
    try {
        return backend->service->status_details();
    } catch (...) {
        backend->logger->log(LogLevel::error, "", describe(plugin::escaped_exception("status_details()")));
        return {};
    }
}

bool Runtime::has_errors() const { return config::has_errors(problems_); }

void Runtime::scan_plugins(const config::Environment& env) {
    plugin::LoaderOptions options{config_->host.plugin_dirs, config_->plugin_pins};
    loader_logger_ = std::make_unique<log::ComponentLogger>(logger_, "plugins");
    loader_ = std::make_unique<plugin::PluginLoader>(std::move(options), *loader_logger_);
    plugins_ = loader_->discover();

    std::vector<PluginInfo> loaded;
    for (const auto& record : plugins_) {
        if (record.loaded()) {
            loaded.push_back(record.info);
            continue;
        }
        config::Problem rejected;
        rejected.severity = config::Severity::warning;
        rejected.where.file = record.file.string();
        rejected.message = "plugin file rejected: " + record.rejection;
        problems_.push_back(std::move(rejected));
    }
    config::apply_plugin_environment(*config_, loaded, env);
    auto more = config::check_against_plugins(*config_, loaded);
    problems_.insert(problems_.end(), more.begin(), more.end());
}

void Runtime::start_backends() {
    for (const auto& [name, settings] : config_->backends) {
        auto record = std::find_if(plugins_.begin(), plugins_.end(), [&](const auto& r) {
            return r.loaded() && r.info.name == settings.plugin;
        });
        if (record == plugins_.end()) continue;  // already reported by check_against_plugins

        auto created = loader_->create(*record);
        if (!created) {
            problems_.push_back(error_at(settings.plugin_where, "backends." + name + ".plugin",
                                         "plugin '" + settings.plugin +
                                             "' could not create the backend: " +
                                             created.error().message));
            continue;
        }
        RunningBackend backend;
        backend.name = name;
        backend.logger = std::make_unique<log::ComponentLogger>(logger_, "backend " + name);
        backend.metrics = std::make_unique<BackendMetrics>(metrics_, name);
        backend.service = std::move(created).value();

        if (transport_) {
            backend.http = std::make_unique<http::BackendHttpClient>(name, settings.http, *transport_, clock_,
                                                                     *backend.logger);
        }
        if (!record->info.api_key_prefix.empty() && settings.api_key.empty()) {
            std::string how = record->info.api_key_env.empty() ? "set api_key in [backends." + name + "]"
                                                                : "set " + record->info.api_key_env +
                                                                      " or api_key in [backends." + name + "]";
            backend.missing_key = Error::make(ErrorKind::auth, "no API key configured; " + how);
        }
        HostServices services{backend.logger.get(), &clock_, backend.metrics.get(), backend.http.get()};
        BackendConfig backend_config{name, settings.settings, settings.api_key};
        Status started;
        try {
            started = backend.service->start(services, backend_config);
        } catch (...) {
            started = plugin::escaped_exception("start()");
        }
        if (!started) {
            shut_down(backend);  // start() may have armed timers before it failed
            problems_.push_back(error_at(settings.where, "backends." + name + ".settings",
                                         "backend '" + name + "' (plugin '" + settings.plugin +
                                             "') did not start: " + started.error().message));
            continue;
        }
        backends_.push_back(std::move(backend));
    }
}

}  // namespace switchboard::runtime
