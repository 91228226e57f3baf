#include <chrono>
#include <memory>
#include <optional>

#include <catch2/catch.hpp>

#include "fakes/manual_clock.hpp"
#include "fakes/scripted_backend.hpp"
#include "health/race_timeout.hpp"

using namespace std::chrono_literals;
using namespace switchboard;
using namespace switchboard::testing;
using Step = ScriptedBackend::Step;

namespace {

Task<Status> race(Clock& clock, std::shared_ptr<Cancellation> cancellation, Task<Status> call) {
    auto on_timeout = [] { return Error::make(ErrorKind::timeout, "too slow"); };
    // A named awaiter, as race_timeout asks.
    auto answer = health::race_timeout<void>("backend 'alpha' health", clock, 1s, std::move(cancellation),
                                             std::move(call), on_timeout);
    co_return co_await answer;
}

}  // namespace

TEST_CASE("a call cancelled by someone else ends with an error naming the call", "[health]") {
    ManualClock clock;
    auto alpha = std::make_shared<ScriptedBackend>("alpha", clock);
    alpha->set_default_health(Step::hang());
    auto cancellation = std::make_shared<Cancellation>();
    std::optional<Status> outcome;
    race(clock, cancellation, alpha->health(CallContext{}))
        .start([&outcome](Status status) { outcome = std::move(status); });
    REQUIRE_FALSE(outcome.has_value());

    cancellation->cancel();
    REQUIRE(outcome.has_value());
    REQUIRE_FALSE(outcome->ok());
    CHECK(outcome->error().kind == ErrorKind::unavailable);
    CHECK(outcome->error().message == "backend 'alpha' health: call cancelled before it answered");

    alpha->release_hung();
    clock.advance(1s);
}
