#pragma once

#include <cstddef>
#include <memory>
#include <thread>
#include <vector>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>

namespace switchboard::runtime {

// The host's event loops, one thread each. Loop 0 is the main loop: the thread that owns the
// EventLoops runs it, and it carries whatever is not tied to a loop (signals, health probes, work
// arriving from other threads). Loops 1..n-1 run on threads of their own (start()).
//
// Work stays on the loop it started on: a connection belongs to one loop, and the timers and
// upstream exchanges its calls start (AsioClock, LoopTransport) run on that loop too, so a call
// is read, sent upstream, awaited and answered by one thread. One io_context shared by every
// thread would instead hand each step to whichever thread is idle, and on a small machine those
// hand-offs (a futex wake and a context switch each) cost more than the work itself.
class EventLoops {
public:
    explicit EventLoops(std::size_t count = 1);  // at least 1
    ~EventLoops();                               // stops and joins the loop threads
    EventLoops(const EventLoops&) = delete;
    EventLoops& operator=(const EventLoops&) = delete;

    std::size_t size() const noexcept { return loops_.size(); }
    boost::asio::io_context& main() noexcept { return *loops_.front(); }
    boost::asio::io_context& at(std::size_t index) noexcept { return *loops_[index]; }
    std::vector<boost::asio::io_context*> all() const;

    // The loop the calling thread runs, or null on any other thread (the main thread included:
    // "no loop" and "the main loop" lead to the same place, the main loop).
    static boost::asio::io_context* current() noexcept;

    // Runs loops 1..n-1, each on a new thread, until stop_others(). Loop 0 is the caller's to run.
    void start();
    // Lets loops 1..n-1 end: they stop at once, abandoning queued work (drain() runs it).
    void stop_others();
    // Runs every loop's ready handlers on the calling thread until none has any (after the loop
    // threads have stopped): calls cancelled at a stop finish while what they answer through lives.
    // Work other threads post later (the ledger's writer) is not waited for. True if any ran.
    bool drain();

private:
    using Guard = boost::asio::executor_work_guard<boost::asio::io_context::executor_type>;
    std::vector<std::unique_ptr<boost::asio::io_context>> loops_;
    std::vector<Guard> guards_;
    std::vector<std::thread> threads_;
};

}  // namespace switchboard::runtime
