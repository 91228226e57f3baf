#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "config/config.hpp"
#include "cost/money.hpp"
#include "cost/time_zone.hpp"
#include "switchboard/result.hpp"

namespace switchboard::cost {

// Whose spend a cap counts.
enum class Scope { global, service, backend, client };

// One cap: a limit over a calendar window, for everything, one service, one backend or one
// client of the HTTP service.
struct CapKey {
    Scope scope = Scope::global;
    std::string name;  // the service, backend or client; empty for global
    Window window = Window::day;

    auto operator<=>(const CapKey&) const = default;
};

// "the global daily cap", "the hourly cap of service 'embeddings'", "the monthly cap of backend 'openai'",
// "the daily cap of client 'etl'"
std::string describe(const CapKey& cap);
// "global.day", "service.embeddings.hour", "backend.openai.month", "client.etl.day": a stable id
// for metrics and JSON
std::string id_of(const CapKey& cap);

struct CapState {
    CapKey key;
    Money limit;
    Money spent;       // settled spend in the current window
    Money reserved;    // held by calls in flight
    WallTime window_start;
    WallTime resets_at;
    int alert_percent = 0;  // the highest threshold crossed in this window; 0 for none
};

struct RateState {
    std::string backend;
    std::optional<std::int64_t> requests_per_minute;
    std::optional<std::int64_t> tokens_per_minute;
    double requests_available = 0;  // in the bucket now
    double tokens_available = 0;
};

// A threshold crossed: logged once per window and threshold, counted as a metric.
struct Alert {
    CapKey cap;
    int percent = 0;
    Money spent;
    Money limit;
    WallTime resets_at;
};

// Everything the budget enforces, from the config.
struct Limits {
    config::Caps global;
    std::map<std::string, config::Caps, std::less<>> services;
    std::map<std::string, config::Caps, std::less<>> backends;
    std::map<std::string, config::Caps, std::less<>> clients;  // [server.clients.NAME.caps]
    std::map<std::string, config::RateLimits, std::less<>> rates;  // by backend
    std::vector<int> alert_percents{50, 80, 95};

    static Limits from(const config::Config& config);
};

// What one call asks to hold before it runs.
struct Ask {
    std::string_view service;
    std::string_view backend;
    Money cost;               // the conservative estimate; checked against every applicable cap
    std::int64_t tokens = 0;  // estimated input tokens; checked against the backend's tpm
    std::string_view client;  // who asked (the HTTP service's client); its caps apply too
};

class Budget;

// What a call holds while it runs. Move-only; settle() or release() it through the Budget; one
// dropped without either is released by its destructor.
class Reservation {
public:
    Reservation() = default;
    Reservation(Reservation&& other) noexcept;
    Reservation& operator=(Reservation&& other) noexcept;
    Reservation(const Reservation&) = delete;
    Reservation& operator=(const Reservation&) = delete;
    ~Reservation();

    bool active() const noexcept { return budget_ != nullptr; }
    Money cost() const noexcept { return cost_; }
    std::int64_t tokens() const noexcept { return tokens_; }

private:
    friend class Budget;
    Budget* budget_ = nullptr;
    std::uint32_t slot_ = 0;  // Budget's bookkeeping for this reservation
    Money cost_;
    std::int64_t tokens_ = 0;
    WallTime at_;
};

// Caps and rate limits, enforced atomically: reserve() checks every applicable cap (global,
// service, backend, client × hour, day, month) and the backend's rpm/tpm buckets under one lock, so
// however many calls race, settled + reserved never passes a cap. Windows roll over by calendar
// in the configured zone. Thread-safe; no allocation on the reserve/settle path once warm.
class Budget {
public:
    Budget(Limits limits, TimeZone zone);
    ~Budget();
    Budget(const Budget&) = delete;
    Budget& operator=(const Budget&) = delete;

    // Called once per window and threshold crossed, outside the lock, on the settling thread.
    void on_alert(std::function<void(const Alert&)> sink);

    // Holds `ask` against every cap and rate limit that applies, or refuses:
    //   budget_exceeded — which cap, spent, limit, when it resets (retry_after: until then); or
    //                     the estimate alone exceeds a cap, so it can never fit (no retry_after);
    //   rate_limited    — which limit, retry_after until the bucket holds enough; or the estimate
    //                     alone exceeds the tpm (no retry_after).
    // An ask that costs nothing is checked against the rate limits only.
    Result<Reservation> reserve(const Ask& ask, WallTime now);
    // Replaces the estimate with what the call really cost and used (tokens go back to the tpm
    // bucket if fewer were used). The spend counts in the window the reservation was made in.
    void settle(Reservation& reservation, Money actual, std::int64_t actual_tokens, WallTime now);
    // The call failed: give everything back (the request still counts against rpm).
    void release(Reservation& reservation);

    // At start: spend already in the ledger for this service, backend and client in the windows
    // holding `now`.
    void restore(std::string_view service, std::string_view backend, std::string_view client, Money hour, Money day,
                 Money month, WallTime now);

    std::vector<CapState> caps(WallTime now) const;
    std::vector<RateState> rates(WallTime now) const;
    const TimeZone& zone() const noexcept { return zone_; }

private:
    friend class Reservation;
    struct State;
    TimeZone zone_;
    std::unique_ptr<State> state_;
};

}  // namespace switchboard::cost
