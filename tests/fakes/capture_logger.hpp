#pragma once

#include <map>
#include <mutex>
#include <string>
#include <vector>

#include "switchboard/host_services.hpp"

namespace switchboard::testing {

// Records every line so tests can assert on what was logged (and what never was).
class CaptureLogger final : public Logger {
public:
    struct Line {
        LogLevel level;
        std::string request_id;
        std::string message;
    };

    bool enabled(LogLevel) const override { return true; }
    void log(LogLevel level, std::string_view request_id, std::string_view message) override {
        std::lock_guard lock(mutex_);
        lines_.push_back({level, std::string(request_id), std::string(message)});
    }

    std::vector<Line> lines() const {
        std::lock_guard lock(mutex_);
        return lines_;
    }
    // Lines at `level` whose message contains `text`.
    std::size_t count(LogLevel level, std::string_view text) const {
        std::lock_guard lock(mutex_);
        std::size_t n = 0;
        for (const auto& line : lines_) n += line.level == level && line.message.find(text) != std::string::npos;
        return n;
    }
    // Whether exactly this line was logged.
    bool has(LogLevel level, std::string_view request_id, std::string_view message) const {
        std::lock_guard lock(mutex_);
        for (const auto& line : lines_) {
            if (line.level == level && line.request_id == request_id && line.message == message) return true;
        }
        return false;
    }
    bool contains(std::string_view text) const {
        std::lock_guard lock(mutex_);
        for (const auto& line : lines_) {
            if (line.message.find(text) != std::string::npos) return true;
        }
        return false;
    }

private:
    mutable std::mutex mutex_;
    std::vector<Line> lines_;
};

// Metrics that remember the last value of each name, summed for counters.
class RecordingMetrics final : public Metrics {
public:
    void add(std::string_view name, double value) override {
        std::lock_guard lock(mutex_);
        counters_[std::string(name)] += value;
    }
    void set(std::string_view name, double value) override {
        std::lock_guard lock(mutex_);
        gauges_[std::string(name)] = value;
    }
    void observe(std::string_view name, double value) override {
        std::lock_guard lock(mutex_);
        observations_[std::string(name)].push_back(value);
    }
    double counter(const std::string& name) const {
        std::lock_guard lock(mutex_);
        auto it = counters_.find(name);
        return it == counters_.end() ? 0.0 : it->second;
    }

private:
    mutable std::mutex mutex_;
    std::map<std::string, double> counters_;
    std::map<std::string, double> gauges_;
    std::map<std::string, std::vector<double>> observations_;
};

}  // namespace switchboard::testing
