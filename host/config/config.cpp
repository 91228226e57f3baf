#include "config/config.hpp"

#include <charconv>

#include <algorithm>

#include <unistd.h>

namespace switchboard::config {

std::string_view to_string(Mode mode) noexcept {
    switch (mode) {
        case Mode::mock: return "mock";
        case Mode::real: return "real";
        case Mode::hybrid: return "hybrid";
    }
    return "mock";
}

std::optional<Mode> mode_from_string(std::string_view text) noexcept {
    for (auto mode : {Mode::mock, Mode::real, Mode::hybrid}) {
        if (to_string(mode) == text) return mode;
    }
    return std::nullopt;
}

std::string_view to_string(LogFormat format) noexcept {
    return format == LogFormat::json ? "json" : "text";
}

std::optional<LogFormat> log_format_from_string(std::string_view text) noexcept {
    for (auto format : {LogFormat::text, LogFormat::json}) {
        if (to_string(format) == text) return format;
    }
    return std::nullopt;
}

std::string Position::to_string() const {
    if (line == 0) return file;
    return file + ":" + std::to_string(line) + ":" + std::to_string(column);
}

std::string_view to_string(Severity severity) noexcept {
    return severity == Severity::error ? "error" : "warning";
}

std::string Problem::to_string() const {
    std::string text = where.to_string();
    if (!text.empty()) text += ": ";
    text += config::to_string(severity);
    text += ": ";
    if (!key_path.empty()) text += key_path + ": ";
    return text + message;
}

bool has_errors(const std::vector<Problem>& problems) noexcept {
    return std::any_of(problems.begin(), problems.end(),
                       [](const Problem& problem) { return problem.severity == Severity::error; });
}

Environment Environment::from_process() {
    Environment env;
    for (char** entry = environ; entry && *entry; ++entry) {
        std::string_view text(*entry);
        auto equals = text.find('=');
        if (equals == std::string_view::npos) continue;
        env.variables.emplace(std::string(text.substr(0, equals)), std::string(text.substr(equals + 1)));
    }
    return env;
}

std::optional<std::pair<std::string, std::uint16_t>> parse_listen(std::string_view text, std::string& why) {
    std::string_view host;
    std::string_view port;
    if (text.starts_with('[')) {
        auto close = text.find("]:");
        if (close == std::string_view::npos) {
            why = "an IPv6 address is written [ADDRESS]:PORT, e.g. [::1]:8080";
            return std::nullopt;
        }
        host = text.substr(1, close - 1);
        port = text.substr(close + 2);
    } else {
        auto colon = text.rfind(':');
        if (colon == std::string_view::npos) {
            why = "expected HOST:PORT, e.g. 127.0.0.1:8080 (port 0 picks a free one)";
            return std::nullopt;
        }
        host = text.substr(0, colon);
        port = text.substr(colon + 1);
    }
    if (host.empty()) {
        why = "the host is missing; use 127.0.0.1 for loopback or 0.0.0.0 for every interface";
        return std::nullopt;
    }
    unsigned value = 0;
    auto [end, error] = std::from_chars(port.data(), port.data() + port.size(), value);
    if (port.empty() || error != std::errc{} || end != port.data() + port.size() || value > 65535) {
        why = "the port must be a number from 0 to 65535, got '" + std::string(port) + "'";
        return std::nullopt;
    }
    return std::pair{std::string(host), static_cast<std::uint16_t>(value)};
}

}  // namespace switchboard::config
