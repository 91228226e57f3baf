#include <cstdint>
#include <vector>

#include <catch2/catch.hpp>

#include "mock_parse/page_selection.hpp"

namespace switchboard::mock {
namespace {

std::vector<std::int32_t> pages(std::string_view spec, std::int32_t count) {
    auto selection = PageSelection::parse(spec);
    REQUIRE(selection.ok());
    auto resolved = selection->resolve(count);
    REQUIRE(resolved.ok());
    return resolved.value();
}

std::string parse_error(std::string_view spec) {
    auto selection = PageSelection::parse(spec);
    REQUIRE_FALSE(selection.ok());
    CHECK(selection.error().kind == ErrorKind::bad_request);
    return selection.error().message;
}

TEST_CASE("target_pages selects 0-based pages and inclusive ranges", "[mocks]") {
    CHECK(pages("", 3) == std::vector<std::int32_t>{0, 1, 2});
    CHECK(pages("0,2-4", 6) == std::vector<std::int32_t>{0, 2, 3, 4});
    CHECK(pages(" 3 , 1-2, 2 ", 4) == std::vector<std::int32_t>{1, 2, 3});
    CHECK(pages("5-5", 6) == std::vector<std::int32_t>{5});
    CHECK(PageSelection::parse("").value().selects_all());
}

TEST_CASE("malformed target_pages are refused with the option named", "[mocks]") {
    const std::string syntax = "option 'target_pages' must be 0-based page numbers or ranges separated by commas, "
                               "like \"0,2-4\"; got ";
    CHECK(parse_error("1,x") == syntax + "\"1,x\"");
    CHECK(parse_error("1,,2") == syntax + "\"1,,2\"");
    CHECK(parse_error("-1") == syntax + "\"-1\"");
    CHECK(parse_error("2-") == syntax + "\"2-\"");
    CHECK(parse_error("1-2-3") == syntax + "\"1-2-3\"");
    CHECK(parse_error("99999999999") == syntax + "\"99999999999\"");
    CHECK(parse_error("4-2") == "option 'target_pages' has the range \"4-2\", whose start is after its end");
}

TEST_CASE("target_pages past the last page are refused", "[mocks]") {
    auto selection = PageSelection::parse("0,3");
    REQUIRE(selection.ok());
    auto resolved = selection->resolve(3);
    REQUIRE_FALSE(resolved.ok());
    CHECK(resolved.error().message ==
          "option 'target_pages' selects page 3, but the document has 3 pages (numbered from 0)");
    CHECK(PageSelection::parse("1").value().resolve(1).error().message ==
          "option 'target_pages' selects page 1, but the document has 1 page (numbered from 0)");
}

}  // namespace
}  // namespace switchboard::mock
