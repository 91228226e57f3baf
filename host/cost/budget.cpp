#include "cost/budget.hpp"

#include <algorithm>
#include <array>
#include <limits>
#include <utility>

#include <fmt/format.h>

namespace switchboard::cost {
namespace {

constexpr std::array all_windows{Window::hour, Window::day, Window::month};
constexpr std::size_t max_caps = 12;  // global, service, backend, client × hour, day, month
// Rate buckets count in 1/ns_per_minute of a request or token, so a limit of N per minute refills
// exactly N units per nanosecond: integer arithmetic, no drift.
constexpr std::int64_t ns_per_minute = 60'000'000'000;

std::size_t index_of(Window window) { return static_cast<std::size_t>(window); }

std::chrono::milliseconds ceil_ms(std::chrono::nanoseconds span) {
    return std::max(std::chrono::milliseconds{1}, std::chrono::ceil<std::chrono::milliseconds>(span));
}

std::string seconds_text(std::chrono::milliseconds span) {
    return fmt::format("{}.{:03} s", span.count() / 1000, span.count() % 1000);
}

// Where a cap is set, for "raise it" advice: "[backends.openai.caps] daily".
std::string config_key(const CapKey& cap) {
    const std::string key(adjective(cap.window));
    switch (cap.scope) {
        case Scope::global: return key + " under [cost.caps]";
        case Scope::service: return key + " under [services." + cap.name + ".caps]";
        case Scope::backend: return key + " under [backends." + cap.name + ".caps]";
        case Scope::client: return key + " under [server.clients." + cap.name + ".caps]";
    }
    return key;
}

}  // namespace

std::string describe(const CapKey& cap) {
    const std::string window(adjective(cap.window));
    switch (cap.scope) {
        case Scope::global: return "the global " + window + " cap";
        case Scope::service: return "the " + window + " cap of service '" + cap.name + "'";
        case Scope::backend: return "the " + window + " cap of backend '" + cap.name + "'";
        case Scope::client: return "the " + window + " cap of client '" + cap.name + "'";
    }
    return "the " + window + " cap";
}

std::string id_of(const CapKey& cap) {
    const std::string window(to_string(cap.window));
    switch (cap.scope) {
        case Scope::global: return "global." + window;
        case Scope::service: return "service." + cap.name + "." + window;
        case Scope::backend: return "backend." + cap.name + "." + window;
        case Scope::client: return "client." + cap.name + "." + window;
    }
    return window;
}

Limits Limits::from(const config::Config& config) {
    Limits limits;
    limits.global = config.cost.caps;
    for (const auto& [name, service] : config.services) {
        if (service.caps.any()) limits.services.emplace(name, service.caps);
    }
    for (const auto& [name, backend] : config.backends) {
        if (backend.caps.any()) limits.backends.emplace(name, backend.caps);
        if (backend.limits.any()) limits.rates.emplace(name, backend.limits);
    }
    for (const auto& [name, client] : config.server.clients) {
        if (client.caps.any()) limits.clients.emplace(name, client.caps);
    }
    limits.alert_percents = config.cost.alert_percents;
    return limits;
}

struct Budget::State {
    struct Counter {
        CapKey key;
        Money limit;
        Money spent;
        Money reserved;
        WallTime window_start{};
        std::uint64_t epoch = 0;  // bumped at every roll-over, so a stale reservation is recognised
        int alert_percent = 0;
    };
    struct Bucket {
        std::string backend;
        std::optional<std::int64_t> rpm;
        std::optional<std::int64_t> tpm;
        Int128 requests = 0;  // units; see ns_per_minute
        Int128 tokens = 0;
        WallTime last{};
        bool started = false;
    };
    // The caps (and rate bucket) of one scope: indices into counters / buckets.
    struct Route {
        std::array<std::uint16_t, 3> caps{};
        std::uint8_t count = 0;
        std::int32_t bucket = -1;
    };
    // What one reservation holds, by counter and the epoch it was counted in.
    struct Slot {
        std::array<std::uint16_t, max_caps> counters{};
        std::array<std::uint64_t, max_caps> epochs{};
        std::uint8_t count = 0;
        std::int32_t bucket = -1;
    };
    struct Span {
        WallTime start{};
        WallTime end{};
        bool used = false;
        bool known = false;
    };

