#include <catch2/catch.hpp>

#include <atomic>
#include <latch>
#include <thread>
#include <vector>

#include "cost/budget.hpp"
#include "cost_test_support.hpp"

using namespace std::chrono_literals;
using namespace switchboard;
using namespace switchboard::cost;
using switchboard::cost::testing::at;
using switchboard::cost::testing::usd;

namespace {

Limits backend_daily(const char* limit) {
    Limits limits;
    limits.backends["openai"].daily = usd(limit);
    return limits;
}

const Ask& ask(Money cost, std::int64_t tokens = 0) {
    thread_local Ask value;
    value = Ask{"embeddings", "openai", cost, tokens, ""};
    return value;
}

Reservation hold(Budget& budget, Money cost, WallTime now, std::int64_t tokens = 0) {
    auto result = budget.reserve(ask(cost, tokens), now);
    INFO((result.ok() ? std::string() : describe(result.error())));
    REQUIRE(result.ok());
    return std::move(result).value();
}

void spend(Budget& budget, Money cost, WallTime now) {
    Reservation reservation = hold(budget, cost, now);
    budget.settle(reservation, cost, 0, now);
}

CapState cap(const Budget& budget, Scope scope, Window window, WallTime now) {
    for (const CapState& state : budget.caps(now)) {
        if (state.key.scope == scope && state.key.window == window) return state;
    }
    FAIL("no such cap");
    return {};
}

}  // namespace

TEST_CASE("caps are described and identified for messages and metrics", "[cost][budget]") {
    CHECK(describe(CapKey{Scope::global, "", Window::day}) == "the global daily cap");
    CHECK(describe(CapKey{Scope::service, "embeddings", Window::hour}) == "the hourly cap of service 'embeddings'");
    CHECK(describe(CapKey{Scope::backend, "openai", Window::month}) == "the monthly cap of backend 'openai'");
    CHECK(id_of(CapKey{Scope::global, "", Window::day}) == "global.day");
    CHECK(id_of(CapKey{Scope::service, "embeddings", Window::hour}) == "service.embeddings.hour");
    CHECK(id_of(CapKey{Scope::backend, "openai", Window::month}) == "backend.openai.month");
    CHECK(describe(CapKey{Scope::client, "etl", Window::day}) == "the daily cap of client 'etl'");
    CHECK(id_of(CapKey{Scope::client, "etl", Window::day}) == "client.etl.day");
}

TEST_CASE("a client's own cap holds its calls and no one else's", "[cost][budget]") {
    config::Config config;
    config.server.clients["etl"].caps.daily = usd("1.00");
    config.server.clients["notebook"];  // no caps
    const Limits limits = Limits::from(config);
    REQUIRE(limits.clients.size() == 1);
    Budget budget(limits, TimeZone::utc());
    const WallTime now = at(2026, 11, 29, 9);

    auto first = budget.reserve(Ask{"embeddings", "openai", usd("0.70"), 0, "etl"}, now);
    REQUIRE(first.ok());
    budget.settle(first.value(), usd("0.70"), 0, now);
    auto refused = budget.reserve(Ask{"embeddings", "openai", usd("0.40"), 0, "etl"}, now);
    REQUIRE_FALSE(refused.ok());
    CHECK(refused.error().kind == ErrorKind::budget_exceeded);
    CHECK(refused.error().message ==
          "the daily cap of client 'etl' is reached: spent $0.70 of $1.00; this call needs up to $0.40; resets at "
          "2026-11-30T00:00:00Z (to allow more now, raise daily under [server.clients.etl.caps])");
    CHECK(budget.reserve(Ask{"embeddings", "openai", usd("0.40"), 0, "notebook"}, now).ok());
    CHECK(budget.reserve(Ask{"embeddings", "openai", usd("0.40"), 0, ""}, now).ok());
    CHECK(budget.reserve(Ask{"embeddings", "openai", usd("0.30"), 0, "etl"}, now).ok());  // exactly up to the cap

    // After a restart, the ledger's spend by this client counts again.
    Budget restarted(limits, TimeZone::utc());
    restarted.restore("embeddings", "openai", "etl", usd("0.70"), usd("0.70"), usd("0.70"), now);
    restarted.restore("embeddings", "openai", "notebook", usd("5"), usd("5"), usd("5"), now);
    CHECK(cap(restarted, Scope::client, Window::day, now).spent == usd("0.70"));
    CHECK_FALSE(restarted.reserve(Ask{"embeddings", "openai", usd("0.40"), 0, "etl"}, now).ok());
}

