#pragma once

#include <array>
#include <atomic>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "config/config.hpp"
#include "cost/cost_policy.hpp"
#include "health/health_monitor.hpp"
#include "switchboard/error.hpp"
#include "switchboard/host_services.hpp"
#include "switchboard/result.hpp"
#include "switchboard/service_interface.hpp"
#include "switchboard/task.hpp"
#include "switchboard/types.hpp"

namespace switchboard::router {

// One started backend as the router sees it. `service` keeps its plugin library loaded; every
// call in flight holds a copy, so a late answer never runs in an unloaded library. `logger` is
// the host's logger tagged with this backend's name; owned by the host, it outlives the router.
struct Backend {
    std::string name;
    std::shared_ptr<ServiceInterface> service;
    Logger* logger = nullptr;
};

// A backend that did not serve, and why.
struct FallbackStep {
    std::string backend;
    Error error;
};

// The reason a call moved past a backend, as the ledger and response headers name it:
// "budget" for a spend cap, otherwise the error kind ("unavailable", "rate_limited", ...).
std::string_view fallback_reason(const Error& error) noexcept;

template <class T>
struct Routed {
    Result<T> result;
    std::string backend;  // who answered: served the value, or returned a non-fallback error;
                          // "" when nobody did (unknown service, or every backend failed over)
    std::vector<FallbackStep> fallbacks;  // in the order tried
    std::string request_id;
    config::Mode mode;
    cost::Money cost{};         // real spend of this call
    cost::Money shadow_cost{};  // what it would have cost on the real backend, when a mock answered
    std::chrono::nanoseconds backend_time{};  // inside backends' calls (plugin and upstream), all attempts

    // Why the call left the last backend it moved past; empty when it never fell back.
    std::string_view last_fallback_reason() const noexcept {
        return fallbacks.empty() ? std::string_view{} : fallback_reason(fallbacks.back().error);
    }
};

struct CallOptions {
    std::optional<config::Mode> mode;  // overrides the service's mode for this call
    std::string request_id;            // generated ("req_" + 16 hex) when empty
    std::string client{};              // who is calling, for the ledger ("cli", a client key's name)
};

// Sends each call to the backends its service's mode allows, in order, falling back on
// availability failures only, and asks the HealthMonitor which circuits are open and the cost
// policy (when there is one) whether each backend's call fits the budget; every call is recorded
// in the ledger before it returns. Thread-safe, many calls in flight at once; no lock is held
// while a plugin runs. The router, `health`, `clock`, `logger` and `cost` must outlive every
// call, and a call's Task must be awaited to the end.
class Router {
public:
    Router(const config::Config& config, std::map<std::string, Backend> backends,
           health::HealthMonitor& health, Clock& clock, Logger& logger, cost::CostPolicy* cost = nullptr);
    Router(const Router&) = delete;
    Router& operator=(const Router&) = delete;

    Task<Routed<EmbeddingsResponse>> embed(std::string service, EmbeddingsRequest request,
                                           CallOptions options = {});
    Task<Routed<ParseResponse>> parse(std::string service, ParseRequest request, CallOptions options = {});
    // An empty request.operation is taken to be the service's capability.
    Task<Routed<JsonResponse>> call(std::string service, JsonRequest request, CallOptions options = {});

    // Run-time switch of one service's mode; bad_request for an unknown service or a mode the
    // service has no backends for.
    Status set_mode(std::string_view service, config::Mode mode);
    void set_default_mode(config::Mode mode);           // for services without their own mode
    config::Mode mode(std::string_view service) const;  // the default mode for an unknown service
    std::vector<std::string> services() const;

private:
    struct Target {
        std::string name;
        const Backend* backend = nullptr;  // null: configured but not started
        std::string label;                 // "backend '<name>' <verb>": names a call in its errors
    };
    // What route() hands back to contain(), which records the call.
    template <class Response>
    struct Attempted {
        Routed<Response> routed;
        std::optional<cost::Admission> admission;  // the answering backend's
        // Attempts that failed after the request may have been billed (a timeout, a garbled
        // answer): they count at their estimate.
        std::vector<cost::BilledAttempt> maybe_billed{};
    };
    struct Route {
        config::ServiceSettings settings;
        std::vector<Target> targets;                        // the real ones in order, then the mock
        std::array<std::vector<const Target*>, 3> by_mode;  // indexed by config::Mode
        std::atomic<int> mode{-1};                          // a config::Mode, or -1: the default
    };

    // route() inside a net: an exception escaping the router's own code becomes Error{internal}
    // (a detached Routed task must never throw). Fills in options.request_id for route().
    template <class Operation>
    Task<Routed<typename Operation::Response>> contain(std::string service, typename Operation::Request request,
                                                       CallOptions options);
    // `service` is contain()'s, which awaits this call to its end.
    template <class Operation>
    Task<Attempted<typename Operation::Response>> route(const std::string& service,
                                                        typename Operation::Request request, CallOptions options);
    // Settles the cost and writes the ledger row; `routed` gains the call's cost.
    template <class Operation>
    Task<void> record(Attempted<typename Operation::Response>& attempted, const std::string& service,
                      const std::string& client, std::string requested, Clock::time_point started,
                      std::chrono::system_clock::time_point started_wall);

    const Route* find(std::string_view service) const;
    config::Mode mode_of(const Route& route) const;
    Error unknown_service(std::string_view service) const;
    Error no_backend_left(const Route& route, config::Mode mode, const std::string& request_id,
                          const std::vector<FallbackStep>& fallbacks) const;

    std::map<std::string, Backend, std::less<>> backends_;
    std::map<std::string, Route, std::less<>> routes_;
    health::HealthMonitor& health_;
    Clock& clock_;
    Logger& logger_;
    cost::CostPolicy* cost_;
    std::atomic<config::Mode> default_mode_;
};

}  // namespace switchboard::router
