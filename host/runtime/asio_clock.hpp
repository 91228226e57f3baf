#pragma once

#include <map>
#include <memory>
#include <mutex>

#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>

#include "switchboard/host_services.hpp"

namespace switchboard::runtime {

// The production Clock: steady time, timers on the host's Asio event loops: on the loop of the
// thread that sets them (EventLoops::current()), else on `io`. Callbacks run on that loop's
// thread. Thread-safe. The loops must outlive the clock.
class AsioClock final : public Clock {
public:
    explicit AsioClock(boost::asio::io_context& io) : io_(io) {}
    ~AsioClock() override;

    time_point now() const override { return std::chrono::steady_clock::now(); }
    std::chrono::system_clock::time_point wall_now() const override {
        return std::chrono::system_clock::now();
    }
    TimerId call_after(duration delay, std::function<void()> fn) override;
    bool cancel(TimerId id) override;

private:
    boost::asio::io_context& io_;
    std::mutex mutex_;
    TimerId next_id_ = 0;
    std::map<TimerId, std::shared_ptr<boost::asio::steady_timer>> timers_;
};

}  // namespace switchboard::runtime
