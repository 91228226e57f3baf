// [server]: where `switchboard serve` listens, which service each embeddings model goes to, which
// service parses and how long parse jobs are kept.
#include <catch2/catch.hpp>

#include <chrono>
#include <string>

#include "config/config.hpp"
#include "config_test_support.hpp"

using namespace switchboard::config;
using switchboard::config::testing::at;
using switchboard::config::testing::describe;
using switchboard::config::testing::listing;
using switchboard::config::testing::TempDir;

TEST_CASE("listen addresses are HOST:PORT, IPv6 in brackets, and say what is wrong", "[config][server]") {
    std::string why;
    CHECK(parse_listen("127.0.0.1:8080", why) == std::pair<std::string, std::uint16_t>{"127.0.0.1", 8080});
    CHECK(parse_listen("[::1]:0", why) == std::pair<std::string, std::uint16_t>{"::1", 0});
    CHECK(parse_listen("localhost:65535", why) == std::pair<std::string, std::uint16_t>{"localhost", 65535});
    CHECK_FALSE(parse_listen("8080", why));
    CHECK(why == "expected HOST:PORT, e.g. 127.0.0.1:8080 (port 0 picks a free one)");
    CHECK_FALSE(parse_listen("127.0.0.1:65536", why));
    CHECK(why == "the port must be a number from 0 to 65535, got '65536'");
    CHECK_FALSE(parse_listen(":80", why));
    CHECK_FALSE(parse_listen("[::1]8080", why));
    CHECK(why == "an IPv6 address is written [ADDRESS]:PORT, e.g. [::1]:8080");
}

TEST_CASE("[server] is read, and its models must name embeddings services", "[config][server]") {
    TempDir dir;
    auto good = dir.write("good.toml", R"([server]
listen = "127.0.0.1:0"
[server.models]
"text-embedding-3-small" = "embeddings"

[backends.e]
plugin = "mock-embeddings"
[services.embeddings]
capability = "embeddings"
mock = "e"
)");
    auto loaded = load(good, {});
    INFO(listing(loaded.problems));
    REQUIRE(loaded.ok());
    CHECK(loaded.config->server.address == "127.0.0.1");
    CHECK(loaded.config->server.port == 0);
    CHECK(loaded.config->server.models.at("text-embedding-3-small") == "embeddings");

    auto bad = dir.write("bad.toml", R"([server]
listen = "everywhere"
[server.models]
"a" = "embedings"
"b" = "documents"

[backends.e]
plugin = "mock-embeddings"
[backends.p]
plugin = "mock-parse"
[services.embeddings]
capability = "embeddings"
mock = "e"
[services.documents]
capability = "parse"
mock = "p"
)");
    CHECK(describe(load(bad, {}).problems) ==
          std::vector<std::string>{
              at(bad, 2, 10) + ": error: server.listen: invalid address 'everywhere': expected HOST:PORT, e.g. "
                               "127.0.0.1:8080 (port 0 picks a free one)",
              at(bad, 4, 7) + ": error: server.models.a: unknown service 'embedings' (did you mean 'embeddings'?)",
              at(bad, 5, 7) + ": error: server.models.b: service 'documents' serves 'parse', not embeddings"});
}

TEST_CASE("client keys are kept as SHA-256 hashes, and a key written in their place is refused", "[config][server]") {
    TempDir dir;
    auto file = dir.write("switchboard.toml", R"([server.clients.team-a]
key_sha256 = "3eb30d5c1d7a137487ac2caacc42c8933a122c80586dd93863930418f7aec0d1"
services = ["embeddings"]
[server.clients.oops]
key_sha256 = "sk-live-the-key-itself"
[server.clients.none]
services = []
)");
    auto loaded = load(file, {});
    const auto& clients = loaded.config->server.clients;
    CHECK(clients.at("team-a").key_sha256 == "3eb30d5c1d7a137487ac2caacc42c8933a122c80586dd93863930418f7aec0d1");
    CHECK(clients.at("team-a").services == std::vector<std::string>{"embeddings"});
    CHECK(describe(loaded.problems) ==
          std::vector<std::string>{
              at(file, 5, 14) + ": error: server.clients.oops.key_sha256: expected the SHA-256 of the key as 64 "
                                "lowercase hex characters (printf %s \"$KEY\" | sha256sum), never the key itself",
              at(file, 6, 1) + ": error: server.clients.none: missing required key 'key_sha256'"});
}

TEST_CASE("[server] job_ttl and parse_service: defaults, values, and a parse_service that is not a parse service",
          "[config][server]") {
    TempDir dir;
    const std::string services = R"(
[backends.e]
plugin = "mock-embeddings"
[backends.p]
plugin = "mock-parse"
[services.embeddings]
capability = "embeddings"
mock = "e"
[services.documents]
capability = "parse"
mock = "p"
)";
    auto defaults = load(dir.write("defaults.toml", services), {});
    INFO(listing(defaults.problems));
    REQUIRE(defaults.ok());
    CHECK(defaults.config->server.job_ttl == std::chrono::hours(1));
    CHECK(defaults.config->server.parse_service.empty());

    auto good = load(dir.write("good.toml", "[server]\njob_ttl = \"90m\"\nparse_service = \"documents\"\n" + services), {});
    INFO(listing(good.problems));
    REQUIRE(good.ok());
    CHECK(good.config->server.job_ttl == std::chrono::minutes(90));
    CHECK(good.config->server.parse_service == "documents");

    auto typo = dir.write("typo.toml", "[server]\nparse_service = \"documnets\"\n" + services);
    CHECK(describe(load(typo, {}).problems) ==
          std::vector<std::string>{at(typo, 2, 17) + ": error: server.parse_service: unknown service 'documnets' (did "
                                                     "you mean 'documents'?)"});
    auto wrong = dir.write("wrong.toml", "[server]\njob_ttl = \"0s\"\nparse_service = \"embeddings\"\n" + services);
    CHECK(describe(load(wrong, {}).problems) ==
          std::vector<std::string>{
              at(wrong, 2, 11) + ": error: server.job_ttl: must be greater than zero",
              at(wrong, 3, 17) + ": error: server.parse_service: service 'embeddings' serves 'embeddings', not parse"});
    auto none = dir.write("none.toml", R"([server]
parse_service = "documents"
[backends.e]
plugin = "mock-embeddings"
[services.embeddings]
capability = "embeddings"
mock = "e"
)");
    CHECK(describe(load(none, {}).problems) ==
          std::vector<std::string>{at(none, 2, 17) +
                                   ": error: server.parse_service: unknown service 'documents'; no parse service is defined"});
}
