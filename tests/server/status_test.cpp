// GET /v1/status over the whole host, on a manual clock: what it reads from the ledger, and how often.
#include <optional>
#include <string>

#include <boost/json.hpp>
#include <catch2/catch.hpp>

#include "fakes/capture_logger.hpp"
#include "ledger/ledger.hpp"
#include "runtime/host_rig.hpp"
#include "server/api.hpp"

using namespace switchboard;
using namespace std::chrono_literals;

namespace {

// A daily cap over everything, a mock service; real spend comes as rows written to the ledger.
const char* const kCapped = R"([host]
default_mode = "mock"
plugin_dirs = ["PLUGINS"]

[health]
probe_interval = "1h"

[cost]
pricing = "PRICING"
[cost.caps]
daily = "100"

[backends.mock-embed]
plugin = "mock-embeddings"

[services.embeddings]
capability = "embeddings"
mock = "mock-embed"
)";

// The projected spend of the global daily cap on the status page (nullopt when it has none).
std::optional<double> projected(server::Api& api) {
    server::Request request;
    request.method = "GET";
    request.target = "/v1/status";
    request.path = "/v1/status";
    std::optional<server::Response> response;
    api.handle(request).start([&](server::Response value) { response = std::move(value); });
    REQUIRE(response);  // the status page is answered without waiting on anything
    REQUIRE(response->status == 200);
    const auto page = boost::json::parse(response->body);
    for (const auto& cap : page.at("caps").as_array()) {
        if (cap.at("cap") == "global.day") {
            const auto& value = cap.at("projected_usd");
            if (value.is_null()) return std::nullopt;
            return value.to_number<double>();
        }
    }
    FAIL("no global.day cap on the status page: " << response->body);
    return std::nullopt;
}

void spend(runtime::Runtime& runtime, const Clock& clock, std::int64_t nanos) {
    ledger::Row row;
    row.time = clock.wall_now();
    row.request_id = "req_spent_" + std::to_string(nanos);
    row.service = "embeddings";
    row.backend = "openai";
    row.mode = "real";
    row.outcome = "ok";
    row.cost.nanos = nanos;
    runtime.ledger().append(std::move(row), nullptr);
    runtime.ledger().flush();
}

}  // namespace

TEST_CASE("the status page reads its forecasts from the ledger at most every five seconds", "[server]") {
    testing::Host host;
    auto& runtime = host.start(kCapped);
    INFO(testing::problems_of(runtime));
    REQUIRE(runtime.ok());
    testing::CaptureLogger audit;
    server::Api api(runtime, audit);

    spend(runtime, host.clock, 1'000'000'000);  // $1 spent just now
    const auto first = projected(api);
    REQUIRE(first);
    CHECK(*first >= 1.0);

    spend(runtime, host.clock, 9'000'000'000);  // $9 more: not read within the five seconds
    host.clock.advance(4s);
    CHECK(projected(api) == first);

    host.clock.advance(1s);
    const auto later = projected(api);
    REQUIRE(later);
    CHECK(*later >= *first + 9.0);  // the $9 read at last
}
