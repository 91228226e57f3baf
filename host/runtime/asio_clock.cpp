#include "runtime/asio_clock.hpp"

#include <boost/asio/post.hpp>

#include "runtime/event_loops.hpp"

namespace switchboard::runtime {

AsioClock::~AsioClock() {
    std::lock_guard lock(mutex_);
    for (auto& [id, timer] : timers_) timer->cancel();
}

Clock::TimerId AsioClock::call_after(duration delay, std::function<void()> fn) {
    // On the caller's own loop when it runs one, so a call's timers fire where the call runs.
    auto* loop = EventLoops::current();
    auto& io = loop != nullptr ? *loop : io_;
    if (delay <= duration::zero()) {
        // "As soon as the loop gets to it": a posted handler, no timer (0: not cancellable).
        boost::asio::post(io, std::move(fn));
        return 0;
    }
    auto timer = std::make_shared<boost::asio::steady_timer>(io, delay);
    TimerId id;
    {
        std::lock_guard lock(mutex_);
        id = ++next_id_;
        timers_.emplace(id, timer);
    }
    timer->async_wait([this, id, timer, fn = std::move(fn)](const boost::system::error_code& ec) {
        if (ec) return;  // cancelled, possibly with the clock already gone: touch nothing
        {
            std::lock_guard lock(mutex_);
            if (timers_.erase(id) == 0) return;  // cancel() won the race
        }
        fn();
    });
    return id;
}

bool AsioClock::cancel(TimerId id) {
    std::shared_ptr<boost::asio::steady_timer> timer;
    {
        std::lock_guard lock(mutex_);
        auto it = timers_.find(id);
        if (it == timers_.end()) return false;
        timer = std::move(it->second);
        timers_.erase(it);
    }
    timer->cancel();
    return true;
}

}  // namespace switchboard::runtime
