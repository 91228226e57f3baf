#pragma once

#include <chrono>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <utility>

#include <catch2/catch.hpp>

#include "config/config.hpp"
#include "fakes/capture_logger.hpp"
#include "fakes/manual_clock.hpp"
#include "fakes/scripted_backend.hpp"
#include "health/health_monitor.hpp"
#include "router/router.hpp"

namespace switchboard::testing {

// A call started on the test thread; its result shows up when the clock has moved far enough.
template <class T>
class Pending {
public:
    explicit Pending(Task<T> task) : result_(std::make_shared<std::optional<T>>()) {
        std::move(task).start([result = result_](T value) { result->emplace(std::move(value)); });
    }
    bool done() const { return result_->has_value(); }
    T& get() { return **result_; }

private:
    std::shared_ptr<std::optional<T>> result_;
};

// Advances the clock one millisecond at a time until the call finishes (at most `limit`), so the
// clock stops exactly when the result arrived.
template <class T>
T run(ManualClock& clock, Task<T> task, std::chrono::milliseconds limit = std::chrono::seconds(60)) {
    Pending<T> pending(std::move(task));
    clock.run_ready();
    for (std::chrono::milliseconds waited{0}; !pending.done() && waited < limit; ++waited) {
        clock.advance(std::chrono::milliseconds(1));
    }
    REQUIRE(pending.done());
    return std::move(pending.get());
}

// Three started backends (real-a, real-b, mock) behind three services:
//   embed     embeddings  real [real-a, real-b]  mock "mock"  fallback_timeout 1000 ms
//   docs      parse       real [real-a]          mock "mock"
//   summarize summarize   real [real-a]          mock "mock"
// Tests change `config` and `backends` before build().
struct RouterRig {
    ManualClock clock;
    CaptureLogger log;          // the router's and the health monitor's
    CaptureLogger backend_log;  // handed to the plugins in CallContext
    config::Config config;
    std::map<std::string, std::shared_ptr<ScriptedBackend>> fakes;
    std::map<std::string, router::Backend> backends;
    std::unique_ptr<health::HealthMonitor> health;
    std::unique_ptr<router::Router> router;

    explicit RouterRig(std::optional<config::Mode> embed_mode = config::Mode::hybrid) {
        config.host.default_mode = config::Mode::mock;
        config.health.failure_threshold = 3;
        config.health.cooldown = std::chrono::seconds(30);
        add_service("embed", "embeddings", {"real-a", "real-b"}, "mock", embed_mode);
        add_service("docs", "parse", {"real-a"}, "mock", std::nullopt);
        add_service("summarize", "summarize", {"real-a"}, "mock", std::nullopt);
        for (const char* name : {"real-a", "real-b", "mock"}) {
            auto fake = std::make_shared<ScriptedBackend>(name, clock);
            fakes[name] = fake;
            backends[name] = router::Backend{name, fake, &backend_log};
        }
    }

    ~RouterRig() {
        // Let every late or hung call finish so no coroutine frame is left behind.
        if (health) health->stop();
        for (auto& [name, fake] : fakes) fake->release_hung();
        clock.advance(std::chrono::minutes(10));
    }

    void add_service(std::string name, std::string capability, std::vector<std::string> real,
                     std::string mock, std::optional<config::Mode> mode) {
        config::ServiceSettings service;
        service.name = name;
        service.capability = std::move(capability);
        service.real = std::move(real);
        service.mock = std::move(mock);
        service.mode = mode;
        service.fallback_timeout = std::chrono::milliseconds(1000);
        config.services[name] = std::move(service);
    }

    RouterRig& build() {
        health = std::make_unique<health::HealthMonitor>(config.health, clock, log);
        router = std::make_unique<router::Router>(config, backends, *health, clock, log);
        return *this;
    }

    ScriptedBackend& fake(const std::string& name) { return *fakes.at(name); }

    router::Routed<EmbeddingsResponse> embed(std::vector<std::string> inputs,
                                             router::CallOptions options = {},
                                             std::string service = "embed") {
        EmbeddingsRequest request;
        request.inputs = std::move(inputs);
        return run(clock, router->embed(std::move(service), std::move(request), std::move(options)));
    }

    static router::CallOptions id(std::string request_id, std::optional<config::Mode> mode = std::nullopt) {
        return router::CallOptions{mode, std::move(request_id)};
    }
};

}  // namespace switchboard::testing