TEST_CASE("Limits::from takes every cap, rate limit and alert threshold from the config", "[cost][budget]") {
    config::Config config;
    config.cost.caps.monthly = usd("100");
    config.cost.alert_percents = {25, 90};
    config.services["embeddings"].caps.daily = usd("5");
    config.services["parse"];  // no caps
    config.backends["openai"].caps.hourly = usd("1");
    config.backends["openai"].limits.requests_per_minute = 60;
    config.backends["mock"];

    const Limits limits = Limits::from(config);
    CHECK(limits.global.monthly == usd("100"));
    CHECK(limits.services.size() == 1);
    CHECK(limits.services.at("embeddings").daily == usd("5"));
    CHECK(limits.backends.size() == 1);
    CHECK(limits.backends.at("openai").hourly == usd("1"));
    CHECK(limits.rates.size() == 1);
    CHECK(limits.rates.at("openai").requests_per_minute == 60);
    CHECK(limits.alert_percents == std::vector<int>{25, 90});
}

TEST_CASE("a call that would pass a cap is refused with the cap, spend, limit and reset time", "[cost][budget]") {
    Budget budget(backend_daily("5.00"), TimeZone::utc());
    const WallTime now = at(2026, 11, 29, 18);
    spend(budget, usd("4.97"), now);
    Reservation in_flight = hold(budget, usd("0.02"), now);

    auto refused = budget.reserve(ask(usd("0.03")), now);
    REQUIRE_FALSE(refused.ok());
    CHECK(refused.error().kind == ErrorKind::budget_exceeded);
    CHECK(refused.error().message ==
          "the daily cap of backend 'openai' is reached: spent $4.97 + $0.02 held by calls in flight of $5.00; this "
          "call needs up to $0.03; resets at 2026-11-30T00:00:00Z (to allow more now, raise daily under "
          "[backends.openai.caps])");
    CHECK(refused.error().retry_after == std::chrono::milliseconds(6h));

    // Exactly up to the cap is allowed.
    Reservation last = hold(budget, usd("0.01"), now);
    CHECK(cap(budget, Scope::backend, Window::day, now).reserved == usd("0.03"));
    CHECK(cap(budget, Scope::backend, Window::day, now).spent == usd("4.97"));
}

TEST_CASE("the refusal names the blocking cap that stays blocked longest", "[cost][budget]") {
    Limits limits;
    limits.global.hourly = usd("1");
    limits.services["embeddings"].monthly = usd("1");
    Budget budget(std::move(limits), TimeZone::utc());
    const WallTime now = at(2026, 11, 29, 18, 30);
    spend(budget, usd("1"), now);

    auto refused = budget.reserve(ask(usd("0.01")), now);
    REQUIRE_FALSE(refused.ok());
    CHECK(refused.error().message.starts_with("the monthly cap of service 'embeddings' is reached: spent $1.00 of "
                                              "$1.00; this call needs up to $0.01; resets at 2026-12-01T00:00:00Z"));
    CHECK(refused.error().retry_after == std::chrono::milliseconds(24h + 5h + 30min));
}

TEST_CASE("an estimate larger than a cap by itself is refused as budget_exceeded with no time to wait", "[cost][budget]") {
    Limits limits;
    limits.services["embeddings"].hourly = usd("0.50");
    Budget budget(std::move(limits), TimeZone::utc());

    auto refused = budget.reserve(ask(usd("0.75")), at(2026, 11, 29));
    REQUIRE_FALSE(refused.ok());
    CHECK(refused.error().kind == ErrorKind::budget_exceeded);
    CHECK(refused.error().message ==
          "this call's estimate of $0.75 is more than the hourly cap of service 'embeddings' ($0.50) by itself, so it "
          "can never run; send a smaller request or raise hourly under [services.embeddings.caps]");
    CHECK_FALSE(refused.error().retry_after);
}

