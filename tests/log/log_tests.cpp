#include <sstream>

#include <boost/json.hpp>
#include <catch2/catch.hpp>
#include <spdlog/sinks/ostream_sink.h>
#include <spdlog/spdlog.h>

#include "log/host_logger.hpp"

using namespace switchboard;

namespace {

struct Captured {
    std::ostringstream stream;
    std::shared_ptr<spdlog::logger> sink = std::make_shared<spdlog::logger>(
        "test", std::make_shared<spdlog::sinks::ostream_sink_mt>(stream));
};

}  // namespace

TEST_CASE("text lines carry level, component and request id", "[log]") {
    Captured c;
    log::HostLogger logger(c.sink, log::Format::text, LogLevel::info);
    log::ComponentLogger backend(logger, "backend mock-embed");
    backend.log(LogLevel::warn, "req_0123456789abcdef", "slow answer");
    auto line = c.stream.str();
    CHECK(line.find("[warning] [backend mock-embed] [req_0123456789abcdef] slow answer\n") != std::string::npos);
}

TEST_CASE("json lines are one parseable object per line", "[log]") {
    Captured c;
    log::HostLogger logger(c.sink, log::Format::json, LogLevel::info);
    logger.log_as("router", LogLevel::error, "req_1", "quote \" and newline \n inside");
    auto text = c.stream.str();
    REQUIRE(text.back() == '\n');
    auto json = boost::json::parse(text.substr(0, text.size() - 1)).as_object();
    CHECK(json.at("level") == "error");
    CHECK(json.at("component") == "router");
    CHECK(json.at("request_id") == "req_1");
    CHECK(json.at("msg") == "quote \" and newline \n inside");
    CHECK(json.at("ts").as_string().ends_with("Z"));
}

TEST_CASE("lines below the level are dropped", "[log]") {
    Captured c;
    log::HostLogger logger(c.sink, log::Format::text, LogLevel::warn);
    CHECK_FALSE(logger.enabled(LogLevel::info));
    logger.log(LogLevel::info, "", "not shown");
    CHECK(c.stream.str().empty());
    logger.set_level(LogLevel::debug);
    logger.log(LogLevel::debug, "", "shown");
    CHECK(c.stream.str().find("shown") != std::string::npos);
}

TEST_CASE("registered secrets never reach a line, in any format", "[log]") {
    const std::string key = "sk-proj-abcdefghijklmnop1234";
    for (auto format : {log::Format::text, log::Format::json}) {
        Captured c;
        log::HostLogger logger(c.sink, format, LogLevel::trace);
        logger.add_secret(key);
        logger.log(LogLevel::error, "req_9", "upstream said: bad key " + key + " and again " + key);
        auto text = c.stream.str();
        CHECK(text.find(key) == std::string::npos);
        CHECK(text.find("bad key [REDACTED] and again [REDACTED]") != std::string::npos);
    }
}

TEST_CASE("level names round-trip", "[log]") {
    for (auto level : {LogLevel::trace, LogLevel::debug, LogLevel::info, LogLevel::warn, LogLevel::error,
                       LogLevel::critical}) {
        CHECK(log_level_from_string(to_string(level)) == level);
    }
    CHECK_FALSE(log_level_from_string("verbose").has_value());
}
