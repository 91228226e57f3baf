#include <filesystem>
#include <sstream>
#include <string>
#include <vector>

#include <boost/json.hpp>
#include <catch2/catch.hpp>

#include "fakes/capture_logger.hpp"
#include "fakes/temp_dir.hpp"
#include "ledger/export.hpp"
#include "ledger/ledger.hpp"
#include "ledger_rig.hpp"

namespace fs = std::filesystem;
using namespace switchboard;
using namespace switchboard::testing;
using ledger::Format;

namespace {

fs::path write_ledger(const TempDir& dir, const std::vector<ledger::Row>& rows) {
    CaptureLogger log;
    const auto path = dir.path() / "ledger.sqlite";
    ledger::Ledger ledger(ledger::Options{.path = path, .retention = 0ms}, log);
    for (const auto& row : rows) ledger.append(row, [](const Status&) {});
    return path;
}

std::string export_text(const fs::path& path, Format format, const ledger::Query& query = {}) {
    std::ostringstream out;
    ledger::export_rows(ledger::Reader(path), query, format, out);
    return out.str();
}

// A row whose text fields need every kind of escaping.
ledger::Row awkward_row() {
    auto row = make_row("req,1", at(123));
    row.client = "say \"hi\"";
    row.service = "parse";
    row.backend = "llamaparse";
    row.model = "line one\nline two";
    row.mode = "hybrid";
    row.fallback_reason = "cr\rhere";
    row.input_tokens = 0;
    row.pages = 3;
    row.credits_milli = 4'500;
    row.cost = cost::Money::from_nanos(5'625'000);
    row.shadow_cost = cost::Money{};
    row.latency = std::chrono::microseconds(2'345'678);
    row.outcome = "ok";
    return row;
}

}  // namespace

TEST_CASE("csv_field quotes fields holding a comma, quote, CR or LF and doubles quotes", "[ledger]") {
    CHECK(ledger::csv_field("plain text") == "plain text");
    CHECK(ledger::csv_field("") == "");
    CHECK(ledger::csv_field("a,b") == "\"a,b\"");
    CHECK(ledger::csv_field("say \"hi\"") == "\"say \"\"hi\"\"\"");
    CHECK(ledger::csv_field("one\ntwo") == "\"one\ntwo\"");
    CHECK(ledger::csv_field("one\r\ntwo") == "\"one\r\ntwo\"");
    CHECK(ledger::csv_field("\"") == "\"\"\"\"");
}

TEST_CASE("json_string escapes quotes, backslashes and control characters and keeps UTF-8", "[ledger]") {
    CHECK(ledger::json_string("plain") == "\"plain\"");
    CHECK(ledger::json_string("a\"b\\c") == R"("a\"b\\c")");
    CHECK(ledger::json_string("\n\r\t\b\f") == R"("\n\r\t\b\f")");
    CHECK(ledger::json_string(std::string("\x01\x1f", 2)) == R"("\u0001\u001f")");
    CHECK(ledger::json_string("caf\xc3\xa9 \xe2\x82\xac") == "\"caf\xc3\xa9 \xe2\x82\xac\"");
    CHECK(ledger::json_string("bad \xff byte, cut \xe2\x82") == R"("bad \ufffd byte, cut \ufffd\ufffd")");
}

TEST_CASE("CSV export follows RFC 4180: header, CRLF line ends, escaped commas, quotes and newlines", "[ledger]") {
    TempDir dir;
    auto second = make_row("req-2", at(1'000'000));
    const auto path = write_ledger(dir, {second, awkward_row()});

    CHECK(export_text(path, Format::csv) ==
          "time,request_id,client,service,backend,model,mode,fallback_reason,input_tokens,pages,credits,cost_usd,"
          "shadow_cost_usd,latency_ms,outcome\r\n"
          "2026-11-29T08:00:00.000123Z,\"req,1\",\"say \"\"hi\"\"\",parse,llamaparse,\"line one\nline two\","
          "hybrid,\"cr\rhere\",0,3,4.5,0.005625,0.00,2345.678,ok\r\n"
          "2026-11-29T08:00:01.000000Z,req-2,pipeline,embeddings,openai,text-embedding-3-small,real,,1000,0,0,"
          "0.00002,0.00,1.5,ok\r\n");
}

TEST_CASE("JSON export is one valid array with one object per line", "[ledger]") {
    TempDir dir;
    const auto path = write_ledger(dir, {awkward_row(), make_row("req-2", at(1'000'000))});
    const auto text = export_text(path, Format::json);

    CHECK(std::count(text.begin(), text.end(), '\n') == 4);  // "[", two objects, "]"
    const auto parsed = boost::json::parse(text);
    REQUIRE(parsed.is_array());
    const auto& rows = parsed.as_array();
    REQUIRE(rows.size() == 2);
    const auto& first = rows[0].as_object();
    CHECK(first.at("time") == "2026-11-29T08:00:00.000123Z");
    CHECK(first.at("request_id") == "req,1");
    CHECK(first.at("client") == "say \"hi\"");
    CHECK(first.at("model") == "line one\nline two");
    CHECK(first.at("fallback_reason") == "cr\rhere");
    CHECK(first.at("pages").as_int64() == 3);
    CHECK(first.at("outcome") == "ok");
    CHECK(first.size() == 15);
    // Money and credits as exact decimals: compare the text, not a double.
    CHECK(text.find(R"("credits":4.5,"cost_usd":0.005625,"shadow_cost_usd":0.00,"latency_ms":2345.678,)") !=
          std::string::npos);
    CHECK(rows[1].as_object().at("request_id") == "req-2");
}

TEST_CASE("an export honours the query and an empty one is still well formed", "[ledger]") {
    TempDir dir;
    const auto path = write_ledger(dir, {make_row("a", at(0)), make_row("b", at(1'000'000))});
    std::ostringstream out;
    CHECK(ledger::export_rows(ledger::Reader(path), query(at(1)), Format::json, out) == 1);
    CHECK(boost::json::parse(out.str()).as_array().size() == 1);

    const auto none = query({}, {}, "nothing");
    CHECK(export_text(path, Format::json, none) == "[]\n");
    CHECK(export_text(path, Format::csv, none) ==
          "time,request_id,client,service,backend,model,mode,fallback_reason,input_tokens,pages,credits,cost_usd,"
          "shadow_cost_usd,latency_ms,outcome\r\n");
}
