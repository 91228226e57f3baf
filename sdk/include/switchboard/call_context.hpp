#pragma once

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <coroutine>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <utility>
#include <vector>

#include "switchboard/host_services.hpp"

namespace switchboard {

// Shared cancellation flag for one call. The host cancels when the caller gives up (the router's
// fallback timeout); a plugin checks cancelled() between steps or registers a callback to abort
// an upstream request. Thread-safe; shared by host and plugin for the life of the call.
//
// Like std::stop_callback: once remove(id) returns, that callback is not running and never will,
// so it may reference state the caller is about to free (unless remove is called from inside the
// callback itself).
class SWITCHBOARD_API Cancellation {
public:
    using CallbackId = std::uint64_t;

    bool cancelled() const noexcept { return cancelled_.load(std::memory_order_acquire); }

    // Runs every registered callback once, on the calling thread.
    void cancel() {
        std::unique_lock lock(mutex_);
        if (cancelled_.exchange(true, std::memory_order_acq_rel)) return;
        running_thread_ = std::this_thread::get_id();
        while (!callbacks_.empty()) {
            auto [id, fn] = std::move(callbacks_.front());
            callbacks_.erase(callbacks_.begin());
            running_ = id;
            lock.unlock();
            fn();
            lock.lock();
            running_ = 0;
            finished_.notify_all();
        }
    }

    // Runs `fn` on cancel; runs it now if already cancelled (and returns 0).
    CallbackId on_cancel(std::function<void()> fn) {
        {
            std::lock_guard lock(mutex_);
            if (!cancelled_.load(std::memory_order_acquire)) {
                callbacks_.emplace_back(++next_id_, std::move(fn));
                return next_id_;
            }
        }
        fn();
        return 0;
    }

    // Unregisters a callback; if cancel() is running it on another thread, waits until it ends.
    void remove(CallbackId id) {
        std::unique_lock lock(mutex_);
        std::erase_if(callbacks_, [id](const auto& entry) { return entry.first == id; });
        if (id != 0 && running_ == id && running_thread_ != std::this_thread::get_id()) {
            finished_.wait(lock, [&] { return running_ != id; });
        }
    }

private:
    std::atomic<bool> cancelled_{false};
    std::mutex mutex_;
    std::condition_variable finished_;
    CallbackId next_id_ = 0;
    CallbackId running_ = 0;
    std::thread::id running_thread_;
    std::vector<std::pair<CallbackId, std::function<void()>>> callbacks_;
};

// What a plugin knows about the call it serves. Passed by value into the plugin's coroutine; the
// logger pointer is valid until the plugin's shutdown().
struct SWITCHBOARD_API CallContext {
    std::string request_id;                        // correlation id: put it in every log line
    std::optional<Clock::time_point> deadline;     // the caller gives up at this time
    std::shared_ptr<Cancellation> cancellation = std::make_shared<Cancellation>();
    Logger* logger = nullptr;

    bool cancelled() const noexcept { return cancellation && cancellation->cancelled(); }

    // Logs with this call's request id.
    void log(LogLevel level, std::string_view message) const {
        if (logger && logger->enabled(level)) logger->log(level, request_id, message);
    }
};

// co_await sleep_for(clock, delay, ctx): like sleep_for(clock, delay), but a cancellation of the
// call wakes the coroutine early (from a zero-delay timer, so it never resumes inside the
// canceller's stack). Callers check ctx.cancelled() after waking.
//
// The timer and the cancellation callback each hold the shared wake state, never the awaiter:
// either may run on another thread while await_suspend is still registering the other one.
inline auto sleep_for(Clock& clock, Clock::duration delay, const CallContext& ctx) {
    struct Wake {
        std::coroutine_handle<> handle;
        Clock::TimerId timer = 0;
        Cancellation::CallbackId callback = 0;
        // Two arrivals: await_suspend finishing its registrations, and the first wake-up. The
        // second to arrive continues the coroutine.
        std::atomic<int> arrivals{0};

        bool arrive_and_is_last() { return arrivals.fetch_add(1, std::memory_order_acq_rel) == 1; }
        void wake() {
            if (arrive_and_is_last()) handle.resume();
        }
    };

    struct Awaiter {
        Clock& clock;
        Clock::duration delay;
        std::shared_ptr<Cancellation> cancellation;
        std::shared_ptr<Wake> wake = std::make_shared<Wake>();

        bool await_ready() const noexcept {
            return delay <= Clock::duration::zero() || (cancellation && cancellation->cancelled());
        }

        bool await_suspend(std::coroutine_handle<> handle) {
            auto state = wake;  // `this` may be gone once the other side resumes the coroutine
            state->handle = handle;
            state->timer = clock.call_after(delay, [state] { state->wake(); });
            if (cancellation) {
                Clock* timers = &clock;
                state->callback = cancellation->on_cancel([state, timers] {
                    // Only the side that stops the pending timer wakes the coroutine.
                    if (timers->cancel(state->timer)) {
                        timers->call_after(Clock::duration::zero(), [state] { state->wake(); });
                    }
                });
            }
            return !state->arrive_and_is_last();
        }

        void await_resume() {
            if (cancellation && wake->callback != 0) cancellation->remove(wake->callback);
        }
    };

    return Awaiter{clock, delay, ctx.cancellation};
}

}  // namespace switchboard
