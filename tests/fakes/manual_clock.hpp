#pragma once

#include <chrono>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <utility>

#include "switchboard/host_services.hpp"

namespace switchboard::testing {

// A clock that only moves when the test says so. Timers fire, in time order, inside advance()
// (or run_ready() for timers already due) on the calling thread.
class ManualClock final : public Clock {
public:
    ManualClock() : now_(time_point{} + std::chrono::hours(1)),
                    wall_(std::chrono::system_clock::time_point{} + std::chrono::hours(24 * 365 * 56)) {}

    time_point now() const override {
        std::lock_guard lock(mutex_);
        return now_;
    }
    std::chrono::system_clock::time_point wall_now() const override {
        std::lock_guard lock(mutex_);
        return wall_ + (now_ - (time_point{} + std::chrono::hours(1)));
    }

    TimerId call_after(duration delay, std::function<void()> fn) override {
        std::lock_guard lock(mutex_);
        TimerId id = ++next_id_;
        timers_.emplace(std::make_pair(now_ + (delay < duration::zero() ? duration::zero() : delay), id),
                        std::move(fn));
        return id;
    }

    bool cancel(TimerId id) override {
        std::lock_guard lock(mutex_);
        for (auto it = timers_.begin(); it != timers_.end(); ++it) {
            if (it->first.second == id) {
                timers_.erase(it);
                return true;
            }
        }
        return false;
    }

    // Moves time forward by `by`, firing every timer that falls due on the way, in order.
    void advance(duration by) {
        time_point target;
        {
            std::lock_guard lock(mutex_);
            target = now_ + by;
        }
        while (fire_next_due(target)) {}
        std::lock_guard lock(mutex_);
        now_ = target;
    }

    // Fires timers already due (zero-delay ones) without moving time.
    void run_ready() { advance(duration::zero()); }

    // When the earliest pending timer falls due; nullopt when none is pending.
    std::optional<time_point> next_due() const {
        std::lock_guard lock(mutex_);
        if (timers_.empty()) return std::nullopt;
        return timers_.begin()->first.first;
    }

    // Moves time to the earliest pending timer and fires it (and any due with it); false when
    // no timer is pending.
    bool advance_to_next() {
        auto due = next_due();
        if (!due) return false;
        advance(*due > now() ? *due - now() : duration::zero());
        return true;
    }

    std::size_t pending_timers() const {
        std::lock_guard lock(mutex_);
        return timers_.size();
    }

private:
    bool fire_next_due(time_point target) {
        std::function<void()> fn;
        {
            std::lock_guard lock(mutex_);
            if (timers_.empty() || timers_.begin()->first.first > target) return false;
            auto it = timers_.begin();
            now_ = it->first.first;
            fn = std::move(it->second);
            timers_.erase(it);
        }
        fn();
        return true;
    }

    mutable std::mutex mutex_;
    time_point now_;
    std::chrono::system_clock::time_point wall_;
    TimerId next_id_ = 0;
    std::map<std::pair<time_point, TimerId>, std::function<void()>> timers_;
};

}  // namespace switchboard::testing
