#include "runtime/loop_transport.hpp"

#include <algorithm>

namespace switchboard::runtime {

LoopTransport::LoopTransport(EventLoops& loops) : loops_(loops.all()) {
    for (auto* loop : loops_) transports_.push_back(std::make_unique<http::UpstreamTransport>(*loop));
}

// An id names its transport in its low bits: the loop index, times the number of loops, plus the
// transport's own id. Ids stay unique as long as each transport's do (its ids only grow).
LoopTransport::ExchangeId LoopTransport::start(const HttpRequest& request, Done done) {
    const std::size_t index = loop_of_this_thread();
    const ExchangeId inner = transports_[index]->start(request, std::move(done));
    return inner * transports_.size() + index;
}

void LoopTransport::cancel(ExchangeId id) {
    transports_[id % transports_.size()]->cancel(id / transports_.size());
}

std::size_t LoopTransport::loop_of_this_thread() const {
    auto* current = EventLoops::current();
    auto it = std::find(loops_.begin(), loops_.end(), current);
    return it == loops_.end() ? 0 : static_cast<std::size_t>(it - loops_.begin());
}

}  // namespace switchboard::runtime
