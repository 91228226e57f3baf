#pragma once

#include <algorithm>
#include <cstddef>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <utility>
#include <vector>

#include "switchboard/result.hpp"
#include "switchboard/task.hpp"

namespace switchboard::openai {

namespace detail {

template <class T>
struct FanOutState {
    std::mutex mutex;
    std::size_t count = 0;
    std::size_t next = 0;
    std::size_t workers_left = 0;
    std::vector<std::optional<T>> results;
    std::optional<Error> failure;
    std::function<void()> on_failure;
    std::function<void(bool)> finished;
};

// Takes the next job until none is left or one has failed.
template <class T, class Job>
Task<Status> fan_out_worker(std::shared_ptr<FanOutState<T>> state, Job* job) {
    for (;;) {
        std::size_t index = 0;
        {
            std::lock_guard lock(state->mutex);
            if (state->failure || state->next == state->count) break;
            index = state->next++;
        }
        auto call = (*job)(index);
        Result<T> result = co_await std::move(call);
        std::function<void()> notify;
        {
            std::lock_guard lock(state->mutex);
            if (result.ok()) {
                state->results[index].emplace(std::move(result).value());
            } else if (!state->failure) {
                state->failure.emplace(std::move(result).error());
                notify = std::move(state->on_failure);
            }
        }
        if (notify) notify();
    }
    co_return Status{};
}

}  // namespace detail

// Runs job(0) … job(count-1), at most `limit` at a time, with no thread of its own: each worker is
// a detached task that takes the next index when its previous job ends. Results come back in
// index order. After the first failure no further job starts, `on_failure` runs once (to abort
// the jobs in flight, say) and, once the jobs in flight have ended, that first error is returned.
//
// `job` is a callable (std::size_t) -> Task<Result<T>>; it lives in this coroutine's frame until
// every worker has ended.
template <class T, class Job>
Task<Result<std::vector<T>>> fan_out(std::size_t count, std::size_t limit, Job job,
                                     std::function<void()> on_failure = {}) {
    auto state = std::make_shared<detail::FanOutState<T>>();
    state->count = count;
    state->results.resize(count);
    state->on_failure = std::move(on_failure);
    std::size_t workers = std::min(count, std::max<std::size_t>(limit, 1));
    state->workers_left = workers;

    if (workers > 0) {
        Job* shared_job = &job;
        auto all_ended = await_callback<bool>([state, shared_job, workers](auto resume) {
            {
                std::lock_guard lock(state->mutex);
                state->finished = std::move(resume);
            }
            for (std::size_t w = 0; w < workers; ++w) {
                auto worker = detail::fan_out_worker<T, Job>(state, shared_job);
                std::move(worker).start([state](Status status) {
                    std::function<void(bool)> finished;
                    {
                        std::lock_guard lock(state->mutex);
                        // Only an exception escaping a job makes a worker fail.
                        if (!status.ok() && !state->failure) state->failure.emplace(status.error());
                        if (--state->workers_left == 0) finished = std::move(state->finished);
                    }
                    if (finished) finished(true);
                });
            }
        });
        co_await all_ended;
    }

    if (state->failure) co_return std::move(*state->failure);
    std::vector<T> results;
    results.reserve(count);
    for (auto& result : state->results) results.push_back(std::move(*result));
    co_return results;
}

}  // namespace switchboard::openai
