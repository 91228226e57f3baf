#pragma once

#include <array>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

#include "mock_common/hashing.hpp"
#include "mock_common/setting_checks.hpp"
#include "switchboard/call_context.hpp"
#include "switchboard/host_services.hpp"
#include "switchboard/result.hpp"
#include "switchboard/settings.hpp"
#include "switchboard/task.hpp"

namespace switchboard::mock {

// How an injected failure shows itself.
enum class FailureKind {
    unavailable,   // Error{unavailable}
    timeout,       // hangs for timeout_hang_ms, then Error{timeout}
    rate_limited,  // Error{rate_limited} with retry_after
    malformed,     // a result of the wrong shape, on purpose; the router must reject it
};

constexpr std::string_view to_string(FailureKind kind) noexcept {
    switch (kind) {
        case FailureKind::unavailable: return "unavailable";
        case FailureKind::timeout: return "timeout";
        case FailureKind::rate_limited: return "rate_limited";
        case FailureKind::malformed: return "malformed";
    }
    return "unavailable";
}

inline std::optional<FailureKind> failure_kind_from_string(std::string_view text) noexcept {
    for (auto kind : {FailureKind::unavailable, FailureKind::timeout, FailureKind::rate_limited,
                      FailureKind::malformed}) {
        if (to_string(kind) == text) return kind;
    }
    return std::nullopt;
}

// The failure-injection and latency settings every mock accepts.
struct FaultSettings {
    static constexpr std::int64_t max_ms = 3'600'000;  // one hour
    // Every key from() reads, in the order the unknown-key error lists them.
    static constexpr std::array<std::string_view, 8> keys = {
        "seed", "failure_rate", "failure_kind", "retry_after_ms",
        "latency_ms", "latency_min_ms", "latency_max_ms", "timeout_hang_ms"};

