#pragma once

#include <chrono>
#include <functional>
#include <initializer_list>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <catch2/catch.hpp>

#include "fakes/fake_llamaparse.hpp"
#include "fakes/http_harness.hpp"
#include "llamaparse/llamaparse.hpp"

namespace switchboard::llamaparse::testing {

using switchboard::testing::FakeExchange;
using switchboard::testing::FakeLlamaParse;
using switchboard::testing::FakeUpload;
using switchboard::testing::JobScript;
using switchboard::testing::Reply;

// Obviously fake; no test output may ever contain it.
inline const std::string test_key = "llx-test-0123456789abcdef0123456789abcdef";
inline constexpr const char* backend_name = "llama-test";

using SettingList = std::initializer_list<std::pair<std::string, SettingValue>>;

// The first 8-byte piece of the test key found in `text`, or "" when none is: a key cut in two
// and only partly redacted still shows such a piece.
inline std::string key_piece_in(std::string_view text) {
    for (std::size_t at = 0; at + 8 <= test_key.size(); ++at) {
        std::string piece = test_key.substr(at, 8);
        if (text.find(piece) != std::string_view::npos) return piece;
    }
    return {};
}

// The host's retry policy as the tests see it: 3 attempts, 0.5 s then 1 s backoff (no jitter).
inline config::HttpSettings test_http() {
    config::HttpSettings http;
    http.max_attempts = 3;
    http.timeout = std::chrono::seconds(5);
    return http;
}

// Two pages ("First page", "Second page") as the fake reads them.
inline ParseRequest two_page_document() {
    ParseRequest request;
    request.file_name = "report.pdf";
    request.mime_type = "application/pdf";
    request.data = "First page\fSecond page";
    return request;
}

// The harness's manual clock as the plugin sees it, with a hook run each time the plugin arms a
// timer (a poll wait): tests cancel a call at an exact point of its polling with it.
class HookedClock final : public Clock {
public:
    explicit HookedClock(Clock& inner) : inner_(inner) {}

    std::function<void(duration delay)> on_timer;

    time_point now() const override { return inner_.now(); }
    std::chrono::system_clock::time_point wall_now() const override { return inner_.wall_now(); }
    TimerId call_after(duration delay, std::function<void()> fn) override {
        TimerId id = inner_.call_after(delay, std::move(fn));
        if (on_timer && delay > duration::zero()) on_timer(delay);
        return id;
    }
    bool cancel(TimerId id) override { return inner_.cancel(id); }

private:
    Clock& inner_;
};

// The plugin started against the fake through the host's real HTTP client and a manual clock.
class Rig {
public:
    explicit Rig(SettingList settings = {}, std::string key = test_key, config::HttpSettings http = test_http())
        : harness(http, backend_name), fake(test_key), plugin_clock(harness.clock) {
        fake.use_clock(&harness.clock);
        BackendConfig config;
        config.backend = backend_name;
        config.settings = Settings("switchboard.toml [backends.llama-test.settings]");
        config.settings.set("base_url", fake.base_url());
        for (const auto& [name, value] : settings) config.settings.set(name, value);
        config.api_key = Secret(std::move(key));
        HostServices services{&harness.logger, &plugin_clock, nullptr, &harness.client()};
        auto status = plugin.start(services, config);
        INFO((status.ok() ? std::string() : status.error().message));
        REQUIRE(status.ok());
        start_ = harness.clock.now();
    }

    Result<ParseResponse> parse(ParseRequest request = two_page_document(), CallContext ctx = {}) {
        if (ctx.request_id.empty()) ctx = harness.context();
        return remember(harness.run(plugin.parse(std::move(ctx), std::move(request))));
    }

    Status health() { return remember(harness.run(plugin.health(harness.context()))); }

    // Seconds of manual time from the rig's start to each exchange whose "METHOD /path" starts
    // with `route`.
    std::vector<double> times_of(std::string_view route) const {
        std::vector<double> times;
        for (const auto& exchange : fake.exchanges()) {
            if ((exchange.method + " " + exchange.path).rfind(route, 0) == 0) {
                times.push_back(std::chrono::duration<double>(exchange.at - start_).count());
            }
        }
        return times;
    }

    // "METHOD /path?query" of every exchange, in order.
    std::vector<std::string> routes() const {
        std::vector<std::string> out;
        for (const auto& exchange : fake.exchanges()) {
            out.push_back(exchange.method + " " + exchange.path + (exchange.query.empty() ? "" : "?" + exchange.query));
        }
        return out;
    }

    // Every log line and every error this rig saw is free of the key.
    void check_no_key() const {
        for (const auto& line : harness.logger.lines()) {
            INFO(line.message);
            CHECK(line.message.find(test_key) == std::string::npos);
        }
        for (const auto& message : errors_) {
            INFO(message);
            CHECK(message.find(test_key) == std::string::npos);
        }
    }

    switchboard::testing::HttpHarness harness;
    FakeLlamaParse fake;
    HookedClock plugin_clock;
    LlamaParse plugin;

private:
    template <class R>
    R remember(R result) {
        if (!result.ok()) errors_.push_back(result.error().message);
        return result;
    }

    Clock::time_point start_;
    std::vector<std::string> errors_;
};

template <class T>
const T& ok_value(const Result<T>& result) {
    INFO((result.ok() ? std::string() : describe(result.error())));
    REQUIRE(result.ok());
    return result.value();
}

template <class T>
const Error& error_of(const Result<T>& result) {
    REQUIRE_FALSE(result.ok());
    return result.error();
}

}  // namespace switchboard::llamaparse::testing
