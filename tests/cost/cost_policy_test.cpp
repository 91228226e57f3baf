// The cost gate with a real ledger file: totals from earlier runs, and a ledger that fails at
// start and recovers.
#include <chrono>
#include <condition_variable>
#include <filesystem>
#include <functional>
#include <future>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include <catch2/catch.hpp>

#include "cost/cost_policy.hpp"
#include "fakes/capture_logger.hpp"
#include "fakes/manual_clock.hpp"
#include "fakes/temp_dir.hpp"
#include "ledger/ledger.hpp"

using namespace switchboard;
using namespace switchboard::cost;
using namespace std::chrono_literals;

namespace {

// openai: $0.02 per million tokens and a daily cap of $0.000001 (1,000 nano-dollars); a free mock.
config::Config capped_config() {
    config::Config config;
    config::BackendSettings openai;
    openai.name = "openai";
    openai.plugin = "openai-embeddings";
    openai.price.usd_per_million_tokens["text-embedding-3-small"] = *money_from_decimal("0.02");
    openai.price.default_model = "text-embedding-3-small";
    openai.caps.daily = *money_from_decimal("0.000001");
    config.backends["openai"] = openai;
    config::BackendSettings mock;
    mock.name = "mock";
    mock.plugin = "mock-embeddings";
    mock.price.free = true;
    config.backends["mock"] = mock;
    config::ServiceSettings service;
    service.name = "embeddings";
    service.capability = "embeddings";
    service.real = {"openai"};
    service.mock = "mock";
    config.services["embeddings"] = service;
    return config;
}

ledger::Options options_for(const std::filesystem::path& path, const Clock& clock) {
    ledger::Options options;
    options.path = path;
    options.retry_interval = 10ms;
    options.now = [&clock] { return clock.wall_now(); };
    return options;
}

EmbeddingsRequest ten_bytes() {  // estimated at ten tokens: 200 nano-dollars
    EmbeddingsRequest request;
    request.inputs = {"0123456789"};
    return request;
}

FinishedCall paid_call(const char* request_id, Admission admission, const Usage& usage, const Clock& clock) {
    FinishedCall call;
    call.kind = CallKind::embeddings;
    call.request_id = request_id;
    call.service = "embeddings";
    call.backend = "openai";
    call.usage = &usage;
    call.outcome = "ok";
    call.started = clock.wall_now();
    call.admission = std::move(admission);
    return call;
}

// Holds the ledger's writer thread inside the answer to one row of its own, so nothing appended
// meanwhile can be committed until release(); the file then holds that row alone.
class StalledWriter {
public:
    explicit StalledWriter(ledger::Ledger& ledger) {
        ledger::Row row;
        row.request_id = "req_stall";
        row.service = "embeddings";
        row.backend = "mock";
        ledger.append(std::move(row), [this](const Status&) {
            entered_.set_value();
            released_.get_future().wait();
        });
        const bool stalled = entered_.get_future().wait_for(10s) == std::future_status::ready;
        if (!stalled) release();  // never leave the writer stuck: the ledger could not be destroyed
        REQUIRE(stalled);
    }
    ~StalledWriter() { release(); }
    StalledWriter(const StalledWriter&) = delete;
    StalledWriter& operator=(const StalledWriter&) = delete;

    void release() {
        if (!released_once_) released_.set_value();
        released_once_ = true;
    }

private:
    std::promise<void> entered_;
    std::promise<void> released_;
    bool released_once_ = false;
};

std::vector<std::string> request_ids(const std::filesystem::path& path) {
    std::vector<std::string> ids;
    ledger::Reader(path).for_each({}, [&](const ledger::Row& row) { ids.push_back(row.request_id); });
    return ids;
}

// Waits (real time, with a deadline) for the ledger's writer thread to reopen the file.
bool becomes_healthy(const ledger::Ledger& ledger) {
    const auto give_up = std::chrono::steady_clock::now() + 10s;
    while (!ledger.healthy()) {
        if (std::chrono::steady_clock::now() > give_up) return false;
        std::this_thread::sleep_for(1ms);
    }
    return true;
}

}  // namespace

