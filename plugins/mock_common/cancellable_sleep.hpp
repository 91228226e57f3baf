#pragma once

#include <atomic>
#include <coroutine>
#include <memory>

#include "switchboard/call_context.hpp"
#include "switchboard/host_services.hpp"

namespace switchboard::mock {

// co_await sleep_unless_cancelled(clock, delay, ctx): like sleep_for, but a cancellation of the
// call wakes the coroutine early (from a zero-delay timer, so it never resumes inside the
// canceller's stack). Callers check ctx.cancelled() after waking.
//
// The timer and the cancellation callback each hold the shared wake state, never the awaiter:
// either may run on another thread while await_suspend is still registering the other one.
inline auto sleep_unless_cancelled(Clock& clock, Clock::duration delay, const CallContext& ctx) {
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

}  // namespace switchboard::mock
