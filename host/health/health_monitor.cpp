#include "health/health_monitor.hpp"

#include "log/utc_time.hpp"

#include <atomic>
#include <chrono>
#include <cstdint>
#include <mutex>
#include <utility>
#include <vector>

#include <fmt/format.h>

#include "health/race_timeout.hpp"
#include "plugin/guard.hpp"

namespace switchboard::health {

std::string_view to_string(State state) noexcept {
    switch (state) {
        case State::unknown: return "unknown";
        case State::healthy: return "healthy";
        case State::unhealthy: return "unhealthy";
    }
    return "unknown";
}

std::string_view to_string(Circuit circuit) noexcept {
    switch (circuit) {
        case Circuit::closed: return "closed";
        case Circuit::open: return "open";
        case Circuit::half_open: return "half_open";
    }
    return "closed";
}

namespace {

struct Entry {
    std::shared_ptr<ServiceInterface> service;  // null for a backend only seen passively
    BackendHealth health;
    bool trial = false;          // a half-open trial has been let through and not decided yet
    bool auth_reported = false;  // the auth failure was logged; again only after recovery
    bool probing = false;
};

enum class Admission { admitted, trial, refused };

struct Note {
    LogLevel level;
    std::string message;
};

// Counts down the probes of one round and runs `done` after the last.
struct Round {
    Round(std::size_t probes, std::function<void()> on_done) : remaining(probes), done(std::move(on_done)) {}
    void one_done() {
        if (remaining.fetch_sub(1, std::memory_order_acq_rel) == 1 && done) done();
    }
    std::atomic<std::size_t> remaining;
    std::function<void()> done;
};

Task<Status> bounded_probe(Clock& clock, std::chrono::milliseconds limit,
                           std::shared_ptr<Cancellation> cancellation, Task<Status> probe,
                           std::string backend, std::string what) {
    auto on_timeout = [backend = std::move(backend), limit] {
        return Error::make(ErrorKind::timeout,
                           fmt::format("health probe of backend '{}' did not answer within {} ms "
                                       "(health.probe_timeout)",
                                       backend, limit.count()));
    };
    // A named awaiter: GCC 12 mishandles non-trivial temporaries inside a co_await expression.
    auto answer =
        race_timeout<void>(std::move(what), clock, limit, std::move(cancellation), std::move(probe),
                           std::move(on_timeout));
    co_return co_await answer;
}

}  // namespace

struct HealthMonitor::Core : std::enable_shared_from_this<Core> {
    Core(config::HealthSettings health_settings, Clock& host_clock, Logger& host_logger)
        : settings(health_settings), clock(host_clock), logger(host_logger) {
        if (settings.failure_threshold < 1) settings.failure_threshold = 1;
    }

    config::HealthSettings settings;
    Clock& clock;
    Logger& logger;

    mutable std::mutex mutex;
    std::map<std::string, Entry, std::less<>> entries;
    bool running = false;
    std::optional<Clock::TimerId> tick;
    std::uint64_t probes_started = 0;
    std::map<std::uint64_t, std::shared_ptr<Cancellation>> probes_in_flight;

    void log(const std::vector<Note>& notes, std::string_view request_id) {
        for (const auto& note : notes) {
            if (logger.enabled(note.level)) logger.log(note.level, request_id, note.message);
        }
    }

    Entry& entry_locked(std::string_view backend) {
        auto it = entries.find(backend);
        if (it == entries.end()) it = entries.emplace(std::string(backend), Entry{}).first;
        return it->second;
    }

    static Admission admit_locked(Entry& entry, Clock::time_point now) {
        BackendHealth& health = entry.health;
        switch (health.circuit) {
            case Circuit::closed: return Admission::admitted;
            case Circuit::open:
                if (health.open_until && now < *health.open_until) return Admission::refused;
                health.circuit = Circuit::half_open;
                entry.trial = true;
                return Admission::trial;
            case Circuit::half_open:
                if (entry.trial) return Admission::refused;
                entry.trial = true;
                return Admission::trial;
        }
        return Admission::admitted;
    }

    std::optional<Error> try_admit(std::string_view backend, bool* trial) {
        std::lock_guard lock(mutex);
        if (trial) *trial = false;
        auto it = entries.find(backend);
        if (it == entries.end()) return std::nullopt;
        auto now = clock.now();
        Entry& entry = it->second;
        const Admission admission = admit_locked(entry, now);
        if (trial) *trial = admission == Admission::trial;
        if (admission != Admission::refused) return std::nullopt;
        const BackendHealth& health = entry.health;
        if (health.circuit == Circuit::half_open) {
            return Error::make(ErrorKind::unavailable,
                               "circuit half-open: a trial call is deciding whether the backend is back");
        }
        auto remaining = *health.open_until - now;
        auto wall_until =
            clock.wall_now() + std::chrono::duration_cast<std::chrono::system_clock::duration>(remaining);
        auto remaining_ms = std::chrono::ceil<std::chrono::milliseconds>(remaining);
        Error refusal = Error::make(
            ErrorKind::unavailable,
            fmt::format("circuit open until {} ({} ms from now) after {} consecutive failures (last: {})",
                        log::format_utc(wall_until), remaining_ms.count(), health.consecutive_failures,
                        health.last_error ? to_string(health.last_error->kind) : "unknown"));
        refusal.retry_after = remaining_ms;
        return refusal;
    }

