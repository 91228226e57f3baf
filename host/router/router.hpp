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

template <class T>
struct Routed {
    Result<T> result;
    std::string backend;  // who answered: served the value, or returned a non-fallback error;
                          // "" when nobody did (unknown service, or every backend failed over)
    std::vector<FallbackStep> fallbacks;  // in the order tried
    std::string request_id;
    config::Mode mode;
};

struct CallOptions {
    std::optional<config::Mode> mode;  // overrides the service's mode for this call
    std::string request_id;            // generated ("req_" + 16 hex) when empty
};

// Sends each call to the backends its service's mode allows, in order, falling back on
// availability failures only, and asks the HealthMonitor which circuits are open. Thread-safe,
// many calls in flight at once; no lock is held while a plugin runs. The router, `health`,
// `clock` and `logger` must outlive every call, and a call's Task must be awaited to the end.
class Router {
public:
    Router(const config::Config& config, std::map<std::string, Backend> backends,
           health::HealthMonitor& health, Clock& clock, Logger& logger);
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
    Task<Routed<typename Operation::Response>> route(const std::string& service,
                                                     typename Operation::Request request, CallOptions options);

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
    std::atomic<config::Mode> default_mode_;
};

}  // namespace switchboard::router