    std::int64_t seed = 0;
    double failure_rate = 0.0;
    FailureKind failure_kind = FailureKind::unavailable;
    std::chrono::milliseconds retry_after{1'000};
    std::chrono::milliseconds latency_min{0};  // equal to latency_max for a fixed latency
    std::chrono::milliseconds latency_max{0};
    std::chrono::milliseconds timeout_hang{60'000};

    static Result<FaultSettings> from(const Settings& settings) {
        FaultSettings out;
        auto seed = settings.get<std::int64_t>("seed", 0);
        if (!seed) return std::move(seed).error();
        out.seed = seed.value();

        auto rate = number_setting(settings, "failure_rate", 0.0, 0.0, 1.0);
        if (!rate) return std::move(rate).error();
        out.failure_rate = rate.value();

        auto kind_name = settings.get<std::string>("failure_kind", "unavailable");
        if (!kind_name) return std::move(kind_name).error();
        auto kind = failure_kind_from_string(kind_name.value());
        if (!kind) {
            return bad_setting(settings, "failure_kind",
                               "must be one of unavailable, timeout, rate_limited, malformed; got '" +
                                   kind_name.value() + "'");
        }
        out.failure_kind = *kind;

        auto retry_after = int_setting(settings, "retry_after_ms", 1'000, 0, max_ms);
        if (!retry_after) return std::move(retry_after).error();
        out.retry_after = std::chrono::milliseconds(retry_after.value());

        auto hang = int_setting(settings, "timeout_hang_ms", 60'000, 0, max_ms);
        if (!hang) return std::move(hang).error();
        out.timeout_hang = std::chrono::milliseconds(hang.value());

        if (auto latency = read_latency(settings, out); !latency) return std::move(latency).error();
        return out;
    }

    // One line for the start-up log.
    std::string describe() const {
        std::string latency = latency_min == latency_max
                                  ? std::to_string(latency_min.count()) + " ms"
                                  : std::to_string(latency_min.count()) + "-" +
                                        std::to_string(latency_max.count()) + " ms";
        return "failure_rate " + format_number(failure_rate) + " (" + std::string(to_string(failure_kind)) +
               "), latency " + latency + ", seed " + std::to_string(seed);
    }

private:
    static Status read_latency(const Settings& settings, FaultSettings& out) {
        bool fixed = settings.contains("latency_ms");
        bool has_min = settings.contains("latency_min_ms");
        bool has_max = settings.contains("latency_max_ms");
        if (fixed && (has_min || has_max)) {
            return bad_setting(settings, "latency_ms",
                               "cannot be combined with 'latency_min_ms'/'latency_max_ms': set one fixed "
                               "latency or a range");
        }
        if (has_min != has_max) {
            return bad_setting(settings, has_min ? "latency_max_ms" : "latency_min_ms",
                               std::string("is required when '") +
                                   (has_min ? "latency_min_ms" : "latency_max_ms") + "' is set");
        }
        if (fixed) {
            auto ms = int_setting(settings, "latency_ms", 0, 0, max_ms);
            if (!ms) return std::move(ms).error();
            out.latency_min = out.latency_max = std::chrono::milliseconds(ms.value());
            return {};
        }
        if (!has_min) return {};
        auto min = int_setting(settings, "latency_min_ms", 0, 0, max_ms);
        if (!min) return std::move(min).error();
        auto max = int_setting(settings, "latency_max_ms", 0, 0, max_ms);
        if (!max) return std::move(max).error();
        if (min.value() > max.value()) {
            return bad_setting(settings, "latency_min_ms",
                               "must not exceed 'latency_max_ms' (" + std::to_string(max.value()) +
                                   "), got " + std::to_string(min.value()));
        }
        out.latency_min = std::chrono::milliseconds(min.value());
        out.latency_max = std::chrono::milliseconds(max.value());
        return {};
    }
};

// What one call goes through: its index in arrival order, its latency, and its injected failure.
struct CallPlan {
    std::uint64_t call = 0;
    std::chrono::milliseconds latency{0};
    std::optional<FailureKind> failure;

    bool malformed() const noexcept { return failure == FailureKind::malformed; }
};

// What one health probe goes through: its index in arrival order and its injected failure.
struct ProbePlan {
    std::uint64_t probe = 0;
    std::optional<FailureKind> failure;
};

// Decides each call's latency and failure from a PRNG keyed by (seed, call index), so the same
// seed and the same call order give the same failures on every run. Health probes draw from a
// stream of their own, so probing never shifts which calls fail. Thread-safe.
class FaultInjector {
public:
    FaultInjector(std::string plugin, FaultSettings settings)
        : plugin_(std::move(plugin)), settings_(settings) {}

    FaultInjector(const FaultInjector&) = delete;
    FaultInjector& operator=(const FaultInjector&) = delete;

    const FaultSettings& settings() const noexcept { return settings_; }

    // The plan for the next call to arrive.
    CallPlan next() noexcept { return plan(next_call_.fetch_add(1, std::memory_order_relaxed)); }

    // The plan for call number `call`; a pure function of the settings and `call`.
    CallPlan plan(std::uint64_t call) const noexcept {
        CallPlan out;
        out.call = call;
        auto key = splitmix64(static_cast<std::uint64_t>(settings_.seed) ^ splitmix64(call));
        out.failure = failure_for(key);
        auto spread = static_cast<std::uint64_t>((settings_.latency_max - settings_.latency_min).count());
        auto extra = spread == 0 ? 0 : splitmix64(key ^ stream_latency) % (spread + 1);
        out.latency = settings_.latency_min + std::chrono::milliseconds(extra);
        return out;
    }

    // The plan for the next health probe to arrive.
    ProbePlan next_probe() noexcept {
        return probe_plan(next_probe_.fetch_add(1, std::memory_order_relaxed));
    }

    // The plan for health probe number `probe`; a pure function of the settings and `probe`.
    ProbePlan probe_plan(std::uint64_t probe) const noexcept {
        auto key = splitmix64(static_cast<std::uint64_t>(settings_.seed) ^ stream_probe ^ splitmix64(probe));
        return ProbePlan{probe, failure_for(key)};
    }

    // Waits out the call's latency on `clock`, then returns the injected error, if any. A
    // malformed failure returns success: the caller corrupts its own result. The injector must
    // outlive the returned task.
    Task<Status> enact(CallPlan plan, Clock& clock, CallContext ctx) const {
        std::string what = "call " + std::to_string(plan.call);
        co_await sleep_for(clock, plan.latency, ctx);
        if (ctx.cancelled()) co_return cancelled(what, ctx);
        if (!plan.failure || plan.malformed()) co_return Status{};
        auto failure = inject(*plan.failure, std::move(what), clock, std::move(ctx));
        co_return co_await failure;
    }

    // Answers a health probe at once: healthy, or the injected error. A probe has no result to
    // corrupt, so a malformed failure is an upstream_error. The injector must outlive the task.
    Task<Status> enact_probe(ProbePlan plan, Clock& clock, CallContext ctx) const {
        if (!plan.failure) co_return Status{};
        auto failure = inject(*plan.failure, "health probe " + std::to_string(plan.probe), clock, std::move(ctx));
        co_return co_await failure;
    }

private:
    static constexpr std::uint64_t stream_failure = 0x6661696c75726573ULL;  // "failures"
    static constexpr std::uint64_t stream_latency = 0x6c6174656e637973ULL;  // "latencys"
    static constexpr std::uint64_t stream_probe = 0x70726f6265686c74ULL;    // "probehlt"

    std::optional<FailureKind> failure_for(std::uint64_t key) const noexcept {
        if (unit_interval(splitmix64(key ^ stream_failure)) < settings_.failure_rate) {
            return settings_.failure_kind;
        }
        return std::nullopt;
    }

    // The error of an injected failure on `what` ("call 3", "health probe 0"); a timeout first
    // hangs for timeout_hang, or until the caller cancels.
    Task<Status> inject(FailureKind kind, std::string what, Clock& clock, CallContext ctx) const {
        ctx.log(LogLevel::debug, "injecting a '" + std::string(to_string(kind)) + "' failure on " + what);
        std::string injected = plugin_ + " injected a '" + std::string(to_string(kind)) + "' failure on " +
                               what + " (request " + ctx.request_id + "; failure_rate " +
                               format_number(settings_.failure_rate) + ", seed " +
                               std::to_string(settings_.seed) + ")";
        switch (kind) {
            case FailureKind::unavailable:
                co_return Error::make(ErrorKind::unavailable,
                                      injected + "; set failure_rate = 0 to stop injecting failures");
            case FailureKind::rate_limited: {
                auto error = Error::make(ErrorKind::rate_limited,
                                         injected + ": retry after " +
                                             std::to_string(settings_.retry_after.count()) + " ms");
                error.retry_after = settings_.retry_after;
                co_return error;
            }
            case FailureKind::timeout:
                co_await sleep_for(clock, settings_.timeout_hang, ctx);
                if (ctx.cancelled()) co_return cancelled(what, ctx);
                co_return Error::make(ErrorKind::timeout, injected + ": no answer after " +
                                                              std::to_string(settings_.timeout_hang.count()) +
                                                              " ms");
            case FailureKind::malformed:
                break;
        }
        co_return Error::make(ErrorKind::upstream_error, injected + ": the answer could not be read");
    }

    Error cancelled(const std::string& what, const CallContext& ctx) const {
        return Error::make(ErrorKind::timeout, plugin_ + " " + what + " was cancelled by the caller (request " +
                                                   ctx.request_id + ")");
    }

    std::string plugin_;
    FaultSettings settings_;
    std::atomic<std::uint64_t> next_call_{0};
    std::atomic<std::uint64_t> next_probe_{0};
};

}  // namespace switchboard::mock
