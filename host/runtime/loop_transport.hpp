#pragma once

#include <cstddef>
#include <memory>
#include <vector>

#include "http/upstream_transport.hpp"
#include "runtime/event_loops.hpp"

namespace switchboard::runtime {

// An UpstreamTransport per event loop: an exchange runs on the loop of the thread that starts it (the
// main loop's when that thread runs none), so its sockets, timers and `done` stay on the thread
// of the call that asked for it. Thread-safe. Destroy it as an UpstreamTransport: once the loops have
// stopped or nothing is in flight.
class LoopTransport final : public http::Transport {
public:
    explicit LoopTransport(EventLoops& loops);

    ExchangeId start(const HttpRequest& request, Done done) override;
    void cancel(ExchangeId id) override;

private:
    std::size_t loop_of_this_thread() const;

    std::vector<boost::asio::io_context*> loops_;
    std::vector<std::unique_ptr<http::UpstreamTransport>> transports_;  // one per loop, same order
};

}  // namespace switchboard::runtime
