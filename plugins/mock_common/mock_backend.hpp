#pragma once

#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "mock_common/fault_injector.hpp"
#include "mock_common/setting_checks.hpp"
#include "switchboard/service_interface.hpp"

namespace switchboard::mock {

// Whether a debug line for `ctx` would be written; build the line only when it would.
inline bool debug_enabled(const CallContext& ctx) {
    return ctx.logger && ctx.logger->enabled(LogLevel::debug);
}

// What every mock backend shares: start() refuses unknown keys and a missing clock and sets up
// failure injection; health() answers through the injector; calls guard against a missing start().
class MockBackend : public ServiceInterface {
public:
    // Accepts the fault settings (FaultSettings::keys) and the plugin's own keys, nothing else.
    Status start(const HostServices& host, const BackendConfig& config) final {
        const Settings& settings = config.settings;
        std::vector<std::string_view> known = own_keys_;
        known.insert(known.end(), FaultSettings::keys.begin(), FaultSettings::keys.end());
        if (auto checked = settings.only_keys(known); !checked) return checked;
        if (!host.clock) {
            return Error::make(ErrorKind::internal,
                               plugin_ + " backend '" + config.backend +
                                   "' needs a clock from the host (HostServices::clock is null)");
        }
        if (auto own = configure(settings); !own) return own;
        auto faults = FaultSettings::from(settings);
        if (!faults) return std::move(faults).error();

        clock_ = host.clock;
        faults_.emplace(plugin_, faults.value());
        if (host.logger && host.logger->enabled(LogLevel::debug)) {
            std::string own = describe_settings();
            host.logger->log(LogLevel::debug, "",
                             plugin_ + " started: " + (own.empty() ? "" : own + ", ") + faults->describe());
        }
        return {};
    }

    // Healthy, or an injected failure at failure_rate, drawn apart from the calls' failures.
    Task<Status> health(CallContext ctx) final {
        if (auto error = not_started(ctx, "probed")) co_return std::move(*error);
        auto probe = faults_->enact_probe(faults_->next_probe(), *clock_, std::move(ctx));
        co_return co_await probe;
    }

protected:
    // `own_keys`: the plugin's settings besides the fault settings; string literals.
    MockBackend(std::string_view plugin, std::initializer_list<std::string_view> own_keys)
        : plugin_(plugin), own_keys_(own_keys) {}

    // Reads and keeps the plugin's own settings. start() calls it after the key and clock checks,
    // before the fault settings are read.
    virtual Status configure(const Settings& /*settings*/) { return {}; }

    // The plugin's own settings for the start-up debug line ("model 'x', 8 dimensions"), or "".
    virtual std::string describe_settings() const { return {}; }

    // An internal error if start() has not succeeded; check it first in every call.
    std::optional<Error> guard_started(const CallContext& ctx) const { return not_started(ctx, "called"); }

    // The next call's plan: its index, latency and injected failure. Only after guard_started().
    CallPlan next_call() noexcept { return faults_->next(); }

    // Waits out `plan`'s latency, then returns its injected error; see FaultInjector::enact.
    Task<Status> enact(CallPlan plan, CallContext ctx) const {
        return faults_->enact(plan, *clock_, std::move(ctx));
    }

private:
    std::optional<Error> not_started(const CallContext& ctx, std::string_view what) const {
        if (faults_) return std::nullopt;
        return Error::make(ErrorKind::internal, plugin_ + " was " + std::string(what) +
                                                    " before start() (request " + ctx.request_id + ")");
    }

    std::string plugin_;
    std::vector<std::string_view> own_keys_;
    Clock* clock_ = nullptr;
    std::optional<FaultInjector> faults_;  // set by start()
};

}  // namespace switchboard::mock
