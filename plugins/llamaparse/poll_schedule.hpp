#pragma once

#include <algorithm>
#include <optional>

#include "llamaparse/llamaparse_settings.hpp"
#include "switchboard/host_services.hpp"

namespace switchboard::llamaparse {

// When to poll a job: first after poll_initial, then each wait poll_step longer, up to poll_max
// (1, 2, 3, 4, 5, 5, ... s by default). The job's time ends at start + job_timeout, and the last
// wait is cut short to poll once more right then. When the call's deadline comes first, polling
// stops as soon as the next poll would not come before it (the caller gets its answer early
// rather than at a deadline where the poll itself could no longer be sent).
class PollSchedule {
public:
    PollSchedule(const LlamaParseSettings& settings, Clock::time_point start,
                 std::optional<Clock::time_point> deadline)
        : next_(settings.poll_initial), step_(settings.poll_step), max_(settings.poll_max), start_(start),
          limit_(start + settings.job_timeout) {
        if (deadline && *deadline < limit_) {
            limit_ = *deadline;
            deadline_first_ = true;
        }
    }

    // The wait before the next poll, or nullopt once the job's time is up.
    std::optional<Clock::duration> next_wait(Clock::time_point now) {
        if (now >= limit_ || (deadline_first_ && now + next_ >= limit_)) return std::nullopt;
        Clock::duration wait = std::min<Clock::duration>(next_, limit_ - now);
        next_ = std::min<Clock::duration>(next_ + step_, max_);
        return wait;
    }

    Clock::time_point start() const { return start_; }
    bool deadline_first() const { return deadline_first_; }

private:
    Clock::duration next_;
    Clock::duration step_;
    Clock::duration max_;
    Clock::time_point start_;
    Clock::time_point limit_;
    bool deadline_first_ = false;
};

}  // namespace switchboard::llamaparse
