#include <algorithm>
#include <chrono>
#include <memory>
#include <optional>
#include <vector>

#include <catch2/catch.hpp>

#include "fakes/manual_clock.hpp"
#include "openai_embeddings/fan_out.hpp"

namespace switchboard::openai {
namespace {

using namespace std::chrono_literals;
using testing::ManualClock;

// What the jobs saw: how many ran at once, which started.
struct Tracker {
    int in_flight = 0;
    int most_in_flight = 0;
    std::vector<std::size_t> started;
};

// Job `index`: waits `delay` on the clock, then yields index * 10, or fails when asked to.
Task<Result<int>> job(ManualClock& clock, Tracker& tracker, std::size_t index, std::chrono::milliseconds delay,
                      bool fail) {
    tracker.started.push_back(index);
    tracker.most_in_flight = std::max(tracker.most_in_flight, ++tracker.in_flight);
    co_await sleep_for(clock, delay);
    --tracker.in_flight;
    if (fail) co_return Error::make(ErrorKind::unavailable, "job " + std::to_string(index) + " failed");
    co_return static_cast<int>(index) * 10;
}

// Starts `task` and advances the clock until it is done.
template <class T>
T drive(ManualClock& clock, Task<T> task) {
    auto result = std::make_shared<std::optional<T>>();
    std::move(task).start([result](T value) { result->emplace(std::move(value)); });
    while (!result->has_value() && clock.advance_to_next()) {}
    REQUIRE(result->has_value());
    return std::move(**result);
}

TEST_CASE("fan_out returns results in index order whatever order the jobs finish in", "[openai]") {
    ManualClock clock;
    Tracker tracker;
    // Later jobs finish first.
    auto results = drive(clock, fan_out<int>(5, 5, [&](std::size_t i) {
                             return job(clock, tracker, i, std::chrono::milliseconds(50 - 10 * i), false);
                         }));
    REQUIRE(results.ok());
    CHECK(results.value() == std::vector<int>{0, 10, 20, 30, 40});
    CHECK(tracker.most_in_flight == 5);
}

TEST_CASE("fan_out never runs more jobs at once than its limit", "[openai]") {
    ManualClock clock;
    Tracker tracker;
    auto start = clock.now();
    auto results = drive(clock, fan_out<int>(10, 3, [&](std::size_t i) {
                             return job(clock, tracker, i, 100ms, false);
                         }));
    REQUIRE(results.ok());
    CHECK(results.value().size() == 10);
    CHECK(tracker.most_in_flight == 3);
    CHECK(tracker.started == std::vector<std::size_t>{0, 1, 2, 3, 4, 5, 6, 7, 8, 9});
    // Four waves of at most three 100 ms jobs.
    CHECK(clock.now() - start == 400ms);
}

TEST_CASE("fan_out stops starting jobs after the first failure and returns that failure", "[openai]") {
    ManualClock clock;
    Tracker tracker;
    int failure_calls = 0;
    // Job 1 fails first (10 ms); jobs 0 and 2 were already running and finish; 3.. never start.
    auto results = drive(clock, fan_out<int>(
                                    8, 3,
                                    [&](std::size_t i) {
                                        return job(clock, tracker, i, i == 1 ? 10ms : 50ms, i == 1 || i == 2);
                                    },
                                    [&] { ++failure_calls; }));
    REQUIRE_FALSE(results.ok());
    CHECK(results.error().kind == ErrorKind::unavailable);
    CHECK(results.error().message == "job 1 failed");
    CHECK(failure_calls == 1);
    CHECK(tracker.started == std::vector<std::size_t>{0, 1, 2});
    CHECK(tracker.in_flight == 0);
}

TEST_CASE("fan_out over no jobs returns no results at once", "[openai]") {
    ManualClock clock;
    Tracker tracker;
    auto results = drive(clock, fan_out<int>(0, 4, [&](std::size_t i) { return job(clock, tracker, i, 1ms, false); }));
    REQUIRE(results.ok());
    CHECK(results.value().empty());
    CHECK(tracker.started.empty());
}

}  // namespace
}  // namespace switchboard::openai
