// kill -9 of the whole host under load (a child process: config → router → cost gate → plugin →
// ledger), then: every call the router returned has its row, and a restarted host rebuilds the
// day's spend from those rows, so its caps hold.
#include <boost/asio/io_context.hpp>
#include <catch2/catch.hpp>

#include <chrono>
#include <unordered_set>

#include "fakes/child_process.hpp"
#include "fakes/temp_dir.hpp"
#include "ledger/ledger.hpp"
#include "log/host_logger.hpp"
#include "runtime/asio_clock.hpp"
#include "runtime/runtime.hpp"

using namespace switchboard;

namespace {

// A mock plugin billed as a real backend ($1 per million tokens), so calls spend real money
// without an upstream; a daily cap large enough never to refuse.
const char* const kPaidMock = R"([host]
default_mode = "real"
plugin_dirs = ["PLUGINS"]
log_level = "warn"

[cost.caps]
daily = 1000000

[backends.paid]
plugin = "mock-embeddings"
[backends.paid.pricing]
default_model = "mock-embedding-1"
[backends.paid.pricing.usd_per_million_tokens]
"mock-embedding-1" = 1.0

[services.embeddings]
capability = "embeddings"
real = ["paid"]
)";

std::string config_text() {
    std::string toml = kPaidMock;
    toml.replace(toml.find("PLUGINS"), 7, SWITCHBOARD_PLUGIN_DIR);
    return toml;
}

}  // namespace

TEST_CASE("after kill -9 of the host under load, every returned call is in the ledger and caps hold on restart",
          "[runtime][cost][kill]") {
    testing::TempDir dir;
    const auto config = dir.write("switchboard.toml", config_text());
    const auto ledger_path = dir.path() / "var" / "ledger.sqlite";

    std::vector<std::string> returned;
    {
        testing::ChildProcess host({HOST_LOAD_CHILD, config.string()});
        const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
        REQUIRE(host.read_lines(returned, 2'000, deadline));
        const int status = host.kill();
        CHECK(WIFSIGNALED(status));
        host.read_lines(returned, SIZE_MAX, deadline);  // whatever it printed before it died
    }

    std::unordered_set<std::string> stored;
    std::int64_t spent_nanos = 0;
    ledger::Reader(ledger_path).for_each({}, [&](const ledger::Row& row) {
        stored.insert(row.request_id);
        spent_nanos += row.cost.nanos;
    });
    std::size_t missing = 0;
    for (const auto& id : returned) missing += stored.count(id) == 0;
    INFO(returned.size() << " calls returned, " << stored.size() << " rows stored");
    CHECK(missing == 0);
    CHECK(spent_nanos > 0);

    // The restarted host, on real time as the child was: the day's spend is back in its caps.
    boost::asio::io_context io;
    runtime::AsioClock clock(io);
    log::HostLogger logger(log::Format::text, LogLevel::warn);
    const auto day_start = cost::TimeZone::utc().window_start(cost::Window::day, clock.wall_now());
    runtime::Runtime restarted(config, {}, clock, logger);
    REQUIRE(restarted.ok());
    const auto today = ledger::Reader(ledger_path).spend_between(day_start, clock.wall_now() + std::chrono::hours(1),
                                                                 std::nullopt);
    auto caps = restarted.cost().caps();
    REQUIRE(caps.size() == 1);
    CHECK(caps[0].key.window == cost::Window::day);
    CHECK(caps[0].spent == today);
    CHECK(today.nanos > 0);
}