TEST_CASE("a ledger failed at start refuses paid calls, then brings back the earlier spend when it works again",
          "[cost][ledger]") {
    testing::TempDir dir;
    testing::ManualClock clock;
    testing::CaptureLogger logger;
    const auto path = dir.path() / "ledger.sqlite";
    {  // an earlier run of the host spent 800 of the 1,000 nano-dollars today
        ledger::Ledger earlier(options_for(path, clock), logger);
        ledger::Row row;
        row.time = clock.wall_now();
        row.request_id = "req_earlier";
        row.service = "embeddings";
        row.backend = "openai";
        row.mode = "real";
        row.outcome = "ok";
        row.cost = Money::from_nanos(800);
        earlier.append(row, nullptr);
        earlier.flush();
    }
    clock.advance(1s);  // the restart comes after the earlier run's last row
    std::filesystem::rename(path, dir.path() / "kept.sqlite");
    dir.write("ledger.sqlite", std::string(8192, 'x'));  // not a database: the ledger starts failed

    ledger::Ledger ledger(options_for(path, clock), logger);
    REQUIRE_FALSE(ledger.healthy());
    CostPolicy policy(capped_config(), &ledger, clock, logger);

    auto refused = policy.admit("embeddings", "openai", ten_bytes());
    REQUIRE_FALSE(refused.ok());
    CHECK(refused.error().kind == ErrorKind::unavailable);
    CHECK(refused.error().message.find("paid calls are refused until it can") != std::string::npos);
    CHECK(policy.admit("embeddings", "mock", ten_bytes()).ok());  // mock calls go on

    std::filesystem::remove(path);
    std::filesystem::rename(dir.path() / "kept.sqlite", path);
    REQUIRE(becomes_healthy(ledger));

    auto admitted = policy.admit("embeddings", "openai", ten_bytes());
    REQUIRE(admitted.ok());
    auto caps = policy.caps();
    REQUIRE(caps.size() == 1);
    CHECK(caps[0].spent.nanos == 800);  // the earlier run's spend, read back once the file works
    CHECK(caps[0].reserved.nanos == 200);
    auto over = policy.admit("embeddings", "openai", ten_bytes());
    REQUIRE_FALSE(over.ok());
    CHECK(over.error().kind == ErrorKind::budget_exceeded);
}

TEST_CASE("the spend of earlier runs holds the caps from the first call", "[cost][ledger]") {
    testing::TempDir dir;
    testing::ManualClock clock;
    testing::CaptureLogger logger;
    const auto path = dir.path() / "ledger.sqlite";
    ledger::Ledger ledger(options_for(path, clock), logger);
    ledger::Row row;
    row.time = clock.wall_now() - 24h;  // yesterday: another day window
    row.service = "embeddings";
    row.backend = "openai";
    row.cost = Money::from_nanos(900);
    ledger.append(row, nullptr);
    row.time = clock.wall_now();
    row.cost = Money::from_nanos(900);
    ledger.append(row, nullptr);
    ledger.flush();

    CostPolicy policy(capped_config(), &ledger, clock, logger);

    auto caps = policy.caps();
    REQUIRE(caps.size() == 1);
    CHECK(caps[0].spent.nanos == 900);  // today's only
    auto refused = policy.admit("embeddings", "openai", ten_bytes());
    REQUIRE_FALSE(refused.ok());
    CHECK(refused.error().kind == ErrorKind::budget_exceeded);
}

TEST_CASE("with on_ledger_failure open, calls made while the ledger failed are not counted twice once it recovers",
          "[cost][ledger]") {
    testing::TempDir dir;
    testing::ManualClock clock;
    testing::CaptureLogger logger;
    const auto path = dir.path() / "ledger.sqlite";
    {  // an earlier run spent 600 of the 1,000 nano-dollars today
        ledger::Ledger earlier(options_for(path, clock), logger);
        ledger::Row row;
        row.time = clock.wall_now();
        row.service = "embeddings";
        row.backend = "openai";
        row.cost = Money::from_nanos(600);
        earlier.append(row, nullptr);
        earlier.flush();
    }
    clock.advance(1s);
    std::filesystem::rename(path, dir.path() / "kept.sqlite");
    dir.write("ledger.sqlite", std::string(8192, 'x'));

    auto config = capped_config();
    config.cost.on_ledger_failure = config::LedgerFailure::open;
    ledger::Ledger ledger(options_for(path, clock), logger);
    CostPolicy policy(config, &ledger, clock, logger);

    auto admitted = policy.admit("embeddings", "openai", ten_bytes());  // open: goes on unrecorded for now
    REQUIRE(admitted.ok());
    Usage usage;
    usage.prompt_tokens = 10;
    FinishedCall call;
    call.kind = CallKind::embeddings;
    call.request_id = "req_while_failed";
    call.service = "embeddings";
    call.backend = "openai";
    call.usage = &usage;
    call.outcome = "ok";
    call.started = clock.wall_now();
    call.admission = std::move(admitted).value();
    std::optional<CallCost> cost;
    policy.finish(std::move(call)).start([&cost](CallCost value) { cost = value; });
    clock.run_ready();  // the ledger answered at once (failed); the answer hops through the clock
    REQUIRE(cost.has_value());
    CHECK(cost->cost.nanos == 200);
    CHECK_FALSE(cost->durable);

    std::filesystem::remove(path);
    std::filesystem::rename(dir.path() / "kept.sqlite", path);
    REQUIRE(becomes_healthy(ledger));
    ledger.flush();  // the row kept in memory is in the file now

    auto second = policy.admit("embeddings", "openai", ten_bytes());
    REQUIRE(second.ok());
    auto caps = policy.caps();
    REQUIRE(caps.size() == 1);
    CHECK(caps[0].spent.nanos == 800);  // 600 from the earlier run + 200 from this one, each once
    CHECK(caps[0].reserved.nanos == 200);
    std::int64_t rows = 0;
    ledger::Reader(path).for_each({}, [&](const ledger::Row&) { ++rows; });
    CHECK(rows == 2);
}

