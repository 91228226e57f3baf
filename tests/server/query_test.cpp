#include <catch2/catch.hpp>

#include "server/query.hpp"

using namespace switchboard::server;

TEST_CASE("query values are found by name, every one in order, percent- and plus-decoded", "[server]") {
    const std::string query = "expand=markdown&since=2026-11-01T00%3A00%3A00Z&expand=text&q=a+b%2Bc&empty&bad=%zz";
    CHECK(query_values(query, "expand") == std::vector<std::string>{"markdown", "text"});
    CHECK(query_value(query, "since") == "2026-11-01T00:00:00Z");
    CHECK(query_value(query, "q") == "a b+c");
    CHECK(query_value(query, "empty") == "");
    CHECK(query_value(query, "bad") == "%zz");  // a malformed escape stays as sent
    CHECK_FALSE(query_value(query, "missing"));
    CHECK(percent_decoded("a+b%2F", false) == "a+b/");  // in a path, '+' is a plus
}
