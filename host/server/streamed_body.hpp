#pragma once

#include <cstddef>
#include <functional>
#include <memory>
#include <optional>
#include <ostream>
#include <string>
#include <thread>

#include "server/http_server.hpp"

namespace switchboard::server {

// A body written to a std::ostream by `produce`, which runs on a thread of its own (it may block
// on a database), cut into pieces of about `piece_bytes`. The producer waits while `max_pieces`
// wait to be sent, so a slow client holds the export back instead of filling memory. Dropping the
// body stops the producer: its next write fails, as into a closed pipe.
class StreamedBody : public BodySource {
public:
    explicit StreamedBody(std::function<void(std::ostream&)> produce, std::size_t piece_bytes = 64 * 1024,
                          std::size_t max_pieces = 4);
    ~StreamedBody() override;
    StreamedBody(const StreamedBody&) = delete;
    StreamedBody& operator=(const StreamedBody&) = delete;

    // The first call starts the producer.
    void next(std::function<void(std::optional<std::string>)> deliver) override;

private:
    struct State;  // shared with the producer thread, which may outlive this object by a moment
    std::shared_ptr<State> state_;
    std::function<void(std::ostream&)> produce_;
    std::thread producer_;
};

}  // namespace switchboard::server
