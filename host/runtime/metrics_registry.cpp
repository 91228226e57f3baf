#include "runtime/metrics_registry.hpp"

#include <algorithm>

namespace switchboard::runtime {

std::string MetricsRegistry::key(std::string_view backend, std::string_view name) {
    std::string out(name);
    if (!backend.empty()) out.append("{backend=\"").append(backend).append("\"}");
    return out;
}

void MetricsRegistry::add(std::string_view backend, std::string_view name, double value) {
    std::lock_guard lock(mutex_);
    data_.counters[key(backend, name)] += value;
}

void MetricsRegistry::set(std::string_view backend, std::string_view name, double value) {
    std::lock_guard lock(mutex_);
    data_.gauges[key(backend, name)] = value;
}

void MetricsRegistry::observe(std::string_view backend, std::string_view name, double value) {
    std::lock_guard lock(mutex_);
    Summary& s = data_.histograms[key(backend, name)];
    s.min = s.count == 0 ? value : std::min(s.min, value);
    s.max = s.count == 0 ? value : std::max(s.max, value);
    s.sum += value;
    ++s.count;
}

MetricsRegistry::Snapshot MetricsRegistry::snapshot() const {
    std::lock_guard lock(mutex_);
    return data_;
}

}  // namespace switchboard::runtime
