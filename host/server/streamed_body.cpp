#include "server/streamed_body.hpp"

#include <algorithm>
#include <condition_variable>
#include <deque>
#include <mutex>
#include <streambuf>
#include <system_error>
#include <utility>

namespace switchboard::server {

using Deliver = std::function<void(std::optional<std::string>)>;

struct StreamedBody::State {
    const std::size_t piece_bytes;
    const std::size_t max_pieces;
    std::mutex mutex;
    std::condition_variable room;  // the producer waits here for the queue to drain
    std::deque<std::string> pieces;
    Deliver waiting;               // a next() that found the queue empty
    bool done = false;             // the producer has finished: the end (or failure) follows the queue
    bool failed = false;
    bool dropped = false;

    // A full piece from the producer; false once the body was dropped.
    bool push(std::string piece) {
        Deliver deliver;
        {
            std::unique_lock lock(mutex);
            room.wait(lock, [&] { return dropped || pieces.size() < max_pieces; });
            if (dropped) return false;
            if (!waiting) {
                pieces.push_back(std::move(piece));
                return true;
            }
            deliver = std::exchange(waiting, nullptr);
        }
        deliver(std::move(piece));
        return true;
    }

    void finish(bool with_failure) {
        Deliver deliver;
        {
            std::lock_guard lock(mutex);
            done = true;
            failed = with_failure;
            if (!waiting) return;  // next() finds the queue, then the end
            deliver = std::exchange(waiting, nullptr);
        }
        deliver(with_failure ? std::nullopt : std::optional<std::string>(std::string()));
    }
};

namespace {

// Collects what the producer writes into pieces and hands each full one on.
class PieceBuffer : public std::streambuf {
public:
    PieceBuffer(std::size_t piece_bytes, std::function<bool(std::string)> push)
        : piece_bytes_(piece_bytes), push_(std::move(push)) {
        piece_.reserve(piece_bytes_);
    }

    bool flush_piece() {
        if (piece_.empty()) return true;
        std::string full;
        full.reserve(piece_bytes_);
        std::swap(full, piece_);
        return push_(std::move(full));
    }

protected:
    std::streamsize xsputn(const char* data, std::streamsize size) override {
        std::streamsize written = 0;
        while (written < size) {
            const auto take = std::min(static_cast<std::streamsize>(piece_bytes_ - piece_.size()), size - written);
            piece_.append(data + written, static_cast<std::size_t>(take));
            written += take;
            if (piece_.size() >= piece_bytes_ && !flush_piece()) return written - take;
        }
        return written;
    }

    int_type overflow(int_type c) override {
        if (traits_type::eq_int_type(c, traits_type::eof())) return traits_type::not_eof(c);
        const char ch = traits_type::to_char_type(c);
        return xsputn(&ch, 1) == 1 ? c : traits_type::eof();
    }

private:
    const std::size_t piece_bytes_;
    std::function<bool(std::string)> push_;
    std::string piece_;
};

}  // namespace

StreamedBody::StreamedBody(std::function<void(std::ostream&)> produce, std::size_t piece_bytes,
                           std::size_t max_pieces)
    : state_(std::make_shared<State>(std::max<std::size_t>(piece_bytes, 1), std::max<std::size_t>(max_pieces, 1))),
      produce_(std::move(produce)) {}

StreamedBody::~StreamedBody() {
    {
        std::lock_guard lock(state_->mutex);
        state_->dropped = true;
        state_->waiting = nullptr;
    }
    state_->room.notify_all();
    if (!producer_.joinable()) return;
    // The last holder of a session can be the producer's own delivery; it cannot join itself.
    if (producer_.get_id() == std::this_thread::get_id()) {
        producer_.detach();
    } else {
        producer_.join();
    }
}

void StreamedBody::next(Deliver deliver) {
    std::optional<std::string> now;
    {
        std::lock_guard lock(state_->mutex);
        if (!producer_.joinable() && !state_->done) try {
            producer_ = std::thread([state = state_, produce = std::move(produce_)] {
                PieceBuffer buffer(state->piece_bytes, [&state](std::string piece) { return state->push(std::move(piece)); });
                std::ostream out(&buffer);
                bool failed = false;
                try {
                    produce(out);
                    failed = !out || !buffer.flush_piece();
                } catch (...) {
                    failed = true;
                }
                state->finish(failed);
            });
        } catch (const std::system_error&) {  // no thread to be had: the body fails, the host goes on
            state_->done = true;
            state_->failed = true;
        }
        if (!state_->pieces.empty()) {
            now = std::move(state_->pieces.front());
            state_->pieces.pop_front();
        } else if (state_->done) {
            if (!state_->failed) now = std::string();
        } else {
            state_->waiting = std::move(deliver);
            return;
        }
    }
    state_->room.notify_all();
    deliver(std::move(now));
}

}  // namespace switchboard::server