TEST_CASE("200 concurrent reservations against a cap that fits 50: exactly 50 are admitted", "[cost][budget]") {
    Limits limits;
    limits.global.daily = usd("0.50");
    limits.services["embeddings"].daily = usd("100");
    limits.backends["openai"].daily = usd("100");
    Budget budget(std::move(limits), TimeZone::utc());
    const WallTime now = at(2026, 11, 29, 12);

    constexpr int threads = 200;
    std::latch start(threads);
    std::atomic<int> admitted{0};
    std::atomic<int> refused_for_budget{0};
    std::vector<Reservation> held(threads);
    std::vector<std::thread> workers;
    for (int i = 0; i < threads; ++i) {
        workers.emplace_back([&, i] {
            start.arrive_and_wait();
            auto result = budget.reserve(Ask{"embeddings", "openai", usd("0.01"), 10, ""}, now);
            if (result.ok()) {
                held[static_cast<std::size_t>(i)] = std::move(result).value();
                ++admitted;
            } else if (result.error().kind == ErrorKind::budget_exceeded) {
                ++refused_for_budget;
            }
        });
    }
    for (auto& worker : workers) worker.join();

    CHECK(admitted == 50);
    CHECK(refused_for_budget == 150);
    CHECK(cap(budget, Scope::global, Window::day, now).reserved == usd("0.50"));
    held.clear();  // dropped without settle: released
    CHECK(cap(budget, Scope::global, Window::day, now).reserved == usd("0"));
}

TEST_CASE("reservations from several threads settling and reserving at once never pass the cap", "[cost][budget]") {
    Limits limits;
    limits.global.daily = usd("1");
    Budget budget(std::move(limits), TimeZone::utc());
    const WallTime now = at(2026, 11, 29, 12);

    std::atomic<int> admitted{0};
    std::vector<std::thread> workers;
    for (int t = 0; t < 4; ++t) {
        workers.emplace_back([&] {
            for (int i = 0; i < 500; ++i) {
                auto result = budget.reserve(Ask{"embeddings", "openai", usd("0.02"), 0, ""}, now);
                if (!result.ok()) continue;
                ++admitted;
                budget.settle(result.value(), usd("0.01"), 0, now);  // each costs half its estimate
            }
        });
    }
    for (auto& worker : workers) worker.join();

    // $1.00 at $0.01 each: 100 admitted; the last one in needed $0.02 of room.
    const CapState day = cap(budget, Scope::global, Window::day, now);
    CHECK(day.reserved == usd("0"));
    CHECK(day.spent == usd("0.99"));
    CHECK(admitted == 99);
}

TEST_CASE("settle replaces the estimate with the actual cost, up or down", "[cost][budget]") {
    Budget budget(backend_daily("10"), TimeZone::utc());
    const WallTime now = at(2026, 11, 29, 12);

    Reservation down = hold(budget, usd("0.10"), now);
    Reservation up = hold(budget, usd("0.10"), now);
    CHECK(cap(budget, Scope::backend, Window::day, now).reserved == usd("0.20"));

    budget.settle(down, usd("0.070000001"), 0, now);
    CHECK_FALSE(down.active());
    CHECK(cap(budget, Scope::backend, Window::day, now).spent == usd("0.070000001"));
    CHECK(cap(budget, Scope::backend, Window::day, now).reserved == usd("0.10"));

    budget.settle(up, usd("0.15"), 0, now);
    CHECK(cap(budget, Scope::backend, Window::day, now).spent == usd("0.220000001"));
    CHECK(cap(budget, Scope::backend, Window::day, now).reserved == usd("0"));

    budget.settle(up, usd("5"), 0, now);  // settled already: nothing happens
    CHECK(cap(budget, Scope::backend, Window::day, now).spent == usd("0.220000001"));
}

TEST_CASE("release on failure gives the hold back, and so does dropping a reservation", "[cost][budget]") {
    Budget budget(backend_daily("1"), TimeZone::utc());
    const WallTime now = at(2026, 11, 29, 12);

    Reservation failed = hold(budget, usd("0.60"), now);
    CHECK_FALSE(budget.reserve(ask(usd("0.60")), now).ok());
    budget.release(failed);
    CHECK_FALSE(failed.active());
    CHECK(cap(budget, Scope::backend, Window::day, now).reserved == usd("0"));
    CHECK(cap(budget, Scope::backend, Window::day, now).spent == usd("0"));

    {
        Reservation moved_from = hold(budget, usd("0.60"), now);
        Reservation moved = std::move(moved_from);
        CHECK(moved.active());
        CHECK(moved.cost() == usd("0.60"));
        CHECK(cap(budget, Scope::backend, Window::day, now).reserved == usd("0.60"));
    }
    CHECK(cap(budget, Scope::backend, Window::day, now).reserved == usd("0"));

    Reservation kept = hold(budget, usd("0.30"), now);
    kept = hold(budget, usd("0.40"), now);  // the 0.30 hold is released by the assignment
    CHECK(cap(budget, Scope::backend, Window::day, now).reserved == usd("0.40"));
}