    std::mutex mutex;
    std::function<void(const Alert&)> sink;
    std::vector<int> alert_percents;  // ascending, distinct, positive
    std::array<Span, 3> windows;
    // Fixed after construction, so the routes below are read without the lock.
    std::vector<Counter> counters;
    std::vector<Bucket> buckets;
    Route global;
    std::map<std::string, Route, std::less<>> services;
    std::map<std::string, Route, std::less<>> backends;
    std::map<std::string, Route, std::less<>> clients;
    std::vector<Slot> slots;
    std::vector<std::uint32_t> free_slots;

    void add_caps(Route& route, Scope scope, const std::string& name, const config::Caps& caps) {
        const std::array<std::pair<Window, std::optional<Money>>, 3> limits{
            std::pair{Window::hour, caps.hourly}, std::pair{Window::day, caps.daily},
            std::pair{Window::month, caps.monthly}};
        for (const auto& [window, limit] : limits) {
            if (!limit) continue;
            route.caps[route.count++] = static_cast<std::uint16_t>(counters.size());
            counters.push_back(Counter{CapKey{scope, scope == Scope::global ? std::string{} : name, window}, *limit,
                                       Money{}, Money{}, WallTime{}, 0, 0});
            windows[index_of(window)].used = true;
        }
    }

    void grow_slots() {
        const std::size_t before = slots.size();
        const std::size_t after = std::max<std::size_t>(256, before * 2);
        slots.resize(after);
        for (std::size_t i = after; i > before; --i) free_slots.push_back(static_cast<std::uint32_t>(i - 1));
    }

    // Moves each window forward when `now` has passed its end; never back (a stale `now` counts
    // in the current window, which is the conservative choice).
    void advance(const TimeZone& zone, WallTime now) {
        for (Window window : all_windows) {
            Span& span = windows[index_of(window)];
            if (!span.used || (span.known && now < span.end)) continue;
            span.start = zone.window_start(window, now);
            span.end = zone.window_end(window, now);
            span.known = true;
        }
    }

    // Starts a counter afresh when its window has rolled over: what reservations held in the old
    // window is dropped with it.
    Counter& current(std::uint16_t index) {
        Counter& counter = counters[index];
        const Span& span = windows[index_of(counter.key.window)];
        if (counter.window_start != span.start) {
            counter.window_start = span.start;
            counter.spent = Money{};
            counter.reserved = Money{};
            counter.alert_percent = 0;
            ++counter.epoch;
        }
        return counter;
    }

    WallTime resets_at(const Counter& counter) const { return windows[index_of(counter.key.window)].end; }

    // Records each threshold newly crossed; `alerts` null to mark them without alerting.
    void check_alerts(Counter& counter, std::vector<Alert>* alerts) {
        if (counter.limit.nanos <= 0 || counter.spent.nanos <= 0) return;
        for (int percent : alert_percents) {
            if (percent <= counter.alert_percent) continue;
            if (static_cast<Int128>(counter.spent.nanos) * 100 < static_cast<Int128>(counter.limit.nanos) * percent) break;
            counter.alert_percent = percent;
            if (alerts) alerts->push_back(Alert{counter.key, percent, counter.spent, counter.limit, resets_at(counter)});
        }
    }

