#pragma once

#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <utility>

#include "switchboard/call_context.hpp"
#include "switchboard/host_services.hpp"
#include "switchboard/result.hpp"
#include "switchboard/task.hpp"

namespace switchboard::health {

namespace detail {

// The shared state of one race between a call, its timer and its cancellation. Whichever
// finishes first resumes the waiting coroutine; later outcomes are dropped here, so nothing
// ever touches the waiter's frame twice.
template <class T>
class Race : public std::enable_shared_from_this<Race<T>> {
public:
    using Resume = std::function<void(Result<T>)>;

    Race(std::string what, Clock& clock, std::shared_ptr<Cancellation> cancellation, Resume resume)
        : what_(std::move(what)),
          clock_(clock),
          cancellation_(std::move(cancellation)),
          resume_(std::move(resume)) {}

    // Ends the race when someone else cancels the call.
    void watch_cancellation() {
        auto id = cancellation_->on_cancel([self = this->shared_from_this()] {
            self->finish(Error::make(ErrorKind::unavailable, self->what_ + ": call cancelled before it answered"),
                         false);
        });
        std::unique_lock lock(mutex_);
        if (done_) {
            lock.unlock();
            cancellation_->remove(id);
            return;
        }
        cancel_callback_ = id;
    }

    template <class OnTimeout>
    void arm_timer(Clock::duration limit, OnTimeout on_timeout) {
        {
            std::lock_guard lock(mutex_);
            if (done_) return;
        }
        auto id = clock_.call_after(
            limit, [self = this->shared_from_this(), on_timeout = std::move(on_timeout)]() mutable {
                if (!self->finished()) self->finish(on_timeout(), true);
            });
        std::unique_lock lock(mutex_);
        if (done_) {
            lock.unlock();
            clock_.cancel(id);
            return;
        }
        timer_ = id;
    }

    bool finished() {
        std::lock_guard lock(mutex_);
        return done_;
    }

    // The first call wins and resumes the waiter; `cancel_call` tells the call to stop.
    void finish(Result<T> outcome, bool cancel_call) {
        Resume resume;
        std::optional<Clock::TimerId> timer;
        Cancellation::CallbackId callback = 0;
        {
            std::lock_guard lock(mutex_);
            if (done_) return;
            done_ = true;
            resume.swap(resume_);
            timer = timer_;
            callback = cancel_callback_;
        }
        if (timer) clock_.cancel(*timer);
        if (cancel_call) {
            cancellation_->cancel();
        } else if (callback != 0) {
            cancellation_->remove(callback);
        }
        resume(std::move(outcome));
    }

private:
    const std::string what_;
    Clock& clock_;
    std::shared_ptr<Cancellation> cancellation_;
    std::mutex mutex_;
    bool done_ = false;
    Resume resume_;
    std::optional<Clock::TimerId> timer_;
    Cancellation::CallbackId cancel_callback_ = 0;
};

}  // namespace detail

// Awaitable: runs `call` detached and resumes the awaiting coroutine with the first of
//   - the call's result,
//   - `on_timeout()` once `limit` has passed on `clock` (the call's cancellation is then
//     cancelled),
//   - an unavailable error naming `what` (e.g. "backend 'mock-embed' embed") if someone else
//     cancels `cancellation`.
// A result that arrives later is dropped. The call's frame, and whatever it captured (capture
// the plugin instance so its library stays loaded), lives until the call finishes, however long
// after the waiter moved on; the waiter's frame is resumed exactly once. `clock` must outlive
// the call. Name the awaiter before co_await-ing it: GCC 12 relocates a non-trivial closure
// temporary inside a co_await expression bitwise (a std::string capture then frees garbage).
template <class T, class OnTimeout>
auto race_timeout(std::string what, Clock& clock, Clock::duration limit,
                  std::shared_ptr<Cancellation> cancellation, Task<Result<T>> call, OnTimeout on_timeout) {
    return await_callback<Result<T>>([what = std::move(what), clock = &clock, limit,
                                      cancellation = std::move(cancellation), call = std::move(call),
                                      on_timeout = std::move(on_timeout)](auto resume) mutable {
        auto race = std::make_shared<detail::Race<T>>(std::move(what), *clock, cancellation, std::move(resume));
        race->watch_cancellation();
        if (race->finished()) return;  // cancelled already: the call never starts
        std::move(call).start([race](Result<T> outcome) { race->finish(std::move(outcome), false); });
        race->arm_timer(limit, std::move(on_timeout));
    });
}

}  // namespace switchboard::health
