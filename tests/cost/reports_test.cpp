// Summary and forecast reports from a real ledger file, in each format, as the CLI prints them
// and the admin API will serve them.
#include <sstream>

#include <boost/json.hpp>
#include <catch2/catch.hpp>

#include "cost/reports.hpp"
#include "cost_test_support.hpp"
#include "fakes/capture_logger.hpp"
#include "fakes/temp_dir.hpp"
#include "ledger/ledger.hpp"

using namespace switchboard;
using namespace switchboard::cost;
using switchboard::cost::testing::at;
using switchboard::cost::testing::usd;

namespace {

ledger::Row row(WallTime time, std::string client, std::string service, std::string backend, const char* cost) {
    ledger::Row r;
    r.time = time;
    r.request_id = "req";
    r.client = std::move(client);
    r.service = std::move(service);
    r.backend = std::move(backend);
    r.mode = "real";
    r.outcome = "ok";
    r.input_tokens = 10;
    r.cost = usd(cost);
    return r;
}

// A ledger with three calls on 2026-11-29 (UTC), one by a client whose name needs quoting.
std::filesystem::path write_ledger(const switchboard::testing::TempDir& dir) {
    const auto path = dir.path() / "ledger.sqlite";
    switchboard::testing::CaptureLogger log;
    ledger::Options options;
    options.path = path;
    options.retention = std::chrono::milliseconds(0);
    ledger::Ledger ledger(options, log);
    ledger.append(row(at(2026, 11, 29, 9), "team \"a\", ops\nnight", "embeddings", "openai", "0.25"), nullptr);
    ledger.append(row(at(2026, 11, 29, 10), "cli", "embeddings", "openai", "0.50"), nullptr);
    ledger.append(row(at(2026, 11, 29, 11), "cli", "documents", "llamaparse", "1.25"), nullptr);
    ledger.flush();
    return path;
}

}  // namespace

TEST_CASE("a summary report is exact in every format, with client names quoted for CSV and JSON", "[cost][reports]") {
    switchboard::testing::TempDir dir;
    ledger::Reader reader(write_ledger(dir));
    const auto zone = TimeZone::utc();
    auto report = summary_report(&reader, {}, zone, Window::day, GroupBy::client);

    REQUIRE(report.lines.size() == 2);
    CHECK(report.lines[0].key == "cli");
    CHECK(report.lines[0].calls == 2);
    CHECK(report.lines[0].cost == usd("1.75"));
    CHECK(report.total.cost == usd("2.00"));
    CHECK(report.total.input_tokens == 30);

    std::ostringstream csv;
    write_report(report, zone, ReportFormat::csv, csv);
    CHECK(csv.str() ==
          "window,client,calls,errors,fallbacks,input_tokens,pages,credits,cost_usd,shadow_cost_usd\r\n"
          "2026-11-29,cli,2,0,0,20,0,0,1.75,0.00\r\n"
          "2026-11-29,\"team \"\"a\"\", ops\nnight\",1,0,0,10,0,0,0.25,0.00\r\n");

    std::ostringstream json;
    write_report(report, zone, ReportFormat::json, json);
    auto parsed = boost::json::parse(json.str()).as_object();
    CHECK(parsed.at("lines").as_array()[1].at("client") == "team \"a\", ops\nnight");
    CHECK(parsed.at("total").at("cost_usd").as_double() == 2.0);
    CHECK(parsed.at("since").is_null());

    std::ostringstream table;
    write_report(report, zone, ReportFormat::table, table);
    CHECK(table.str().find("Spend by day and client (UTC)") == 0);
}

TEST_CASE("a forecast report for one service counts only its spend and shows only its caps", "[cost][reports]") {
    switchboard::testing::TempDir dir;
    ledger::Reader reader(write_ledger(dir));
    config::Config config;
    config.cost.caps.daily = usd("10");
    config.cost.forecast_lookback = std::chrono::hours(3);
    config::ServiceSettings embeddings;
    embeddings.real = {"openai"};
    embeddings.caps.daily = usd("1");
    config.services["embeddings"] = embeddings;
    config.services["documents"].caps.daily = usd("5");
    config::BackendSettings openai;
    openai.caps.monthly = usd("100");
    config.backends["openai"] = openai;

    const auto now = at(2026, 11, 29, 12);
    auto report = forecast_report(config, &reader, TimeZone::utc(), now, std::string("embeddings"));

    CHECK(report.spent_today == usd("0.75"));
    CHECK(report.spent_this_month == usd("0.75"));
    // $0.75 over the 3 h lookback (09:00-12:00) = $0.25/h; 12 h left in the day = $3.00 more.
    CHECK(report.forecast.rate_per_hour == usd("0.25"));
    CHECK(report.forecast.projected_day_end == usd("3.75"));
    std::vector<std::string> caps;
    for (const auto& cap : report.forecast.caps) caps.push_back(id_of(cap.key));
    CHECK(caps == std::vector<std::string>{"global.day", "service.embeddings.day", "backend.openai.month"});
    // The service's daily cap of $1.00: $0.25 left at $0.25/h is reached at 13:00.
    REQUIRE(report.forecast.caps[1].reached_at.has_value());
    CHECK(*report.forecast.caps[1].reached_at == at(2026, 11, 29, 13));
}