TEST_CASE("an hourly cap opens again at the next hour", "[cost][budget]") {
    Limits limits;
    limits.global.hourly = usd("1");
    Budget budget(std::move(limits), TimeZone::utc());

    spend(budget, usd("1"), at(2026, 11, 29, 8, 0, 1));
    auto refused = budget.reserve(ask(usd("0.01")), at(2026, 11, 29, 8, 59, 59) + 999ms);
    REQUIRE_FALSE(refused.ok());
    CHECK(refused.error().retry_after == 1ms);
    CHECK(budget.reserve(ask(usd("1")), at(2026, 11, 29, 9)).ok());

    const CapState hour = cap(budget, Scope::global, Window::hour, at(2026, 11, 29, 9));
    CHECK(hour.spent == usd("0"));
    CHECK(hour.window_start == at(2026, 11, 29, 9));
    CHECK(hour.resets_at == at(2026, 11, 29, 10));
}

TEST_CASE("a daily cap in Europe/Berlin rolls over at local midnight, 23 hours after the last one in March",
          "[cost][budget]") {
    Limits limits;
    limits.services["embeddings"].daily = usd("2");
    Budget budget(std::move(limits), TimeZone::load("Europe/Berlin"));

    spend(budget, usd("2"), at(2026, 3, 28, 23));  // 00:00 CET on the 29th
    auto refused = budget.reserve(ask(usd("0.01")), at(2026, 3, 29, 21, 59, 59));
    REQUIRE_FALSE(refused.ok());
    CHECK(refused.error().message.find("resets at 2026-03-30T00:00:00+02:00") != std::string::npos);
    CHECK(refused.error().retry_after == 1000ms);

    CHECK(budget.reserve(ask(usd("2")), at(2026, 3, 29, 22)).ok());
    const CapState day = cap(budget, Scope::service, Window::day, at(2026, 3, 29, 22));
    CHECK(day.window_start == at(2026, 3, 29, 22));
    CHECK(day.resets_at == at(2026, 3, 30, 22));
}

TEST_CASE("a monthly cap rolls over on the first of the month", "[cost][budget]") {
    Limits limits;
    limits.backends["openai"].monthly = usd("30");
    Budget budget(std::move(limits), TimeZone::utc());

    spend(budget, usd("30"), at(2026, 11, 1));
    CHECK_FALSE(budget.reserve(ask(usd("0.000000001")), at(2026, 11, 30, 23, 59, 59)).ok());
    CHECK(budget.reserve(ask(usd("30")), at(2026, 12, 1)).ok());
    CHECK(cap(budget, Scope::backend, Window::month, at(2026, 12, 1)).resets_at == at(2027, 1, 1));
}

TEST_CASE("a call settled after its window rolled over counts in neither window", "[cost][budget]") {
    Limits limits;
    limits.global.hourly = usd("1");
    Budget budget(std::move(limits), TimeZone::utc());

    Reservation straddling = hold(budget, usd("0.80"), at(2026, 11, 29, 8, 59, 59));
    budget.settle(straddling, usd("0.80"), 0, at(2026, 11, 29, 9, 0, 1));
    const CapState hour = cap(budget, Scope::global, Window::hour, at(2026, 11, 29, 9, 0, 1));
    CHECK(hour.spent == usd("0"));
    CHECK(hour.reserved == usd("0"));

    // A hold from the old window does not block the new one, and its release changes nothing.
    Reservation old = hold(budget, usd("0.80"), at(2026, 11, 29, 9, 59));
    Reservation fresh = hold(budget, usd("0.90"), at(2026, 11, 29, 10));
    budget.release(old);
    CHECK(cap(budget, Scope::global, Window::hour, at(2026, 11, 29, 10)).reserved == usd("0.90"));
}