    // Records one outcome of the call or probe `request_id`: success when `error` is null. A
    // failure that does not `count` (not an availability failure) only ends a half-open trial.
    void record(std::string_view backend, const Error* error, bool counts, std::string_view request_id) {
        std::vector<Note> notes;
        {
            std::lock_guard lock(mutex);
            Entry& entry = entry_locked(backend);
            BackendHealth& health = entry.health;
            auto now = clock.now();
            if (error == nullptr) {
                if (health.circuit != Circuit::closed) {
                    notes.push_back(
                        {LogLevel::info,
                         fmt::format("backend '{}' answered again; its circuit is closed", backend)});
                } else if (health.state == State::unhealthy) {
                    notes.push_back({LogLevel::info, fmt::format("backend '{}' is healthy again", backend)});
                }
                health.state = State::healthy;
                health.circuit = Circuit::closed;
                health.open_until.reset();
                health.consecutive_failures = 0;
                health.last_check = now;
                entry.trial = false;
                entry.auth_reported = false;
            } else if (!counts) {
                entry.trial = false;
            } else {
                bool was_unhealthy = health.state == State::unhealthy;
                health.state = State::unhealthy;
                health.last_error = *error;
                health.last_check = now;
                ++health.consecutive_failures;
                if (error->kind == ErrorKind::auth && !entry.auth_reported) {
                    entry.auth_reported = true;
                    notes.push_back(
                        {LogLevel::error,
                         fmt::format("backend '{}' cannot authenticate ({}); calls fall back "
                                     "to other backends until it answers again. Check the "
                                     "backend's api_key and what the key is allowed to do",
                                     backend, error->message)});
                }
                if (health.circuit == Circuit::half_open) {
                    health.circuit = Circuit::open;
                    health.open_until = now + settings.cooldown;
                    entry.trial = false;
                    notes.push_back({LogLevel::warn,
                                     fmt::format("circuit of backend '{}' re-opened for {} ms: the half-open "
                                                 "trial failed ({})",
                                                 backend, settings.cooldown.count(), describe(*error))});
                } else if (health.circuit == Circuit::closed &&
                           health.consecutive_failures >= settings.failure_threshold) {
                    health.circuit = Circuit::open;
                    health.open_until = now + settings.cooldown;
                    notes.push_back(
                        {LogLevel::warn, fmt::format("circuit of backend '{}' opened for {} ms after {} "
                                                     "consecutive failures (last: {})",
                                                     backend, settings.cooldown.count(),
                                                     health.consecutive_failures, describe(*error))});
                } else if (!was_unhealthy && error->kind != ErrorKind::auth) {
                    notes.push_back({LogLevel::warn, fmt::format("backend '{}' is unhealthy: {}", backend,
                                                                 describe(*error))});
                }
            }
        }
        log(notes, request_id);
    }

    void probe_round(bool periodic, std::function<void()> done) {
        struct Probe {
            std::string backend;
            std::shared_ptr<ServiceInterface> service;
            std::uint64_t id;
            std::shared_ptr<Cancellation> cancellation;
            bool trial;
        };
        std::vector<Probe> probes;
        {
            std::lock_guard lock(mutex);
            if (periodic && !running) return;
            auto now = clock.now();
            for (auto& [backend, entry] : entries) {
                if (!entry.service || entry.probing) continue;
                auto admission = admit_locked(entry, now);
                if (admission == Admission::refused) continue;
                entry.probing = true;
                auto id = ++probes_started;
                auto cancellation = std::make_shared<Cancellation>();
                probes_in_flight.emplace(id, cancellation);
                probes.push_back({backend, entry.service, id, cancellation, admission == Admission::trial});
            }
        }
        if (probes.empty()) {
            if (done) done();
            return;
        }
        auto round = std::make_shared<Round>(probes.size(), std::move(done));
        for (auto& probe : probes) {
            CallContext ctx;
            ctx.request_id = fmt::format("probe_{}", probe.id);
            ctx.deadline = clock.now() + settings.probe_timeout;
            ctx.cancellation = probe.cancellation;
            ctx.logger = &logger;
            std::string what = fmt::format("backend '{}' health", probe.backend);
            auto call = plugin::guarded<void>(
                what, probe.service, clock,
                [ctx](ServiceInterface& service) mutable { return service.health(std::move(ctx)); });
            bounded_probe(clock, settings.probe_timeout, probe.cancellation, std::move(call), probe.backend,
                          std::move(what))
                .start([self = shared_from_this(), round, backend = probe.backend, id = probe.id,
                        trial = probe.trial](Status status) {
                    self->finish_probe(backend, id, trial, std::move(status));
                    round->one_done();
                });
        }
    }

