#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include <catch2/catch.hpp>

#include "fakes/capture_logger.hpp"
#include "fakes/manual_clock.hpp"
#include "plugin/guard.hpp"
#include "plugin/plugin_loader.hpp"
#include "plugin_folder.hpp"
#include "call_helpers.hpp"

using switchboard::CallContext;
using switchboard::EmbeddingsRequest;
using switchboard::EmbeddingsResponse;
using switchboard::ErrorKind;
using switchboard::ParseRequest;
using switchboard::ParseResponse;
using switchboard::Result;
using switchboard::ServiceInterface;
using switchboard::plugin::guarded;
using switchboard::plugin::LoaderOptions;
using switchboard::plugin::PluginLoader;
using switchboard::testing::CaptureLogger;
using switchboard::testing::ManualClock;
using switchboard::testing::PluginFolder;
using switchboard::testing::RecordingMetrics;
using switchboard::testing::StartedTask;
using switchboard::testing::backend_config;
using switchboard::testing::embeddings_request;
using switchboard::testing::host_services;

namespace {

// The thrower and echo plugins, loaded and started with a manual clock.
struct ThrowerAndEcho {
    PluginFolder folder;
    CaptureLogger logger;
    ManualClock clock;
    RecordingMetrics metrics;
    std::shared_ptr<ServiceInterface> thrower;
    std::shared_ptr<ServiceInterface> echo;

    ThrowerAndEcho() {
        folder.add("thrower");
        folder.add("echo");
        PluginLoader loader(LoaderOptions{{folder.path()}, {}}, logger);
        auto records = loader.discover();
        REQUIRE(records.size() == 2);
        thrower = loader.create(records[1]).value();
        echo = loader.create(records[0]).value();
        auto host = host_services(&logger, &clock, &metrics);
        REQUIRE(thrower->start(host, backend_config("thrower-backend")).ok());
        REQUIRE(echo->start(host, backend_config("echo-backend")).ok());
    }

    // The host keeps serving: echo answers after whatever the thrower did.
    void check_echo_still_serves() {
        StartedTask<Result<EmbeddingsResponse>> call(
            guarded<EmbeddingsResponse>("backend 'echo' embed",
                                        [&] { return echo->embed({}, embeddings_request({"ok"})); }));
        REQUIRE(call.done());
        REQUIRE(call.result().ok());
        CHECK(call.result().value().vectors == std::vector<std::vector<float>>{{2.0f, 111.0f}});
    }
};

}  // namespace

TEST_CASE("a plugin call that throws before returning its task becomes Error{internal}", "[plugin]") {
    ThrowerAndEcho plugins;
    CallContext ctx;
    ctx.request_id = "req-7";

    StartedTask<Result<EmbeddingsResponse>> call(guarded<EmbeddingsResponse>(
        "backend 'thrower-backend' embed",
        [&] { return plugins.thrower->embed(ctx, embeddings_request({"text"})); }));

    REQUIRE(call.done());
    REQUIRE_FALSE(call.result().ok());
    CHECK(call.result().error().kind == ErrorKind::internal);
    CHECK(call.result().error().message ==
          "backend 'thrower-backend' embed threw: embed failed before its task existed");
    plugins.check_echo_still_serves();
}

TEST_CASE("a plugin coroutine that throws after resuming becomes Error{internal}", "[plugin]") {
    ThrowerAndEcho plugins;
    ParseRequest request;
    request.data = "%PDF-1.7";

    StartedTask<Result<ParseResponse>> call(guarded<ParseResponse>(
        "backend 'thrower-backend' parse", [&] { return plugins.thrower->parse({}, request); }));

    CHECK_FALSE(call.done());
    plugins.clock.advance(std::chrono::seconds(1));
    REQUIRE(call.done());
    REQUIRE_FALSE(call.result().ok());
    CHECK(call.result().error().kind == ErrorKind::internal);
    CHECK(call.result().error().message == "unhandled exception: parse failed inside its coroutine");
    plugins.check_echo_still_serves();
}

TEST_CASE("a plugin that threw keeps serving the calls that do not throw", "[plugin]") {
    ThrowerAndEcho plugins;
    ParseRequest failing;
    failing.data = "%PDF-1.7";
    StartedTask<Result<ParseResponse>> first(
        guarded<ParseResponse>("parse", [&] { return plugins.thrower->parse({}, failing); }));
    StartedTask<Result<ParseResponse>> second(
        guarded<ParseResponse>("parse", [&] { return plugins.thrower->parse({}, ParseRequest{}); }));

    plugins.clock.advance(std::chrono::seconds(1));

    REQUIRE(first.done());
    REQUIRE(second.done());
    CHECK_FALSE(first.result().ok());
    CHECK(second.result().ok());
}
