#pragma once

#include <initializer_list>
#include <memory>
#include <optional>
#include <string>
#include <utility>

#include <catch2/catch.hpp>

#include "fakes/capture_logger.hpp"
#include "fakes/manual_clock.hpp"
#include "switchboard/sdk.hpp"

namespace switchboard::mock::testing {

// A task started detached; its result appears once the test has driven it to the end.
template <class T>
class Started {
public:
    explicit Started(Task<T> task) : result_(std::make_shared<std::optional<T>>()) {
        std::move(task).start([result = result_](T value) { result->emplace(std::move(value)); });
    }

    bool done() const { return result_->has_value(); }
    T& result() {
        REQUIRE(done());
        return **result_;
    }

private:
    std::shared_ptr<std::optional<T>> result_;
};

// The host side of a plugin test: a manual clock and a capturing logger.
struct Host {
    switchboard::testing::ManualClock clock;
    switchboard::testing::CaptureLogger logger;

    HostServices services() { return HostServices{&logger, &clock, nullptr, nullptr}; }

    CallContext context(std::string request_id = "req-1") {
        CallContext ctx;
        ctx.request_id = std::move(request_id);
        ctx.logger = &logger;
        return ctx;
    }
};

inline constexpr const char* test_origin = "switchboard.toml [backends.mock.settings]";

inline BackendConfig backend_config(std::initializer_list<std::pair<std::string, SettingValue>> settings = {}) {
    BackendConfig config;
    config.backend = "mock";
    config.settings = Settings(test_origin);
    for (const auto& [key, value] : settings) config.settings.set(key, value);
    return config;
}

// Starts `plugin` with `settings`, failing the test if start() refuses.
template <class Plugin>
void start_or_fail(Plugin& plugin, Host& host,
                   std::initializer_list<std::pair<std::string, SettingValue>> settings = {}) {
    auto status = plugin.start(host.services(), backend_config(settings));
    INFO((status.ok() ? std::string() : status.error().message));
    REQUIRE(status.ok());
}

// The error start() returns for `settings`, which the test expects it to refuse.
template <class Plugin>
Error start_error(std::initializer_list<std::pair<std::string, SettingValue>> settings) {
    Host host;
    Plugin plugin;
    auto status = plugin.start(host.services(), backend_config(settings));
    REQUIRE_FALSE(status.ok());
    return status.error();
}

}  // namespace switchboard::mock::testing