TEST_CASE("requests per minute: refused with the time until the bucket refills", "[cost][budget]") {
    Limits limits;
    limits.rates["openai"].requests_per_minute = 2;
    Budget budget(std::move(limits), TimeZone::utc());
    const WallTime t0 = at(2026, 11, 29, 12);

    Reservation first = hold(budget, usd("0"), t0);
    Reservation second = hold(budget, usd("0"), t0);
    budget.release(first);  // a failed call still counts against rpm
    auto refused = budget.reserve(ask(usd("0")), t0 + 10s);
    REQUIRE_FALSE(refused.ok());
    CHECK(refused.error().kind == ErrorKind::rate_limited);
    CHECK(refused.error().message ==
          "the requests-per-minute limit of backend 'openai' (2) is reached; the next request fits in 20.000 s (or "
          "raise rpm under [backends.openai.limits])");
    CHECK(refused.error().retry_after == 20s);

    CHECK_FALSE(budget.reserve(ask(usd("0")), t0 + 30s - 1ns).ok());
    CHECK(budget.reserve(ask(usd("0")), t0 + 30s).ok());
    CHECK(budget.rates(t0 + 30s).front().requests_available == 0.0);
    CHECK(budget.rates(t0 + 60s).front().requests_available == 1.0);
    CHECK(budget.rates(t0 + 10min).front().requests_available == 2.0);  // never more than a minute's worth
}

TEST_CASE("tokens per minute: estimates are held, unused tokens come back on settle and release", "[cost][budget]") {
    Limits limits;
    limits.rates["openai"].tokens_per_minute = 1000;
    Budget budget(std::move(limits), TimeZone::utc());
    const WallTime t0 = at(2026, 11, 29, 12);

    Reservation first = hold(budget, usd("0"), t0, 600);
    auto refused = budget.reserve(ask(usd("0"), 600), t0);
    REQUIRE_FALSE(refused.ok());
    CHECK(refused.error().kind == ErrorKind::rate_limited);
    CHECK(refused.error().message ==
          "the tokens-per-minute limit of backend 'openai' (1000) is reached: this call needs up to 600 tokens and 400 "
          "are free; it fits in 12.000 s (or raise tpm under [backends.openai.limits])");
    CHECK(refused.error().retry_after == 12s);

    budget.settle(first, usd("0"), 100, t0);  // used 100 of the 600 held
    CHECK(budget.rates(t0).front().tokens_available == 900.0);
    Reservation second = hold(budget, usd("0"), t0, 600);
    budget.release(second);
    CHECK(budget.rates(t0).front().tokens_available == 900.0);

    auto too_big = budget.reserve(ask(usd("0"), 1001), t0);
    REQUIRE_FALSE(too_big.ok());
    CHECK(too_big.error().kind == ErrorKind::rate_limited);
    CHECK_FALSE(too_big.error().retry_after);
    CHECK(too_big.error().message ==
          "this call's estimate of 1001 input tokens is more than the tokens-per-minute limit of backend 'openai' "
          "(1000), so it can never run; split the input or raise tpm under [backends.openai.limits]");
}

TEST_CASE("a refused call holds nothing", "[cost][budget]") {
    Limits limits;
    limits.global.daily = usd("1");
    limits.rates["openai"].requests_per_minute = 1;
    limits.rates["openai"].tokens_per_minute = 100;
    Budget budget(std::move(limits), TimeZone::utc());
    const WallTime t0 = at(2026, 11, 29, 12);

    CHECK_FALSE(budget.reserve(ask(usd("2")), t0).ok());       // never fits the cap
    CHECK_FALSE(budget.reserve(ask(usd("0"), 101), t0).ok());  // never fits the tpm
    CHECK(budget.rates(t0).front().requests_available == 1.0);
    CHECK(budget.rates(t0).front().tokens_available == 100.0);
    Reservation only = hold(budget, usd("0.50"), t0, 100);
    CHECK_FALSE(budget.reserve(ask(usd("0.10"), 1), t0).ok());  // rate limited
    CHECK(cap(budget, Scope::global, Window::day, t0).reserved == usd("0.50"));
}

