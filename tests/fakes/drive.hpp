#pragma once

#include <chrono>
#include <thread>

#include <catch2/catch.hpp>

#include "fakes/manual_clock.hpp"
#include "http/upstream_transport.hpp"

namespace switchboard::testing {

// Drives work that mixes real loopback I/O with timers on a manual clock until `done()`: while
// no HTTP exchange is in flight, time moves to the next timer (a retry backoff, a poll interval,
// a mock's latency); otherwise the real I/O is left to finish. The transport counts an exchange
// as finished only after its completion ran, so a timer that completion arms is already pending.
// Fails the test after `limit` of real time, which only a hung call takes.
//
// `idle()` says no other real work is under way (a ledger commit on its writer thread): time
// moves only when the transport and it are both idle.
template <class Done, class Idle>
void drive_until(Done done, ManualClock& clock, const http::UpstreamTransport& transport, Idle idle,
                 std::chrono::milliseconds limit = std::chrono::seconds(20)) {
    auto give_up = std::chrono::steady_clock::now() + limit;
    while (!done()) {
        REQUIRE(std::chrono::steady_clock::now() < give_up);
        if (transport.in_flight() == 0 && idle() && clock.advance_to_next()) continue;
        std::this_thread::sleep_for(std::chrono::microseconds(200));  // polling real I/O
    }
}

template <class Done>
void drive_until(Done done, ManualClock& clock, const http::UpstreamTransport& transport,
                 std::chrono::milliseconds limit = std::chrono::seconds(20)) {
    drive_until(std::move(done), clock, transport, [] { return true; }, limit);
}

}  // namespace switchboard::testing
