#pragma once

#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "config/config.hpp"
#include "switchboard/error.hpp"
#include "switchboard/host_services.hpp"
#include "switchboard/service_interface.hpp"

namespace switchboard::health {

enum class State { unknown, healthy, unhealthy };
enum class Circuit { closed, open, half_open };

std::string_view to_string(State state) noexcept;
std::string_view to_string(Circuit circuit) noexcept;

struct BackendHealth {
    State state = State::unknown;
    Circuit circuit = Circuit::closed;            // half_open once an open circuit's cooldown has passed
    std::optional<Error> last_error;              // the latest availability failure; kept after recovery
    std::optional<Clock::time_point> last_check;  // the latest call outcome or probe
    int consecutive_failures = 0;
    std::optional<Clock::time_point> open_until;  // set while the circuit is open or half-open
};

// Tracks each backend's health from real calls (passive) and health() probes (active), and breaks
// the circuit of a backend that keeps failing. Thread-safe. Probes in flight hold the plugin
// instance (so its library) alive; they may finish after stop() or destruction and then change
// nothing. `clock` and `logger` must outlive every probe.
class HealthMonitor {
public:
    HealthMonitor(config::HealthSettings settings, Clock& clock, Logger& logger);
    ~HealthMonitor();
    HealthMonitor(const HealthMonitor&) = delete;
    HealthMonitor& operator=(const HealthMonitor&) = delete;

    // Registers a backend for probing (or replaces its instance). Backends never added are still
    // tracked passively from the first call outcome recorded for them.
    void add(std::string backend, std::shared_ptr<ServiceInterface> service);

    // Null to let a call through; Error{unavailable, "circuit open until ..."} with retry_after
    // set to the rest of the cooldown while the circuit is open. After the cooldown lets ONE
    // half-open trial through, whose recorded outcome decides: success closes the circuit,
    // failure re-opens it.
    // `trial`, when given, is set to whether the call let through holds the half-open trial.
    std::optional<Error> try_admit(std::string_view backend, bool* trial = nullptr);
    // A call let through as the half-open trial never went out (the cost policy refused it): the
    // trial is handed back, so the next call (or probe) can be it.
    void abandon_trial(std::string_view backend);

    // `request_id` names the call whose outcome this is; the lines logged about it carry it.
    void record_success(std::string_view backend, std::string_view request_id = "");
    // Only availability failures count; any other outcome just ends a half-open trial.
    void record_failure(std::string_view backend, const Error& error, std::string_view request_id = "");

    // One round of health() calls now, each bounded by probe_timeout; backends whose circuit is
    // cooling down or that are still being probed are skipped. `done` runs (on whichever thread
    // finished the last probe, or inline when there is nothing to probe) when all answered.
    void probe_all(std::function<void()> done);
    void start();  // a probe round every probe_interval on the clock, the first one interval from now
    void stop();   // no timers left; probes in flight are abandoned and change nothing

    BackendHealth snapshot(std::string_view backend) const;  // default BackendHealth if unknown
    std::map<std::string, BackendHealth> snapshot_all() const;

private:
    struct Core;
    std::shared_ptr<Core> core_;
};

}  // namespace switchboard::health
