// Loads the plugins in one folder as the host does, then starts the named plugin with fake host
// services and asks it for embeddings. Used by the installed-SDK test; prints what happened.
//
//   plugin_host_driver <plugin folder> <plugin name> [setting=integer]...
#include <chrono>
#include <cstdint>
#include <iostream>
#include <optional>
#include <string>

#include "fakes/capture_logger.hpp"
#include "fakes/manual_clock.hpp"
#include "plugin/guard.hpp"
#include "plugin/plugin_loader.hpp"

namespace {

using namespace switchboard;

void print_log(const testing::CaptureLogger& logger) {
    constexpr const char* levels[] = {"trace", "debug", "info", "warn", "error", "critical"};
    for (const auto& line : logger.lines()) {
        std::cout << "log: " << levels[static_cast<int>(line.level)] << " "
                  << (line.request_id.empty() ? "" : "[" + line.request_id + "] ") << line.message << "\n";
    }
}

std::string vectors_text(const EmbeddingsResponse& response) {
    std::string text = "[";
    for (const auto& vector : response.vectors) {
        text += text.size() > 1 ? ",[" : "[";
        for (std::size_t i = 0; i < vector.size(); ++i) {
            text += (i ? "," : "") + std::to_string(static_cast<int>(vector[i]));
        }
        text += "]";
    }
    return text + "]";
}

int run(const std::string& folder, const std::string& name, Settings settings) {
    testing::CaptureLogger logger;
    testing::ManualClock clock;
    testing::RecordingMetrics metrics;
    plugin::PluginLoader loader({{folder}, {}}, logger);
    auto records = loader.discover();
    const plugin::PluginRecord* chosen = nullptr;
    for (const auto& record : records) {
        if (record.loaded() && record.info.name == name) chosen = &record;
    }
    if (chosen == nullptr) {
        print_log(logger);
        std::cout << "no loaded plugin named '" << name << "' in " << folder << "\n";
        return 1;
    }
    std::cout << "loaded: " << chosen->info.name << " " << chosen->info.version << " (ABI " << chosen->abi_major << "."
              << chosen->abi_minor << ", SDK " << chosen->sdk_version << ")\n";

    auto instance = loader.create(*chosen);
    if (!instance) {
        std::cout << "create failed: " << instance.error().message << "\n";
        return 1;
    }
    HostServices host;
    host.logger = &logger;
    host.clock = &clock;
    host.metrics = &metrics;
    BackendConfig config;
    config.backend = "driver-" + name;
    config.settings = std::move(settings);
    auto started = instance.value()->start(host, config);
    if (!started) {
        std::cout << "start failed: " << started.error().message << "\n";
        return 1;
    }

    CallContext ctx;
    ctx.request_id = "driver-1";
    ctx.logger = &logger;
    std::optional<Result<EmbeddingsResponse>> result;
    EmbeddingsRequest request;
    request.inputs = {"hello", "plugin world"};
    plugin::guarded<EmbeddingsResponse>("backend 'driver-" + name + "' embed", [&] {
        return instance.value()->embed(ctx, request);
    }).start([&](Result<EmbeddingsResponse> value) { result.emplace(std::move(value)); });
    std::cout << "after the call: " << (result ? "finished" : "waiting") << ", " << clock.pending_timers()
              << " timer(s) pending\n";
    clock.advance(std::chrono::seconds(10));

    print_log(logger);
    if (!result) {
        std::cout << "embed never finished\n";
        return 1;
    }
    if (!result->ok()) {
        std::cout << "embed failed: " << result->error().message << "\n";
        return 1;
    }
    std::cout << "embed: model=" << result->value().model << " vectors=" << vectors_text(result->value())
              << " prompt_tokens=" << result->value().usage.prompt_tokens << "\n";
    instance.value()->shutdown();
    return 0;
}

}  // namespace

int main(int argc, char** argv) {
    if (argc < 3) {
        std::cerr << "usage: plugin_host_driver <plugin folder> <plugin name> [setting=integer]...\n";
        return 2;
    }
    Settings settings("plugin_host_driver arguments");
    for (int i = 3; i < argc; ++i) {
        std::string arg = argv[i];
        auto equals = arg.find('=');
        if (equals == std::string::npos) {
            std::cerr << "expected setting=integer, got '" << arg << "'\n";
            return 2;
        }
        settings.set(arg.substr(0, equals), std::int64_t{std::stoll(arg.substr(equals + 1))});
    }
    return run(argv[1], argv[2], std::move(settings));
}
