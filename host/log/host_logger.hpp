#pragma once

#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "switchboard/host_services.hpp"

namespace spdlog {
class logger;
}

namespace switchboard::log {

enum class Format { text, json };


// The host's one logger: every line from the host and from plugins goes through it to spdlog,
// tagged with a component (e.g. "router", "backend mock-embed") and the request id, and with
// every registered secret replaced by "[REDACTED]" before the line is built. Thread-safe.
class HostLogger final : public Logger {
public:
    // Logs to stderr: human-readable text, or one JSON object per line.
    HostLogger(Format format, LogLevel level);
    // Logs to an existing spdlog logger (tests pass one with an ostream sink).
    HostLogger(std::shared_ptr<spdlog::logger> sink, Format format, LogLevel level);
    ~HostLogger() override;

    bool enabled(LogLevel level) const override;
    void log(LogLevel level, std::string_view request_id, std::string_view message) override;
    void log_as(std::string_view component, LogLevel level, std::string_view request_id,
                std::string_view message);

    void set_level(LogLevel level);
    void set_format(Format format);
    // From now on `secret` never appears in a line (values shorter than 6 chars are ignored:
    // they would redact ordinary words).
    void add_secret(std::string secret);
    std::string redact(std::string_view text) const;

private:
    std::shared_ptr<spdlog::logger> sink_;
    Format format_;
    mutable std::mutex secrets_mutex_;
    std::vector<std::string> secrets_;
};

// A view of the host logger for one component; what a plugin receives as its Logger.
class ComponentLogger final : public Logger {
public:
    ComponentLogger(HostLogger& host, std::string component)
        : host_(host), component_(std::move(component)) {}

    bool enabled(LogLevel level) const override { return host_.enabled(level); }
    void log(LogLevel level, std::string_view request_id, std::string_view message) override {
        host_.log_as(component_, level, request_id, message);
    }
    const std::string& component() const { return component_; }

private:
    HostLogger& host_;
    std::string component_;
};

}  // namespace switchboard::log
