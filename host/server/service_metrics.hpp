#pragma once

#include <chrono>
#include <memory>
#include <string>

#include <prometheus/counter.h>
#include <prometheus/family.h>
#include <prometheus/gauge.h>
#include <prometheus/histogram.h>
#include <prometheus/registry.h>

#include "router/router.hpp"
#include "runtime/runtime.hpp"

namespace switchboard::server {

// What the service exposes on GET /metrics, in the Prometheus text format (prometheus-cpp's
// core, no exposer of its own): calls by service, backend and outcome; fallbacks by reason; time
// inside the backends and in the host; tokens and pages; real and shadow spend; and, read at each
// scrape, budget remaining per cap and each backend's health. Thread-safe.
class ServiceMetrics {
public:
    ServiceMetrics();

    // One finished call: what the router returned and how long the whole answer took.
    template <class T>
    void record(const std::string& service, const router::Routed<T>& routed, const Usage* usage,
                std::chrono::nanoseconds total);

    // The text exposition, gauges refreshed from `runtime` first.
    std::string render(runtime::Runtime& runtime);

private:
    void count(const std::string& service, const std::string& backend, const std::string& outcome,
               const std::string& fallback_reason, const Usage* usage, double cost_usd, double shadow_usd,
               std::chrono::nanoseconds backend_time, std::chrono::nanoseconds total);

    std::shared_ptr<prometheus::Registry> registry_;
    prometheus::Family<prometheus::Counter>& requests_;
    prometheus::Family<prometheus::Counter>& fallbacks_;
    prometheus::Family<prometheus::Histogram>& backend_seconds_;
    prometheus::Family<prometheus::Histogram>& overhead_seconds_;
    prometheus::Family<prometheus::Counter>& tokens_;
    prometheus::Family<prometheus::Counter>& pages_;
    prometheus::Family<prometheus::Counter>& spend_;
    prometheus::Family<prometheus::Gauge>& budget_remaining_;
    prometheus::Family<prometheus::Gauge>& backend_up_;
};

template <class T>
void ServiceMetrics::record(const std::string& service, const router::Routed<T>& routed, const Usage* usage,
                            std::chrono::nanoseconds total) {
    const std::string outcome = routed.result.ok() ? "ok" : std::string(to_string(routed.result.error().kind));
    const std::string reason(routed.last_fallback_reason());
    count(service, routed.backend, outcome, reason, usage, static_cast<double>(routed.cost.nanos) / 1e9,
          static_cast<double>(routed.shadow_cost.nanos) / 1e9, routed.backend_time, total);
}

}  // namespace switchboard::server
