#include <catch2/catch.hpp>

#include "cost/summary.hpp"
#include "cost_test_support.hpp"

using namespace std::chrono_literals;
using namespace switchboard;
using namespace switchboard::cost;
using switchboard::cost::testing::at;
using switchboard::cost::testing::usd;

namespace {

ledger::Row row(WallTime time, std::string service, std::string backend, const char* cost, std::string outcome = "ok") {
    ledger::Row r;
    r.time = time;
    r.service = std::move(service);
    r.backend = std::move(backend);
    r.model = r.backend == "openai" ? "text-embedding-3-small" : "fast";
    r.client = "ci";
    r.cost = usd(cost);
    r.outcome = std::move(outcome);
    return r;
}

}  // namespace

TEST_CASE("window and group names parse from what users type", "[cost][summary]") {
    CHECK(group_by_from_string("service") == GroupBy::service);
    CHECK(group_by_from_string("backend") == GroupBy::backend);
    CHECK(group_by_from_string("model") == GroupBy::model);
    CHECK(group_by_from_string("client") == GroupBy::client);
    CHECK_FALSE(group_by_from_string("Service"));
    CHECK(window_from_string("hour") == Window::hour);
    CHECK(window_from_string("day") == Window::day);
    CHECK(window_from_string("month") == Window::month);
    CHECK_FALSE(window_from_string("week"));
    CHECK(to_string(GroupBy::client) == "client");
}

TEST_CASE("summaries total each local day × service exactly, real and shadow apart", "[cost][summary]") {
    Summarizer summary(TimeZone::load("Europe/Berlin"), Window::day, GroupBy::service);

    ledger::Row embed = row(at(2026, 11, 28, 22, 59, 59), "embeddings", "openai", "0.000000020");
    embed.input_tokens = 1;
    summary.add(embed);  // 23:59:59 local, the 28th
    ledger::Row fallback = row(at(2026, 11, 28, 23), "embeddings", "mock", "0", "ok");  // 00:00 local, the 29th
    fallback.fallback_reason = "budget";
    fallback.shadow_cost = usd("0.00002");
    fallback.input_tokens = 1000;
    summary.add(fallback);
    ledger::Row parse = row(at(2026, 11, 29, 9), "parse", "llamaparse", "0.00375");
    parse.pages = 3;
    parse.credits_milli = 3000;
    summary.add(parse);
    summary.add(row(at(2026, 11, 29, 10), "embeddings", "openai", "0", "timeout"));
    summary.add(row(at(2026, 11, 29, 22, 59), "embeddings", "openai", "0.1"));

    const auto lines = summary.lines();
    REQUIRE(lines.size() == 3);
    CHECK(lines[0].window == "2026-11-28");
    CHECK(lines[0].key == "embeddings");
    CHECK(lines[0].calls == 1);
    CHECK(lines[0].cost == Money::from_nanos(20));

    CHECK(lines[1].window == "2026-11-29");
    CHECK(lines[1].key == "embeddings");
    CHECK(lines[1].calls == 3);
    CHECK(lines[1].errors == 1);
    CHECK(lines[1].fallbacks == 1);
    CHECK(lines[1].input_tokens == 1000);
    CHECK(lines[1].cost == usd("0.1"));
    CHECK(lines[1].shadow_cost == usd("0.00002"));

    CHECK(lines[2].window == "2026-11-29");
    CHECK(lines[2].key == "parse");
    CHECK(lines[2].pages == 3);
    CHECK(lines[2].credits_milli == 3000);
    CHECK(lines[2].cost == usd("0.00375"));
    CHECK(lines[2].errors == 0);
}

TEST_CASE("summaries by hour × backend, by month × model and by client", "[cost][summary]") {
    std::vector<ledger::Row> rows{row(at(2026, 11, 29, 8, 10), "embeddings", "openai", "0.01"),
                                  row(at(2026, 11, 29, 8, 50), "parse", "llamaparse", "0.02"),
                                  row(at(2026, 11, 29, 9, 0), "embeddings", "openai", "0.04"),
                                  row(at(2026, 12, 1, 0, 0), "embeddings", "openai", "0.08")};

    Summarizer by_hour(TimeZone::utc(), Window::hour, GroupBy::backend);
    for (const auto& r : rows) by_hour.add(r);
    const auto hours = by_hour.lines();
    REQUIRE(hours.size() == 4);
    CHECK(hours[0].window == "2026-11-29T08");
    CHECK(hours[0].key == "llamaparse");
    CHECK(hours[1].window == "2026-11-29T08");
    CHECK(hours[1].key == "openai");
    CHECK(hours[2].window == "2026-11-29T09");
    CHECK(hours[3].window == "2026-12-01T00");

    Summarizer by_month(TimeZone::utc(), Window::month, GroupBy::model);
    for (const auto& r : rows) by_month.add(r);
    const auto months = by_month.lines();
    REQUIRE(months.size() == 3);
    CHECK(months[0].window == "2026-11");
    CHECK(months[0].key == "fast");
    CHECK(months[1].key == "text-embedding-3-small");
    CHECK(months[1].cost == usd("0.05"));
    CHECK(months[2].window == "2026-12");
    CHECK(months[2].cost == usd("0.08"));

    Summarizer by_client(TimeZone::utc(), Window::month, GroupBy::client);
    for (const auto& r : rows) by_client.add(r);
    CHECK(by_client.lines().size() == 2);
    CHECK(by_client.lines()[0].key == "ci");
    CHECK(by_client.lines()[0].calls == 3);
}
