#pragma once

#include <map>
#include <mutex>
#include <string>
#include <string_view>

#include "switchboard/host_services.hpp"

namespace switchboard::runtime {

// In-process metrics: counters, gauges and histogram summaries keyed by name and backend, as
// plugins record them through BackendMetrics. Thread-safe. snapshot() is what the HTTP service's
// metrics endpoint will expose.
class MetricsRegistry {
public:
    struct Summary {
        std::uint64_t count = 0;
        double sum = 0;
        double min = 0;
        double max = 0;
    };
    struct Snapshot {
        std::map<std::string, double> counters;   // "name{backend=\"x\"}" -> value
        std::map<std::string, double> gauges;
        std::map<std::string, Summary> histograms;
    };

    void add(std::string_view backend, std::string_view name, double value);
    void set(std::string_view backend, std::string_view name, double value);
    void observe(std::string_view backend, std::string_view name, double value);
    Snapshot snapshot() const;

private:
    static std::string key(std::string_view backend, std::string_view name);

    mutable std::mutex mutex_;
    Snapshot data_;
};

// The Metrics a plugin receives: everything it records is labelled with its backend.
class BackendMetrics final : public Metrics {
public:
    BackendMetrics(MetricsRegistry& registry, std::string backend)
        : registry_(registry), backend_(std::move(backend)) {}

    void add(std::string_view name, double value) override { registry_.add(backend_, name, value); }
    void set(std::string_view name, double value) override { registry_.set(backend_, name, value); }
    void observe(std::string_view name, double value) override {
        registry_.observe(backend_, name, value);
    }

private:
    MetricsRegistry& registry_;
    std::string backend_;
};

}  // namespace switchboard::runtime
