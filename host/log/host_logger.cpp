#include "log/host_logger.hpp"

#include "log/utc_time.hpp"

#include <chrono>

#include <boost/json.hpp>
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

namespace switchboard::log {
namespace {

spdlog::level::level_enum to_spdlog(LogLevel level) {
    switch (level) {
        case LogLevel::trace: return spdlog::level::trace;
        case LogLevel::debug: return spdlog::level::debug;
        case LogLevel::info: return spdlog::level::info;
        case LogLevel::warn: return spdlog::level::warn;
        case LogLevel::error: return spdlog::level::err;
        case LogLevel::critical: return spdlog::level::critical;
    }
    return spdlog::level::info;
}

const char* pattern_for(Format format) {
    // JSON lines are built whole (timestamp included) so the message is properly escaped.
    return format == Format::json ? "%v" : "%Y-%m-%d %H:%M:%S.%e [%^%l%$] %v";
}

}  // namespace

HostLogger::HostLogger(Format format, LogLevel level)
    : HostLogger(std::make_shared<spdlog::logger>(
                     "switchboard", std::make_shared<spdlog::sinks::stderr_color_sink_mt>()),
                 format, level) {}

HostLogger::HostLogger(std::shared_ptr<spdlog::logger> sink, Format format, LogLevel level)
    : sink_(std::move(sink)), format_(format) {
    sink_->set_pattern(pattern_for(format_));
    sink_->set_level(to_spdlog(level));
    sink_->flush_on(spdlog::level::warn);
}

HostLogger::~HostLogger() { sink_->flush(); }

bool HostLogger::enabled(LogLevel level) const { return sink_->should_log(to_spdlog(level)); }

void HostLogger::log(LogLevel level, std::string_view request_id, std::string_view message) {
    log_as("host", level, request_id, message);
}

void HostLogger::log_as(std::string_view component, LogLevel level, std::string_view request_id,
                        std::string_view message) {
    auto spd_level = to_spdlog(level);
    if (!sink_->should_log(spd_level)) return;
    std::string clean = redact(message);
    if (format_ == Format::json) {
        boost::json::object line;
        line["ts"] = format_utc(std::chrono::system_clock::now());
        line["level"] = to_string(level);
        line["component"] = component;
        if (!request_id.empty()) line["request_id"] = request_id;
        line["msg"] = clean;
        sink_->log(spd_level, boost::json::serialize(line));
        return;
    }
    std::string text;
    text.reserve(component.size() + request_id.size() + clean.size() + 8);
    text.append("[").append(component).append("] ");
    if (!request_id.empty()) text.append("[").append(request_id).append("] ");
    text.append(clean);
    sink_->log(spd_level, text);
}

void HostLogger::set_level(LogLevel level) { sink_->set_level(to_spdlog(level)); }

void HostLogger::set_format(Format format) {
    format_ = format;
    sink_->set_pattern(pattern_for(format_));
}

void HostLogger::add_secret(std::string secret) {
    if (secret.size() < 6) return;
    std::lock_guard lock(secrets_mutex_);
    secrets_.push_back(std::move(secret));
}

std::string HostLogger::redact(std::string_view text) const {
    std::string out(text);
    std::lock_guard lock(secrets_mutex_);
    for (const auto& secret : secrets_) {
        for (auto pos = out.find(secret); pos != std::string::npos; pos = out.find(secret, pos)) {
            out.replace(pos, secret.size(), "[REDACTED]");
        }
    }
    return out;
}

}  // namespace switchboard::log
