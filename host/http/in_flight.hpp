#pragma once

#include <atomic>
#include <cstddef>
#include <memory>
#include <utility>

#include <boost/asio/defer.hpp>
#include <boost/asio/io_context.hpp>

#include "http/transport.hpp"

namespace switchboard::http {

// The bookkeeping every Transport keeps between start() and `done`: how many exchanges are in
// flight, and whether the owner has gone. Shared by the transport and its queued outcomes, so an
// outcome may run after the transport itself is gone. Thread-safe.
class InFlight : public std::enable_shared_from_this<InFlight> {
public:
    void started() noexcept { count_.fetch_add(1, std::memory_order_relaxed); }
    std::size_t count() const noexcept { return count_.load(std::memory_order_acquire); }

    // The owner is going away: outcomes not delivered yet are dropped, their `done` never called.
    void close() noexcept { closed_.store(true, std::memory_order_release); }

    // Runs `done` with `exchange` on `io`, later, never inline. The count drops only once `done`
    // has returned, so a timer it arms is already set for whoever waits for the count to drop.
    void deliver(boost::asio::io_context& io, Transport::Done done, Exchange exchange) {
        boost::asio::defer(io, [self = shared_from_this(), done = std::move(done), exchange = std::move(exchange)]() mutable {
            struct Finish {
                InFlight& in_flight;
                ~Finish() { in_flight.count_.fetch_sub(1, std::memory_order_acq_rel); }
            } finish{*self};
            if (!self->closed_.load(std::memory_order_acquire) && done) done(std::move(exchange));
        });
    }

private:
    std::atomic<bool> closed_{false};
    std::atomic<std::size_t> count_{0};
};

}  // namespace switchboard::http