    static void refill(Bucket& bucket, WallTime now) {
        if (!bucket.started) {
            bucket.started = true;
            bucket.last = now;
            return;
        }
        if (now <= bucket.last) return;
        const Int128 elapsed = std::chrono::duration_cast<std::chrono::nanoseconds>(now - bucket.last).count();
        bucket.last = now;
        if (bucket.rpm) bucket.requests = std::min<Int128>(bucket.requests + elapsed * *bucket.rpm, capacity(*bucket.rpm));
        if (bucket.tpm) bucket.tokens = std::min<Int128>(bucket.tokens + elapsed * *bucket.tpm, capacity(*bucket.tpm));
    }

    static Int128 capacity(std::int64_t per_minute) { return static_cast<Int128>(per_minute) * ns_per_minute; }

};

Reservation::Reservation(Reservation&& other) noexcept
    : budget_(std::exchange(other.budget_, nullptr)),
      slot_(other.slot_),
      cost_(other.cost_),
      tokens_(other.tokens_),
      at_(other.at_) {}

Reservation& Reservation::operator=(Reservation&& other) noexcept {
    if (this != &other) {
        if (budget_) budget_->release(*this);
        budget_ = std::exchange(other.budget_, nullptr);
        slot_ = other.slot_;
        cost_ = other.cost_;
        tokens_ = other.tokens_;
        at_ = other.at_;
    }
    return *this;
}

Reservation::~Reservation() {
    if (budget_) budget_->release(*this);
}

Budget::Budget(Limits limits, TimeZone zone) : zone_(std::move(zone)), state_(std::make_unique<State>()) {
    State& s = *state_;
    for (int percent : limits.alert_percents) {
        if (percent > 0) s.alert_percents.push_back(percent);
    }
    std::sort(s.alert_percents.begin(), s.alert_percents.end());
    s.alert_percents.erase(std::unique(s.alert_percents.begin(), s.alert_percents.end()), s.alert_percents.end());

    s.add_caps(s.global, Scope::global, {}, limits.global);
    for (const auto& [name, caps] : limits.services) s.add_caps(s.services[name], Scope::service, name, caps);
    for (const auto& [name, caps] : limits.backends) s.add_caps(s.backends[name], Scope::backend, name, caps);
    for (const auto& [name, caps] : limits.clients) s.add_caps(s.clients[name], Scope::client, name, caps);
    for (const auto& [name, rates] : limits.rates) {
        if (!rates.any()) continue;
        State::Bucket bucket;
        bucket.backend = name;
        bucket.rpm = rates.requests_per_minute;
        bucket.tpm = rates.tokens_per_minute;
        if (bucket.rpm) bucket.requests = State::capacity(*bucket.rpm);
        if (bucket.tpm) bucket.tokens = State::capacity(*bucket.tpm);
        s.backends[name].bucket = static_cast<std::int32_t>(s.buckets.size());
        s.buckets.push_back(std::move(bucket));
    }
    // Drop routes that hold nothing, so a lookup that finds one always has work.
    std::erase_if(s.services, [](const auto& entry) { return entry.second.count == 0; });
    std::erase_if(s.clients, [](const auto& entry) { return entry.second.count == 0; });
    std::erase_if(s.backends, [](const auto& entry) { return entry.second.count == 0 && entry.second.bucket < 0; });
    s.grow_slots();
}

Budget::~Budget() = default;

void Budget::on_alert(std::function<void(const Alert&)> sink) {
    std::lock_guard lock(state_->mutex);
    state_->sink = std::move(sink);
}

Result<Reservation> Budget::reserve(const Ask& ask, WallTime now) {
    State& s = *state_;
    const Money cost{std::max<std::int64_t>(ask.cost.nanos, 0)};
    const std::int64_t tokens = std::max<std::int64_t>(ask.tokens, 0);

    std::array<std::uint16_t, max_caps> applicable{};
    std::size_t count = 0;
    auto add = [&](const State::Route& route) {
        for (std::size_t i = 0; i < route.count; ++i) applicable[count++] = route.caps[i];
    };
    add(s.global);
    if (auto it = s.services.find(ask.service); it != s.services.end()) add(it->second);
    std::int32_t bucket_index = -1;
    if (auto it = s.backends.find(ask.backend); it != s.backends.end()) {
        add(it->second);
        bucket_index = it->second.bucket;
    }
    if (auto it = s.clients.find(ask.client); it != s.clients.end()) add(it->second);

    // What a refusal reports, copied out so the message is built after the lock is released.
    struct Refusal {
        enum class Why { none, cap_too_small, tpm_too_small, cap_reached, rate } why = Why::none;
        CapKey key;
        Money limit, spent, reserved;
        WallTime resets_at{};
        std::int64_t limit_per_minute = 0;
        bool requests_short = false;
        std::int64_t tokens_free = 0;
        std::chrono::nanoseconds wait{0};
    } refusal;

    std::uint32_t slot_index = 0;
    {
        std::lock_guard lock(s.mutex);
        s.advance(zone_, now);
        State::Bucket* bucket = bucket_index >= 0 ? &s.buckets[static_cast<std::size_t>(bucket_index)] : nullptr;

        const State::Counter* blocking = nullptr;
        // A call that costs nothing (a free backend with rate limits) is never held back by a cap,
        // even one already passed: the mock must go on serving when the money has run out.
        for (std::size_t i = 0; i < count && cost.nanos > 0; ++i) {
            State::Counter& counter = s.current(applicable[i]);
            if (cost > counter.limit) {
                refusal.why = Refusal::Why::cap_too_small;
                blocking = &counter;
                break;
            }
            const Int128 total = static_cast<Int128>(counter.spent.nanos) + counter.reserved.nanos + cost.nanos;
            // The cap that stays blocked longest is the one worth reporting.
            if (total > counter.limit.nanos && (!blocking || s.resets_at(counter) > s.resets_at(*blocking))) {
                refusal.why = Refusal::Why::cap_reached;
                blocking = &counter;
            }
        }
        if (bucket && bucket->tpm && tokens > *bucket->tpm && refusal.why != Refusal::Why::cap_too_small) {
            refusal.why = Refusal::Why::tpm_too_small;
            refusal.limit_per_minute = *bucket->tpm;
        } else if (blocking) {
            refusal.key = blocking->key;
            refusal.limit = blocking->limit;
            refusal.spent = blocking->spent;
            refusal.reserved = blocking->reserved;
            refusal.resets_at = s.resets_at(*blocking);
        } else if (bucket) {
            State::refill(*bucket, now);
            const Int128 unit = ns_per_minute;
            Int128 wait = 0;
            if (bucket->rpm && bucket->requests < unit) {
                wait = (unit - bucket->requests + *bucket->rpm - 1) / *bucket->rpm;
                refusal.requests_short = true;
                refusal.limit_per_minute = *bucket->rpm;
            }
            if (bucket->tpm && bucket->tokens < unit * tokens) {
                const Int128 token_wait = (unit * tokens - bucket->tokens + *bucket->tpm - 1) / *bucket->tpm;
                if (!refusal.requests_short || token_wait > wait) {
                    wait = token_wait;
                    refusal.requests_short = false;
                    refusal.limit_per_minute = *bucket->tpm;
                    refusal.tokens_free = static_cast<std::int64_t>(std::max<Int128>(bucket->tokens, 0) / unit);
                }
            }
            if (wait > 0) {
                refusal.why = Refusal::Why::rate;
                refusal.wait = std::chrono::nanoseconds{static_cast<std::int64_t>(wait)};
            }
        }

        if (refusal.why == Refusal::Why::none) {
            if (s.free_slots.empty()) s.grow_slots();
            slot_index = s.free_slots.back();
            s.free_slots.pop_back();
            State::Slot& slot = s.slots[slot_index];
            slot.count = static_cast<std::uint8_t>(count);
            slot.bucket = bucket_index;
            for (std::size_t i = 0; i < count; ++i) {
                State::Counter& counter = s.counters[applicable[i]];
                counter.reserved = saturating_add(counter.reserved, cost);
                slot.counters[i] = applicable[i];
                slot.epochs[i] = counter.epoch;
            }
            if (bucket) {
                if (bucket->rpm) bucket->requests -= ns_per_minute;
                if (bucket->tpm) bucket->tokens -= static_cast<Int128>(ns_per_minute) * tokens;
            }
        }
    }

    switch (refusal.why) {
        case Refusal::Why::none: {
            Reservation reservation;
            reservation.budget_ = this;
            reservation.slot_ = slot_index;
            reservation.cost_ = cost;
            reservation.tokens_ = tokens;
            reservation.at_ = now;
            return reservation;
        }
        case Refusal::Why::cap_too_small:  // budget_exceeded, so hybrid still serves it from the mock
            return Error::make(ErrorKind::budget_exceeded,
                               "this call's estimate of " + format_usd(cost) + " is more than " + describe(refusal.key) +
                                   " (" + format_usd(refusal.limit) + ") by itself, so it can never run; send a smaller "
                                   "request or raise " + config_key(refusal.key));
        case Refusal::Why::tpm_too_small:  // rate_limited, so hybrid still serves it from the mock
            return Error::make(ErrorKind::rate_limited,
                               fmt::format("this call's estimate of {} input tokens is more than the tokens-per-minute "
                                           "limit of backend '{}' ({}), so it can never run; split the input or raise "
                                           "tpm under [backends.{}.limits]",
                                           tokens, ask.backend, refusal.limit_per_minute, ask.backend));
        case Refusal::Why::cap_reached: {
            const std::string held =
                refusal.reserved.nanos > 0 ? " + " + format_usd(refusal.reserved) + " held by calls in flight" : "";
            Error error = Error::make(
                ErrorKind::budget_exceeded,
                describe(refusal.key) + " is reached: spent " + format_usd(refusal.spent) + held + " of " +
                    format_usd(refusal.limit) + "; this call needs up to " + format_usd(cost) + "; resets at " +
                    zone_.format(refusal.resets_at) + " (to allow more now, raise " + config_key(refusal.key) + ")");
            error.retry_after = ceil_ms(refusal.resets_at - now);
            return error;
        }
        case Refusal::Why::rate: {
            const auto wait = ceil_ms(refusal.wait);
            Error error = Error::make(
                ErrorKind::rate_limited,
                refusal.requests_short
                    ? fmt::format("the requests-per-minute limit of backend '{}' ({}) is reached; the next request "
                                  "fits in {} (or raise rpm under [backends.{}.limits])",
                                  ask.backend, refusal.limit_per_minute, seconds_text(wait), ask.backend)
                    : fmt::format("the tokens-per-minute limit of backend '{}' ({}) is reached: this call needs up to "
                                  "{} tokens and {} are free; it fits in {} (or raise tpm under [backends.{}.limits])",
                                  ask.backend, refusal.limit_per_minute, tokens, refusal.tokens_free,
                                  seconds_text(wait), ask.backend));
            error.retry_after = wait;
            return error;
        }
    }
    return Error::make(ErrorKind::internal, "budget: unreachable refusal");
}

void Budget::settle(Reservation& reservation, Money actual, std::int64_t actual_tokens, WallTime now) {
    if (!reservation.active()) return;
    State& s = *state_;
    actual = Money{std::max<std::int64_t>(actual.nanos, 0)};
    actual_tokens = std::max<std::int64_t>(actual_tokens, 0);
    std::vector<Alert> alerts;  // allocates only when a threshold is crossed
    std::function<void(const Alert&)> sink;
    {
        std::lock_guard lock(s.mutex);
        s.advance(zone_, now);
        State::Slot& slot = s.slots[reservation.slot_];
        for (std::size_t i = 0; i < slot.count; ++i) {
            State::Counter& counter = s.current(slot.counters[i]);
            if (counter.epoch != slot.epochs[i]) continue;  // its window is over: the hold went with it
            counter.reserved -= reservation.cost_;
            counter.spent = saturating_add(counter.spent, actual);
            s.check_alerts(counter, s.sink ? &alerts : nullptr);
        }
        if (slot.bucket >= 0) {
            State::Bucket& bucket = s.buckets[static_cast<std::size_t>(slot.bucket)];
            State::refill(bucket, now);
            if (bucket.tpm) {
                bucket.tokens = std::min<Int128>(
                    bucket.tokens + static_cast<Int128>(ns_per_minute) * (reservation.tokens_ - actual_tokens),
                    State::capacity(*bucket.tpm));
            }
        }
        s.free_slots.push_back(reservation.slot_);
        if (!alerts.empty()) sink = s.sink;
    }
    reservation.budget_ = nullptr;
    for (const Alert& alert : alerts) sink(alert);
}

void Budget::release(Reservation& reservation) {
    if (!reservation.active()) return;
    State& s = *state_;
    {
        std::lock_guard lock(s.mutex);
        State::Slot& slot = s.slots[reservation.slot_];
        for (std::size_t i = 0; i < slot.count; ++i) {
            State::Counter& counter = s.counters[slot.counters[i]];
            if (counter.epoch == slot.epochs[i]) counter.reserved -= reservation.cost_;
        }
        if (slot.bucket >= 0) {
            State::Bucket& bucket = s.buckets[static_cast<std::size_t>(slot.bucket)];
            if (bucket.tpm) {
                bucket.tokens = std::min<Int128>(bucket.tokens + static_cast<Int128>(ns_per_minute) * reservation.tokens_,
                                                 State::capacity(*bucket.tpm));
            }
        }
        s.free_slots.push_back(reservation.slot_);
    }
    reservation.budget_ = nullptr;
}

void Budget::restore(std::string_view service, std::string_view backend, std::string_view client, Money hour,
                     Money day, Money month, WallTime now) {
    State& s = *state_;
    std::lock_guard lock(s.mutex);
    s.advance(zone_, now);
    const std::array<Money, 3> amounts{hour, day, month};
    auto apply = [&](const State::Route& route) {
        for (std::size_t i = 0; i < route.count; ++i) {
            State::Counter& counter = s.current(route.caps[i]);
            counter.spent = saturating_add(counter.spent, amounts[index_of(counter.key.window)]);
            s.check_alerts(counter, nullptr);  // crossed before the restart: marked, not alerted again
        }
    };
    apply(s.global);
    if (auto it = s.services.find(service); it != s.services.end()) apply(it->second);
    if (auto it = s.backends.find(backend); it != s.backends.end()) apply(it->second);
    if (auto it = s.clients.find(client); it != s.clients.end()) apply(it->second);
}

std::vector<CapState> Budget::caps(WallTime now) const {
    State& s = *state_;
    std::vector<CapState> result;
    std::lock_guard lock(s.mutex);
    s.advance(zone_, now);
    result.reserve(s.counters.size());
    for (std::size_t i = 0; i < s.counters.size(); ++i) {
        const State::Counter& counter = s.current(static_cast<std::uint16_t>(i));
        result.push_back(CapState{counter.key, counter.limit, counter.spent, counter.reserved, counter.window_start,
                                  s.resets_at(counter), counter.alert_percent});
    }
    return result;
}

std::vector<RateState> Budget::rates(WallTime now) const {
    State& s = *state_;
    std::vector<RateState> result;
    std::lock_guard lock(s.mutex);
    result.reserve(s.buckets.size());
    for (State::Bucket& bucket : s.buckets) {
        State::refill(bucket, now);
        result.push_back(RateState{bucket.backend, bucket.rpm, bucket.tpm,
                                   static_cast<double>(bucket.requests) / static_cast<double>(ns_per_minute),
                                   static_cast<double>(bucket.tokens) / static_cast<double>(ns_per_minute)});
    }
    return result;
}

}  // namespace switchboard::cost
