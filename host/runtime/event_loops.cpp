#include "runtime/event_loops.hpp"

#include <algorithm>

namespace switchboard::runtime {

namespace {
thread_local boost::asio::io_context* this_thread_loop = nullptr;
}  // namespace

EventLoops::EventLoops(std::size_t count) {
    count = std::max<std::size_t>(count, 1);
    loops_.reserve(count);
    for (std::size_t i = 0; i < count; ++i) loops_.push_back(std::make_unique<boost::asio::io_context>());
}

EventLoops::~EventLoops() {
    stop_others();
    // The main loop last: handlers left on the others may hold what lives on it (the acceptor).
    while (!loops_.empty()) loops_.pop_back();
}

std::vector<boost::asio::io_context*> EventLoops::all() const {
    std::vector<boost::asio::io_context*> result;
    for (const auto& loop : loops_) result.push_back(loop.get());
    return result;
}

boost::asio::io_context* EventLoops::current() noexcept { return this_thread_loop; }

void EventLoops::start() {
    if (!threads_.empty()) return;
    for (std::size_t i = 1; i < loops_.size(); ++i) {
        auto& loop = *loops_[i];
        loop.restart();
        guards_.emplace_back(loop.get_executor());
        threads_.emplace_back([&loop] {
            this_thread_loop = &loop;
            loop.run();
            this_thread_loop = nullptr;
        });
    }
}

void EventLoops::stop_others() {
    for (auto& guard : guards_) guard.reset();
    for (std::size_t i = 1; i < loops_.size(); ++i) loops_[i]->stop();
    for (auto& thread : threads_) thread.join();
    threads_.clear();
    guards_.clear();
}

bool EventLoops::drain() {
    bool ran_any = false;
    bool ran = true;
    while (ran) {
        ran = false;
        for (auto& loop : loops_) {
            // A loop left without work stops itself; what one loop's handlers post to another
            // must still run, so each pass restarts it.
            loop->restart();
            // Handlers that run here count as on their loop, so what they start stays there.
            this_thread_loop = loop.get() == loops_.front().get() ? nullptr : loop.get();
            ran = loop->poll() > 0 || ran;
        }
        this_thread_loop = nullptr;
        ran_any = ran_any || ran;
    }
    return ran_any;
}

}  // namespace switchboard::runtime