TEST_CASE("a call that spent nothing is not held for the ledger's commit, a paid one is", "[cost][ledger]") {
    testing::TempDir dir;
    testing::ManualClock clock;
    testing::CaptureLogger logger;
    ledger::Ledger ledger(options_for(dir.path() / "ledger.sqlite", clock), logger);
    CostPolicy policy(capped_config(), &ledger, clock, logger);
    Usage usage;
    usage.prompt_tokens = 10;
    auto finished = [&](const char* backend, std::optional<Admission> admission) {
        FinishedCall call;
        call.kind = CallKind::embeddings;
        call.request_id = std::string("req_") + backend;
        call.service = "embeddings";
        call.backend = backend;
        call.usage = &usage;
        call.outcome = "ok";
        call.started = clock.wall_now();
        call.admission = std::move(admission);
        return call;
    };

    // The mock's answer: finish() completes at once, before any commit, without the clock's hop.
    std::optional<CallCost> mock_cost;
    policy.finish(finished("mock", std::nullopt)).start([&](CallCost value) { mock_cost = value; });
    REQUIRE(mock_cost.has_value());
    CHECK_FALSE(mock_cost->durable);
    CHECK(mock_cost->shadow_cost.nanos == 200);

    // The paid answer completes only after its commit, through the clock.
    auto admitted = policy.admit("embeddings", "openai", ten_bytes());
    REQUIRE(admitted.ok());
    std::optional<CallCost> paid_cost;
    policy.finish(finished("openai", std::move(admitted).value())).start([&](CallCost value) { paid_cost = value; });
    CHECK_FALSE(paid_cost.has_value());
    ledger.flush();
    const auto give_up = std::chrono::steady_clock::now() + 10s;
    while (!paid_cost && std::chrono::steady_clock::now() < give_up) {
        clock.run_ready();  // the writer thread's answer hops back through the clock
        if (ledger.pending() > 0) std::this_thread::yield();
    }
    REQUIRE(paid_cost.has_value());
    CHECK(paid_cost->durable);
    CHECK(paid_cost->cost.nanos == 200);

    std::vector<std::string> rows;
    ledger::Reader(dir.path() / "ledger.sqlite").for_each({}, [&](const ledger::Row& row) {
        rows.push_back(row.request_id);
    });
    CHECK(rows == std::vector<std::string>{"req_mock", "req_openai"});
}

TEST_CASE("a paid call held for its commit resumes on the loop of the thread it ran on, through the resumer",
          "[cost][ledger]") {
    testing::TempDir dir;
    testing::ManualClock clock;
    testing::CaptureLogger logger;
    ledger::Ledger ledger(options_for(dir.path() / "ledger.sqlite", clock), logger);
    // The "loop": a queue the test runs by hand; the resumer is asked for on the call's thread.
    std::mutex mutex;
    std::condition_variable queued;
    std::vector<std::function<void()>> loop;
    std::vector<std::thread::id> asked_on;
    auto resumer_of_this_thread = [&]() -> CostPolicy::Resumer {
        asked_on.push_back(std::this_thread::get_id());
        return [&](std::function<void()> fn) {
            std::lock_guard lock(mutex);
            loop.push_back(std::move(fn));
            queued.notify_all();
        };
    };
    CostPolicy policy(capped_config(), &ledger, clock, logger, nullptr, resumer_of_this_thread);
    Usage usage;
    usage.prompt_tokens = 10;

    auto admitted = policy.admit("embeddings", "openai", ten_bytes());
    REQUIRE(admitted.ok());
    std::optional<CallCost> paid_cost;
    policy.finish(paid_call("req_paid", std::move(admitted).value(), usage, clock)).start([&](CallCost value) {
        paid_cost = value;
    });
    CHECK_FALSE(paid_cost.has_value());
    CHECK(asked_on == std::vector<std::thread::id>{std::this_thread::get_id()});

    std::vector<std::function<void()>> ready;
    {
        std::unique_lock lock(mutex);
        REQUIRE(queued.wait_for(lock, 10s, [&] { return !loop.empty(); }));
        ready.swap(loop);
    }
    CHECK(clock.pending_timers() == 0);  // not through the clock
    CHECK_FALSE(paid_cost.has_value());
    REQUIRE(ready.size() == 1);
    ready.front()();
    REQUIRE(paid_cost.has_value());
    CHECK(paid_cost->durable);
    CHECK(request_ids(dir.path() / "ledger.sqlite") == std::vector<std::string>{"req_paid"});
}

