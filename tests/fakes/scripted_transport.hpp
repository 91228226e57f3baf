#pragma once

#include <deque>
#include <map>
#include <mutex>
#include <vector>

#include "fakes/manual_clock.hpp"
#include "http/transport.hpp"

namespace switchboard::testing {

// A Transport that answers from a script, on a manual clock: each exchange takes the next
// scripted answer (the last one repeats), finishing `latency` after it started. Records every
// request with the clock time it was started.
class ScriptedTransport final : public http::Transport {
public:
    struct Sent {
        HttpRequest request;
        Clock::time_point at;
    };

    explicit ScriptedTransport(ManualClock& clock) : clock_(clock) {}

    static http::Exchange respond(int status, std::string body = {}, std::vector<HttpHeader> headers = {}) {
        http::Exchange exchange;
        exchange.result = HttpResponse{status, std::move(headers), std::move(body), 1};
        return exchange;
    }
    static http::Exchange fail(ErrorKind kind, std::string message, bool retryable) {
        http::Exchange exchange;
        exchange.result = Error::make(kind, std::move(message));
        exchange.retryable = retryable;
        return exchange;
    }

    void script(http::Exchange answer) {
        std::lock_guard lock(mutex_);
        script_.push_back(std::move(answer));
    }
    void set_latency(Clock::duration latency) { latency_ = latency; }

    ExchangeId start(const HttpRequest& request, Done done) override {
        std::lock_guard lock(mutex_);
        sent_.push_back({request, clock_.now()});
        http::Exchange answer = script_.empty() ? fail(ErrorKind::internal, "nothing scripted", false)
                                                : script_.front();
        if (script_.size() > 1) script_.pop_front();
        ExchangeId id = ++next_id_;
        auto timer = clock_.call_after(latency_, [this, id, answer, done] {
            {
                std::lock_guard lock(mutex_);
                pending_.erase(id);
            }
            done(answer);
        });
        pending_[id] = {timer, std::move(done)};
        return id;
    }

    void cancel(ExchangeId id) override {
        Done done;
        {
            std::lock_guard lock(mutex_);
            auto it = pending_.find(id);
            if (it == pending_.end() || !clock_.cancel(it->second.first)) return;
            done = std::move(it->second.second);
            pending_.erase(it);
            ++cancelled_;
        }
        clock_.call_after(Clock::duration::zero(), [done] {
            done(fail(ErrorKind::timeout, "cancelled by the caller", false));
        });
    }

    std::vector<Sent> sent() const {
        std::lock_guard lock(mutex_);
        return sent_;
    }
    int cancelled() const {
        std::lock_guard lock(mutex_);
        return cancelled_;
    }

private:
    ManualClock& clock_;
    mutable std::mutex mutex_;
    std::deque<http::Exchange> script_;
    Clock::duration latency_ = std::chrono::milliseconds(10);
    std::vector<Sent> sent_;
    std::map<ExchangeId, std::pair<Clock::TimerId, Done>> pending_;
    ExchangeId next_id_ = 0;
    int cancelled_ = 0;
};

}  // namespace switchboard::testing