TEST_CASE("alerts fire once per window and threshold, and again in the next window", "[cost][budget]") {
    Limits limits;
    limits.global.daily = usd("10");
    limits.alert_percents = {50, 80, 95};
    Budget budget(std::move(limits), TimeZone::utc());
    std::vector<Alert> alerts;
    budget.on_alert([&](const Alert& alert) { alerts.push_back(alert); });
    const WallTime day1 = at(2026, 11, 29, 12);

    spend(budget, usd("4.99"), day1);
    CHECK(alerts.empty());
    spend(budget, usd("0.01"), day1);  // exactly 50 %
    REQUIRE(alerts.size() == 1);
    CHECK(alerts[0].cap == CapKey{Scope::global, "", Window::day});
    CHECK(alerts[0].percent == 50);
    CHECK(alerts[0].spent == usd("5"));
    CHECK(alerts[0].limit == usd("10"));
    CHECK(alerts[0].resets_at == at(2026, 11, 30));

    spend(budget, usd("1"), day1);  // 60 %: no new threshold
    CHECK(alerts.size() == 1);
    spend(budget, usd("3.6"), day1);  // 96 %: 80 and 95 at once
    REQUIRE(alerts.size() == 3);
    CHECK(alerts[1].percent == 80);
    CHECK(alerts[2].percent == 95);
    CHECK(cap(budget, Scope::global, Window::day, day1).alert_percent == 95);
    spend(budget, usd("0.1"), day1);
    CHECK(alerts.size() == 3);

    const WallTime day2 = at(2026, 11, 30, 1);
    spend(budget, usd("8"), day2);
    REQUIRE(alerts.size() == 5);
    CHECK(alerts[3].percent == 50);
    CHECK(alerts[4].percent == 80);
    CHECK(alerts[4].resets_at == at(2026, 12, 1));
}

TEST_CASE("restore() puts the ledger's spend back so caps hold after a restart", "[cost][budget]") {
    Limits limits;
    limits.global.monthly = usd("100");
    limits.services["embeddings"].hourly = usd("1");
    limits.backends["openai"].daily = usd("5");
    Budget budget(std::move(limits), TimeZone::utc());
    std::vector<Alert> alerts;
    budget.on_alert([&](const Alert& alert) { alerts.push_back(alert); });
    const WallTime now = at(2026, 11, 29, 12, 30);

    budget.restore("embeddings", "openai", "local", usd("0.25"), usd("4.90"), usd("60"), now);
    budget.restore("parse", "llamaparse", "local", usd("1"), usd("2"), usd("30"), now);

    CHECK(cap(budget, Scope::global, Window::month, now).spent == usd("90"));
    CHECK(cap(budget, Scope::service, Window::hour, now).spent == usd("0.25"));
    CHECK(cap(budget, Scope::backend, Window::day, now).spent == usd("4.90"));
    CHECK(cap(budget, Scope::backend, Window::day, now).alert_percent == 95);  // crossed before: marked, not re-sent
    CHECK(alerts.empty());

    auto refused = budget.reserve(ask(usd("0.20")), now);
    REQUIRE_FALSE(refused.ok());
    CHECK(refused.error().message.starts_with("the daily cap of backend 'openai' is reached: spent $4.90 of $5.00"));
    CHECK(budget.reserve(ask(usd("0.10")), now).ok());
}

TEST_CASE("calls to services and backends without caps or limits are held only by the global caps",
          "[cost][budget]") {
    Limits limits;
    limits.global.daily = usd("1");
    limits.backends["openai"].daily = usd("0.10");
    Budget budget(std::move(limits), TimeZone::utc());
    const WallTime now = at(2026, 11, 29, 12);

    auto other = budget.reserve(Ask{"parse", "llamaparse", usd("0.50"), 0, ""}, now);
    REQUIRE(other.ok());
    CHECK(cap(budget, Scope::global, Window::day, now).reserved == usd("0.50"));
    CHECK(cap(budget, Scope::backend, Window::day, now).reserved == usd("0"));
    CHECK(budget.caps(now).size() == 2);
    CHECK(budget.rates(now).empty());
}

TEST_CASE("a call that costs nothing is never held back by a cap, even one already passed", "[cost][budget]") {
    Limits limits;
    limits.global.daily = usd("1.00");
    limits.rates["mock"].requests_per_minute = 1;
    Budget budget(std::move(limits), TimeZone::utc());
    const WallTime t0 = at(2026, 11, 29, 9);

    Reservation paid = hold(budget, usd("0.50"), t0);
    budget.settle(paid, usd("1.50"), 0, t0);  // the bill came in above its estimate
    REQUIRE(budget.caps(t0).front().spent == usd("1.50"));

    auto refused = budget.reserve(ask(usd("0.01")), t0);
    REQUIRE_FALSE(refused.ok());
    CHECK(refused.error().kind == ErrorKind::budget_exceeded);
    auto free = budget.reserve(Ask{"embeddings", "mock", usd("0"), 0, ""}, t0);
    CHECK(free.ok());
    auto limited = budget.reserve(Ask{"embeddings", "mock", usd("0"), 0, ""}, t0);  // its rpm still holds
    REQUIRE_FALSE(limited.ok());
    CHECK(limited.error().kind == ErrorKind::rate_limited);
}
