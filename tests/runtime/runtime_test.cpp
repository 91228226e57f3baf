#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <optional>
#include <sstream>
#include <string>

#include <catch2/catch.hpp>
#include <spdlog/sinks/ostream_sink.h>
#include <spdlog/spdlog.h>

#include "fakes/capture_logger.hpp"
#include "fakes/manual_clock.hpp"
#include "fakes/temp_dir.hpp"
#include "health/health_monitor.hpp"
#include "plugin/plugin_loader.hpp"
#include "router/router.hpp"
#include "runtime/runtime.hpp"

namespace fs = std::filesystem;
using namespace switchboard;
using namespace std::chrono_literals;

namespace {

bool library_mapped(const std::string& file_name) {
    std::ifstream maps("/proc/self/maps");
    std::string line;
    while (std::getline(maps, line)) {
        if (line.ends_with("/" + file_name)) return true;
    }
    return false;
}

// A host logger writing into a string, so tests can read every line.
struct TextLog {
    std::ostringstream stream;
    log::HostLogger logger{std::make_shared<spdlog::logger>(
                               "test", std::make_shared<spdlog::sinks::ostream_sink_mt>(stream)),
                           log::Format::text, LogLevel::info};
};

std::string all_problems(const runtime::Runtime& rt) {
    std::string out;
    for (const auto& p : rt.problems()) out += p.to_string() + "\n";
    return out;
}

const std::string kPlugins = SWITCHBOARD_PLUGIN_DIR;

}  // namespace

TEST_CASE("a call the router gave up on can finish after the host dropped every reference to its plugin",
          "[runtime]") {
    testing::ManualClock clock;
    testing::CaptureLogger log;
    std::optional<router::Routed<EmbeddingsResponse>> answer;
    {
        plugin::PluginLoader loader({{SWITCHBOARD_RUNTIME_TEST_PLUGIN_DIR}, {}}, log);
        auto record = loader.load_file(fs::path(SWITCHBOARD_RUNTIME_TEST_PLUGIN_DIR) / "slow.so");
        REQUIRE(record.loaded());
        auto instance = loader.create(record).value();
        REQUIRE(instance->start(HostServices{&log, &clock, nullptr, nullptr}, BackendConfig{}).ok());

        config::Config config;
        config::ServiceSettings service;
        service.name = "embed";
        service.capability = "embeddings";
        service.real = {"slow"};
        service.mode = config::Mode::real;
        service.fallback_timeout = 1s;
        config.services["embed"] = service;
        health::HealthMonitor health(config.health, clock, log);
        router::Router router(config, {{"slow", router::Backend{"slow", instance, &log}}}, health,
                              clock, log);
        EmbeddingsRequest request;
        request.inputs = {"x"};
        router.embed("embed", request).start([&](router::Routed<EmbeddingsResponse> r) { answer.emplace(std::move(r)); });
        clock.advance(1s);
        REQUIRE(answer.has_value());
        CHECK(answer->result.error().kind == ErrorKind::timeout);
        instance->shutdown();
    }  // router, health, instance, record and loader are gone; only the abandoned call remains
    CHECK(library_mapped("slow.so"));  // the abandoned call still pins it

    // The plugin wakes and finishes on a stack that runs its own code; the last pin is dropped
    // afterwards from a host timer. Dropping it on that stack would unmap the code under it (a
    // crash, which is how this test fails).
    clock.advance(10s);
    CHECK_FALSE(library_mapped("slow.so"));
}

TEST_CASE("one run reports config problems, plugin settings problems and rejected plugin files together",
          "[runtime]") {
    testing::TempDir s;
    s.make_folder("plugins");
    fs::copy_file(fs::path(kPlugins) / "mock-embeddings.so", s.path() / "plugins" / "mock-embeddings.so");
    std::ofstream(s.path() / "plugins" / "junk.so") << "not a library";
    auto config = s.write("switchboard.toml", R"([host]
plugin_dirs = ["plugins"]

[health]
cooldwn = "30s"

[backends.e]
plugin = "mock-embeddings"
[backends.e.settings]
dimensions = "large"

[services.embeddings]
capability = "embeddings"
mock = "e"
)");
    testing::ManualClock clock;
    TextLog log;
    runtime::Runtime rt(config, config::Environment{}, clock, log.logger);
    CHECK_FALSE(rt.ok());
    auto text = all_problems(rt);
    INFO(text);
    CHECK(text.find("health: unknown key 'cooldwn' (did you mean 'cooldown'?)") != std::string::npos);
    CHECK(text.find("backends.e.settings: backend 'e' (plugin 'mock-embeddings') did not start: ") !=
          std::string::npos);
    CHECK(text.find("setting 'dimensions' at " + config.string() + ":10:14 must be an integer") !=
          std::string::npos);
    CHECK(text.find((s.path() / "plugins" / "junk.so").string() + ": warning: plugin file rejected: ") !=
          std::string::npos);
}

TEST_CASE("a key from the environment never appears in a problem, wherever it was interpolated", "[runtime]") {
    testing::TempDir s;
    const std::string key = "sk-proj-NeverShowThis0123456789abcdef";
    auto config = s.write("switchboard.toml", R"([host]
plugin_dirs = [")" + kPlugins + R"("]

[backends.e]
plugin = "mock-embeddings"

[services.embeddings]
capability = "embeddings"
mock = "${MY_OPENAI_KEY}"
)");
    testing::ManualClock clock;
    TextLog log;
    config::Environment env;
    env.variables["MY_OPENAI_KEY"] = key;
    runtime::Runtime rt(config, env, clock, log.logger);
    CHECK_FALSE(rt.ok());
    auto text = all_problems(rt);
    INFO(text);
    CHECK(text.find("services.embeddings.mock") != std::string::npos);
    CHECK(text.find("[REDACTED]") != std::string::npos);
    CHECK(text.find(key) == std::string::npos);
    CHECK(log.stream.str().find(key) == std::string::npos);
}

TEST_CASE("a running host probes its backends at the configured interval", "[runtime]") {
    testing::TempDir s;
    auto config = s.write("switchboard.toml", R"([host]
plugin_dirs = [")" + kPlugins + R"("]
[health]
probe_interval = "10s"
[backends.e]
plugin = "mock-embeddings"
[services.embeddings]
capability = "embeddings"
mock = "e"
)");
    testing::ManualClock clock;
    TextLog log;
    runtime::Runtime rt(config, config::Environment{}, clock, log.logger);
    REQUIRE(rt.ok());
    CHECK_FALSE(rt.health().snapshot("e").last_check.has_value());
    clock.advance(9s);
    CHECK_FALSE(rt.health().snapshot("e").last_check.has_value());
    clock.advance(1s);
    auto health = rt.health().snapshot("e");
    REQUIRE(health.last_check.has_value());
    CHECK(*health.last_check == clock.now());
    CHECK(health.state == health::State::healthy);
}
