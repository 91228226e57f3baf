#pragma once

#include <chrono>
#include <coroutine>
#include <cstdint>
#include <functional>
#include <optional>
#include <string_view>

#include "switchboard/visibility.hpp"

namespace switchboard {

enum class LogLevel { trace, debug, info, warn, error, critical };

constexpr std::string_view to_string(LogLevel level) noexcept {
    switch (level) {
        case LogLevel::trace: return "trace";
        case LogLevel::debug: return "debug";
        case LogLevel::info: return "info";
        case LogLevel::warn: return "warn";
        case LogLevel::error: return "error";
        case LogLevel::critical: return "critical";
    }
    return "info";
}

inline std::optional<LogLevel> log_level_from_string(std::string_view text) noexcept {
    for (auto level : {LogLevel::trace, LogLevel::debug, LogLevel::info, LogLevel::warn, LogLevel::error,
                       LogLevel::critical}) {
        if (to_string(level) == text) return level;
    }
    return std::nullopt;
}

// The host's logger (spdlog inside the host; plugins never link spdlog). The host tags every
// line with the backend name and redacts known secrets. Thread-safe.
class SWITCHBOARD_API Logger {
public:
    virtual ~Logger() = default;
    virtual bool enabled(LogLevel level) const = 0;
    // request_id may be empty for lines not about a call.
    virtual void log(LogLevel level, std::string_view request_id, std::string_view message) = 0;
};

// Time and timers. The host's clock is steady time on its event loop; tests inject a manual clock
// and advance it, so every timeout and poll interval is tested without sleeping. Thread-safe.
class SWITCHBOARD_API Clock {
public:
    using duration = std::chrono::nanoseconds;
    using time_point = std::chrono::steady_clock::time_point;
    using TimerId = std::uint64_t;

    virtual ~Clock() = default;
    virtual time_point now() const = 0;                              // monotonic
    virtual std::chrono::system_clock::time_point wall_now() const = 0;  // calendar time
    // Runs `fn` once, on a host thread, no earlier than `delay` from now. Never runs it inline.
    // A zero delay may return 0, which names no timer: such a call cannot be cancelled.
    virtual TimerId call_after(duration delay, std::function<void()> fn) = 0;
    // Stops a timer that has not fired; returns false if it already ran or was unknown.
    virtual bool cancel(TimerId id) = 0;
};

// Counters, gauges and histograms; the host labels them with the backend name. Thread-safe.
class SWITCHBOARD_API Metrics {
public:
    virtual ~Metrics() = default;
    virtual void add(std::string_view counter, double value) = 0;
    virtual void set(std::string_view gauge, double value) = 0;
    virtual void observe(std::string_view histogram, double value) = 0;
};

// The host's asynchronous HTTP client, defined in switchboard/http.hpp.
class HttpClient;

// Services the host hands a plugin in start(). The pointers are owned by the host and stay valid
// until the plugin's shutdown() has returned. `http` is the backend's own client, configured by
// its [backends.NAME.http] table; null in hosts without networking.
struct SWITCHBOARD_API HostServices {
    Logger* logger = nullptr;
    Clock* clock = nullptr;
    Metrics* metrics = nullptr;
    HttpClient* http = nullptr;
};

// co_await sleep_for(clock, 5s): suspends the calling coroutine without holding a thread.
inline auto sleep_for(Clock& clock, Clock::duration delay) {
    struct Awaiter {
        Clock& clock;
        Clock::duration delay;
        bool await_ready() const noexcept { return delay <= Clock::duration::zero(); }
        void await_suspend(std::coroutine_handle<> handle) {
            clock.call_after(delay, [handle] { handle.resume(); });
        }
        void await_resume() const noexcept {}
    };
    return Awaiter{clock, delay};
}

}  // namespace switchboard
