#include <catch2/catch.hpp>

#include <map>
#include <string>
#include <vector>

#include "config/duration.hpp"
#include "config/env_file.hpp"
#include "config/interpolation.hpp"
#include "config/suggest.hpp"
#include "config_test_support.hpp"

using namespace std::chrono_literals;
using namespace switchboard::config;
using switchboard::config::testing::describe;

namespace {

Expansion expand(std::string_view text, const std::map<std::string, std::string, std::less<>>& variables) {
    return expand_variables(text, [&](std::string_view name) -> const std::string* {
        auto it = variables.find(name);
        return it == variables.end() ? nullptr : &it->second;
    });
}

}  // namespace

TEST_CASE("durations are a whole number and one of ms, s, m, h, d", "[config]") {
    CHECK(parse_duration("250ms") == 250ms);
    CHECK(parse_duration("30s") == 30s);
    CHECK(parse_duration("5m") == 5min);
    CHECK(parse_duration("1h") == 1h);
    CHECK(parse_duration("400d") == 400 * 24h);
    CHECK(parse_duration("0s") == 0ms);
    for (std::string_view bad : {"", "30", "s", "1.5s", "-1s", "+1s", " 1s", "1s ", "1 s", "1D", "1w", "1S", "1sec",
                                 "99999999999999999999ms", "9999999999999999h"}) {
        INFO(bad);
        CHECK(parse_duration(bad) == std::nullopt);
    }
}

TEST_CASE("variable expansion reports every missing variable and malformed references", "[config]") {
    auto both = expand("${A}-${B}-${C:-c}", {});
    CHECK(both.missing == std::vector<std::string>{"A", "B"});
    CHECK_FALSE(both.ok());

    auto set = expand("${A}-${B:-b}-$${A}-$", {{"A", "a"}});
    CHECK(set.ok());
    CHECK(set.value == "a-b-${A}-$");

    CHECK(expand("x${A}", {{"A", "${B}"}}).value == "x${B}");  // expanded values are not expanded again

    CHECK(expand("ab${1X}", {}).syntax_error ==
          "malformed variable reference at character 3; expected ${NAME} or ${NAME:-default}, NAME being letters, "
          "digits and '_'");
    CHECK(expand("${A:default}", {}).syntax_error.has_value());
    CHECK(expand("${}", {}).syntax_error.has_value());
    CHECK(expand("sk-${A", {}).syntax_error ==
          "unterminated '${' at character 4; close it with '}' or write '$$' for a literal '$'");
}

TEST_CASE("a .env file yields its variables and problems with line and column", "[config]") {
    auto file = EnvFile::parse("A=1\r\n  export B=\"x y\"\n\n#C=3\nexport=4\n1D=5\nE\n", ".env.test");

    CHECK(file.variables == std::map<std::string, std::string>{{"A", "1"}, {"B", "x y"}, {"export", "4"}});
    CHECK(describe(file.problems) ==
          std::vector<std::string>{
              ".env.test:6:1: error: invalid variable name before '='; use letters, digits and '_', not starting "
              "with a digit",
              ".env.test:7:1: error: expected KEY=VALUE"});
}

TEST_CASE("did-you-mean suggests only close candidates", "[config]") {
    const std::vector<std::string> modes{"mock", "real", "hybrid"};
    CHECK(closest_match("hybird", modes) == "hybrid");
    CHECK(closest_match("Mock", modes) == "mock");
    CHECK(closest_match("rael", modes) == "real");
    CHECK(closest_match("live", modes) == std::nullopt);
    CHECK(closest_match("mock", modes) == std::nullopt);  // an exact match is not a suggestion
    CHECK(did_you_mean("warning", {"warn", "error"}) == " (did you mean 'warn'?)");
    CHECK(did_you_mean("x", {"y"}).empty());
    CHECK(join_alternatives({"a", "b", "c"}) == "a, b or c");
    CHECK(join_alternatives({"a"}) == "a");
}