TEST_CASE("with ledger_sync normal a paid call is answered before its row is committed, and the row follows",
          "[cost][ledger]") {
    testing::TempDir dir;
    testing::ManualClock clock;
    testing::CaptureLogger logger;
    const auto path = dir.path() / "ledger.sqlite";
    auto options = options_for(path, clock);
    options.sync = ledger::Sync::normal;
    auto ledger = std::make_unique<ledger::Ledger>(std::move(options), logger);
    auto config = capped_config();
    config.cost.ledger_sync = config::LedgerSync::normal;
    auto policy = std::make_unique<CostPolicy>(config, ledger.get(), clock, logger);
    Usage usage;
    usage.prompt_tokens = 10;

    StalledWriter stalled(*ledger);  // from here on, nothing more is committed until release()
    auto admitted = policy->admit("embeddings", "openai", ten_bytes());
    REQUIRE(admitted.ok());
    std::optional<CallCost> cost;
    policy->finish(paid_call("req_paid", std::move(admitted).value(), usage, clock)).start([&](CallCost value) {
        cost = value;
    });
    // Answered at once: no commit, and no hop through the clock, which has not run.
    REQUIRE(cost.has_value());
    CHECK(cost->cost.nanos == 200);
    CHECK_FALSE(cost->durable);
    CHECK(request_ids(path) == std::vector<std::string>{"req_stall"});
    CHECK(ledger->pending() == 2);
    auto caps = policy->caps();
    REQUIRE(caps.size() == 1);
    CHECK(caps[0].spent.nanos == 200);  // the cap holds the spend before the row is in the file

    // Shut down as the host does: the policy goes first, then the ledger writes what is queued.
    policy.reset();
    stalled.release();
    ledger.reset();
    CHECK(request_ids(path) == std::vector<std::string>{"req_stall", "req_paid"});
    CHECK(logger.count(LogLevel::error, "") == 0);
}

TEST_CASE("with ledger_sync normal a failed ledger refuses paid calls when closed, and when open a call whose rows "
          "cannot be written is logged once, with its request id",
          "[cost][ledger]") {
    testing::TempDir dir;
    testing::ManualClock clock;
    testing::CaptureLogger logger;
    const auto path = dir.path() / "ledger.sqlite";
    dir.write("ledger.sqlite", std::string(8192, 'x'));  // not a database: the ledger starts failed
    auto options = options_for(path, clock);
    options.sync = ledger::Sync::normal;
    options.retry_interval = 1h;  // stays failed for the whole test
    ledger::Ledger ledger(std::move(options), logger);
    REQUIRE_FALSE(ledger.healthy());
    auto config = capped_config();
    config.cost.ledger_sync = config::LedgerSync::normal;
    {  // closed, the default: refused before the call runs, whatever the sync
        CostPolicy closed(config, &ledger, clock, logger);
        auto refused = closed.admit("embeddings", "openai", ten_bytes());
        REQUIRE_FALSE(refused.ok());
        CHECK(refused.error().kind == ErrorKind::unavailable);
        CHECK(refused.error().message.find("paid calls are refused until it can") != std::string::npos);
    }
    config.cost.on_ledger_failure = config::LedgerFailure::open;
    CostPolicy policy(config, &ledger, clock, logger);
    Usage usage;
    usage.prompt_tokens = 10;

    auto admitted = policy.admit("embeddings", "openai", ten_bytes());
    REQUIRE(admitted.ok());
    auto call = paid_call("req_unwritten", std::move(admitted).value(), usage, clock);
    // A second attempt that may have been billed: two rows for this call, one log line.
    auto attempt = policy.admit("embeddings", "openai", ten_bytes());
    REQUIRE(attempt.ok());
    call.maybe_billed.push_back(BilledAttempt{std::move(attempt).value(), "openai", "timeout"});
    std::optional<CallCost> cost;
    policy.finish(std::move(call)).start([&](CallCost value) { cost = value; });

    REQUIRE(cost.has_value());
    CHECK(cost->cost.nanos == 400);
    CHECK_FALSE(cost->durable);
    const std::string expected = "the spend ledger could not record this call now: " + ledger.failure().value();
    CHECK(logger.has(LogLevel::error, "req_unwritten", expected));
    CHECK(logger.count(LogLevel::error, "the spend ledger could not record this call now") == 1);
}
