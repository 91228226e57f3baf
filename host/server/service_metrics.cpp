#include "server/service_metrics.hpp"

#include <algorithm>
#include <sstream>

#include <prometheus/text_serializer.h>

namespace switchboard::server {
namespace {

// Seconds: 100 µs to 2 min, for upstream calls and the host's own share alike.
const prometheus::Histogram::BucketBoundaries latency_buckets{0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01,
                                                              0.025,  0.05,    0.1,    0.25,  0.5,    1,     2.5,
                                                              5,      10,      30,     60,    120};

double seconds(std::chrono::nanoseconds span) { return std::chrono::duration<double>(span).count(); }

}  // namespace

ServiceMetrics::ServiceMetrics()
    : registry_(std::make_shared<prometheus::Registry>()),
      requests_(prometheus::BuildCounter()
                    .Name("switchboard_requests_total")
                    .Help("Calls answered, by service, the backend that answered ('' for none) and outcome")
                    .Register(*registry_)),
      fallbacks_(prometheus::BuildCounter()
                     .Name("switchboard_fallbacks_total")
                     .Help("Calls that moved past a backend, by service and the reason of the last move")
                     .Register(*registry_)),
      backend_seconds_(prometheus::BuildHistogram()
                           .Name("switchboard_backend_seconds")
                           .Help("Time inside the backends' calls (plugin and upstream), all attempts of a call")
                           .Register(*registry_)),
      overhead_seconds_(prometheus::BuildHistogram()
                            .Name("switchboard_host_overhead_seconds")
                            .Help("Time in the host per call: the whole answer less the time inside the backends")
                            .Register(*registry_)),
      tokens_(prometheus::BuildCounter()
                  .Name("switchboard_input_tokens_total")
                  .Help("Input tokens of answered calls, by service and backend")
                  .Register(*registry_)),
      pages_(prometheus::BuildCounter()
                 .Name("switchboard_pages_total")
                 .Help("Pages of answered parse calls, by service and backend")
                 .Register(*registry_)),
      spend_(prometheus::BuildCounter()
                 .Name("switchboard_spend_usd_total")
                 .Help("Spend in USD by service and backend; kind real, or shadow for mock-served calls")
                 .Register(*registry_)),
      budget_remaining_(prometheus::BuildGauge()
                            .Name("switchboard_budget_remaining_usd")
                            .Help("What each cap has left in its current window (limit - spent - held)")
                            .Register(*registry_)),
      backend_up_(prometheus::BuildGauge()
                      .Name("switchboard_backend_healthy")
                      .Help("1 when the backend is healthy and its circuit closed, else 0")
                      .Register(*registry_)) {}

void ServiceMetrics::count(const std::string& service, const std::string& backend, const std::string& outcome,
                           const std::string& fallback_reason, const Usage* usage, double cost_usd,
                           double shadow_usd, std::chrono::nanoseconds backend_time,
                           std::chrono::nanoseconds total) {
    requests_.Add({{"service", service}, {"backend", backend}, {"outcome", outcome}}).Increment();
    if (!fallback_reason.empty()) fallbacks_.Add({{"service", service}, {"reason", fallback_reason}}).Increment();
    backend_seconds_.Add({{"service", service}, {"backend", backend}}, latency_buckets).Observe(seconds(backend_time));
    overhead_seconds_.Add({{"service", service}}, latency_buckets)
        .Observe(seconds(std::max(std::chrono::nanoseconds{0}, total - backend_time)));
    if (usage != nullptr) {
        if (usage->prompt_tokens > 0) {
            tokens_.Add({{"service", service}, {"backend", backend}}).Increment(static_cast<double>(usage->prompt_tokens));
        }
        if (usage->pages > 0) pages_.Add({{"service", service}, {"backend", backend}}).Increment(static_cast<double>(usage->pages));
    }
    if (cost_usd > 0) spend_.Add({{"service", service}, {"backend", backend}, {"kind", "real"}}).Increment(cost_usd);
    if (shadow_usd > 0) spend_.Add({{"service", service}, {"backend", backend}, {"kind", "shadow"}}).Increment(shadow_usd);
}

std::string ServiceMetrics::render(runtime::Runtime& runtime) {
    for (const auto& cap : runtime.cost().caps()) {
        const auto left = cap.limit - cap.spent - cap.reserved;
        budget_remaining_.Add({{"cap", cost::id_of(cap.key)}}).Set(static_cast<double>(std::max<std::int64_t>(left.nanos, 0)) / 1e9);
    }
    for (const auto& [name, health] : runtime.health().snapshot_all()) {
        const bool up = health.state == health::State::healthy && health.circuit == health::Circuit::closed;
        backend_up_.Add({{"backend", name}}).Set(up ? 1 : 0);
    }
    std::ostringstream out;
    prometheus::TextSerializer().Serialize(out, registry_->Collect());
    return out.str();
}

}  // namespace switchboard::server