    void finish_probe(const std::string& backend, std::uint64_t id, bool trial, Status status) {
        bool current = false;
        {
            std::lock_guard lock(mutex);
            current = probes_in_flight.erase(id) > 0;
            auto it = entries.find(backend);
            if (it != entries.end()) {
                it->second.probing = false;
                if (!current && trial) it->second.trial = false;
            }
        }
        if (!current) return;  // abandoned by stop()
        std::string request_id = fmt::format("probe_{}", id);
        if (status.ok()) {
            if (logger.enabled(LogLevel::debug)) {
                logger.log(LogLevel::debug, request_id,
                           fmt::format("health probe of backend '{}': ok", backend));
            }
            record(backend, nullptr, true, request_id);
            return;
        }
        if (logger.enabled(LogLevel::debug)) {
            logger.log(
                LogLevel::debug, request_id,
                fmt::format("health probe of backend '{}' failed: {}", backend, describe(status.error())));
        }
        // bad_request: the upstream answered and refused only the probe's own request (a 404 from
        // a server without the probed route). It is reachable, and its calls must not be cut off.
        const bool reachable = status.error().kind == ErrorKind::bad_request;
        record(backend, reachable ? nullptr : &status.error(), true, request_id);
    }

    void schedule_tick_locked() {
        tick = clock.call_after(settings.probe_interval, [weak = weak_from_this()] {
            if (auto self = weak.lock()) self->on_tick();
        });
    }

    void on_tick() {
        {
            std::lock_guard lock(mutex);
            if (!running) return;
            schedule_tick_locked();
        }
        probe_round(true, nullptr);
    }

    void start() {
        std::lock_guard lock(mutex);
        if (running) return;
        running = true;
        schedule_tick_locked();
    }

    void stop() {
        std::optional<Clock::TimerId> timer;
        std::map<std::uint64_t, std::shared_ptr<Cancellation>> abandoned;
        {
            std::lock_guard lock(mutex);
            running = false;
            timer = std::exchange(tick, std::nullopt);
            abandoned.swap(probes_in_flight);
        }
        if (timer) clock.cancel(*timer);
        for (auto& [id, cancellation] : abandoned) cancellation->cancel();
    }

    BackendHealth view(const BackendHealth& health, Clock::time_point now) const {
        BackendHealth copy = health;
        if (copy.circuit == Circuit::open && copy.open_until && now >= *copy.open_until) {
            copy.circuit = Circuit::half_open;
        }
        return copy;
    }
};

HealthMonitor::HealthMonitor(config::HealthSettings settings, Clock& clock, Logger& logger)
    : core_(std::make_shared<Core>(settings, clock, logger)) {}

HealthMonitor::~HealthMonitor() { core_->stop(); }

void HealthMonitor::add(std::string backend, std::shared_ptr<ServiceInterface> service) {
    std::lock_guard lock(core_->mutex);
    core_->entry_locked(backend).service = std::move(service);
}

std::optional<Error> HealthMonitor::try_admit(std::string_view backend, bool* trial) {
    return core_->try_admit(backend, trial);
}

void HealthMonitor::abandon_trial(std::string_view backend) {
    std::lock_guard lock(core_->mutex);
    auto it = core_->entries.find(backend);
    if (it != core_->entries.end()) it->second.trial = false;
}

void HealthMonitor::record_success(std::string_view backend, std::string_view request_id) {
    core_->record(backend, nullptr, true, request_id);
}

void HealthMonitor::record_failure(std::string_view backend, const Error& error,
                                   std::string_view request_id) {
    core_->record(backend, &error, is_availability_failure(error.kind), request_id);
}

void HealthMonitor::probe_all(std::function<void()> done) { core_->probe_round(false, std::move(done)); }

void HealthMonitor::start() { core_->start(); }

void HealthMonitor::stop() { core_->stop(); }

BackendHealth HealthMonitor::snapshot(std::string_view backend) const {
    std::lock_guard lock(core_->mutex);
    auto it = core_->entries.find(backend);
    if (it == core_->entries.end()) return {};
    return core_->view(it->second.health, core_->clock.now());
}

std::map<std::string, BackendHealth> HealthMonitor::snapshot_all() const {
    std::lock_guard lock(core_->mutex);
    auto now = core_->clock.now();
    std::map<std::string, BackendHealth> all;
    for (const auto& [backend, entry] : core_->entries) all.emplace(backend, core_->view(entry.health, now));
    return all;
}

}  // namespace switchboard::health
