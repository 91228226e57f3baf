// Switchboard benchmarks: plugin inspect/load/create, start-up with three plugins, and the
// router's own cost per call. Prints medians; run from the build tree:
//   build/bin/switchboard-bench [--iterations N]
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include <boost/asio/io_context.hpp>
#include <boost/dll/import.hpp>
#include <boost/dll/library_info.hpp>
#include <boost/dll/shared_library.hpp>

#include "health/health_monitor.hpp"
#include "log/host_logger.hpp"
#include "plugin/plugin_loader.hpp"
#include "router/router.hpp"
#include "runtime/asio_clock.hpp"
#include "runtime/runtime.hpp"
#include "switchboard/sdk.hpp"

namespace fs = std::filesystem;
using namespace switchboard;
using Stopwatch = std::chrono::steady_clock;

namespace {

struct Stats {
    std::size_t samples;
    double median_us;
    double p90_us;
    double min_us;
};

Stats summarize(std::vector<double> samples_us) {
    std::sort(samples_us.begin(), samples_us.end());
    auto at = [&](double q) { return samples_us[static_cast<std::size_t>(q * (samples_us.size() - 1))]; };
    return {samples_us.size(), at(0.5), at(0.9), samples_us.front()};
}

template <class F>
Stats measure(int iterations, F&& body) {
    std::vector<double> samples;
    samples.reserve(iterations);
    for (int i = 0; i < iterations; ++i) {
        auto start = Stopwatch::now();
        body();
        samples.push_back(std::chrono::duration<double, std::micro>(Stopwatch::now() - start).count());
    }
    return summarize(std::move(samples));
}

void report(const char* what, const Stats& s, const char* target) {
    std::printf("%-50s median %9.2f us   p90 %9.2f us   min %9.2f us   n %7zu   (target %s)\n", what,
                s.median_us, s.p90_us, s.min_us, s.samples, target);
}

// A backend whose own work is nothing: it answers at once with a canned vector.
class InstantBackend final : public ServiceInterface {
public:
    PluginInfo info() const override {
        PluginInfo info;
        info.name = "instant";
        info.version = "1.0.0";
        info.capabilities = {"embeddings"};
        return info;
    }
    Status start(const HostServices&, const BackendConfig&) override { return {}; }
    Task<Result<EmbeddingsResponse>> embed(CallContext, EmbeddingsRequest request) override {
        EmbeddingsResponse response;
        response.vectors.assign(request.inputs.size(), std::vector<float>{0.6f, 0.8f});
        response.model = "instant";
        co_return response;
    }
};

}  // namespace

int main(int argc, char** argv) {
    int iterations = 2000;
    for (int i = 1; i < argc; ++i) {
        std::string arg = argv[i];
        if (arg == "--iterations" && i + 1 < argc && std::atoi(argv[i + 1]) >= 20) {
            iterations = std::atoi(argv[++i]);
        } else {
            std::fprintf(arg == "--help" ? stdout : stderr,
                         "usage: switchboard-bench [--iterations N]   (N >= 20, default 2000)\n");
            return arg == "--help" ? 0 : 2;
        }
    }
    const fs::path plugin_dir = SWITCHBOARD_BENCH_PLUGIN_DIR;
    const fs::path plugin_file = plugin_dir / "mock-embeddings.so";
    log::HostLogger logger(log::Format::text, LogLevel::error);

    std::printf("Switchboard benchmarks (--iterations %d; plugin %s)\n\n", iterations, plugin_file.c_str());

    // 1. Plugin inspect, load, create, each on its own. Every load iteration unloads the library
    //    first (a dlopen of a library already open is only a reference count).
    report("plugin inspect (library_info + symbols)", measure(iterations, [&] {
               boost::dll::library_info info(plugin_file);
               auto symbols = info.symbols(SWITCHBOARD_STRINGIFY(SWITCHBOARD_SECTION));
               if (symbols.empty()) std::abort();
           }), "< 1 ms");
    report("plugin load (dlopen rtld_now|rtld_local)", measure(iterations, [&] {
               boost::dll::shared_library lib(plugin_file, boost::dll::load_mode::rtld_now |
                                                               boost::dll::load_mode::rtld_local);
           }), "< 1 ms");
    {
        boost::dll::shared_library lib(plugin_file, boost::dll::load_mode::rtld_now |
                                                        boost::dll::load_mode::rtld_local);
        auto descriptor = boost::dll::import_alias<const PluginDescriptor>(
            lib, SWITCHBOARD_STRINGIFY(SWITCHBOARD_ENTRY_SYMBOL));
        report("plugin create (descriptor->create + delete)", measure(iterations, [&] {
                   std::string error;
                   delete descriptor->create(&error);
               }), "< 1 ms");
    }
    report("loader.load_file (all checks, inspect+load+probe)", measure(iterations / 4, [&] {
               plugin::PluginLoader loader({{plugin_dir}, {}}, logger);
               auto record = loader.load_file(plugin_file);
               if (!record.loaded()) std::abort();
           }), "< 3 ms");

    // 2. Start-up with three plugins: config, scan, checks, create and start every backend.
    const fs::path work = fs::temp_directory_path() / ("switchboard-bench-" + std::to_string(getpid()));
    fs::create_directories(work / "plugins");
    // The two shipped mocks plus the test suite's echo plugin: three plugins, three backends.
    fs::copy_file(plugin_dir / "mock-embeddings.so", work / "plugins" / "mock-embeddings.so");
    fs::copy_file(plugin_dir / "mock-parse.so", work / "plugins" / "mock-parse.so");
    fs::copy_file(fs::path(SWITCHBOARD_BENCH_TEST_PLUGIN_DIR) / "echo.so", work / "plugins" / "echo.so");
    {
        std::ofstream config(work / "switchboard.toml");
        config << "[host]\nplugin_dirs = [\"plugins\"]\nlog_level = \"error\"\n"
                  "[backends.embed]\nplugin = \"mock-embeddings\"\n"
                  "[backends.parse]\nplugin = \"mock-parse\"\n"
                  "[backends.echo]\nplugin = \"echo\"\n"
                  "[services.embeddings]\ncapability = \"embeddings\"\nreal = [\"echo\"]\nmock = \"embed\"\n"
                  "[services.documents]\ncapability = \"parse\"\nmock = \"parse\"\n";
    }
    std::size_t plugin_count = 0;
    {
        boost::asio::io_context io;
        runtime::AsioClock clock(io);
        auto env = config::Environment{};
        report("start-up: config + scan + start backends", measure(std::max(20, iterations / 20), [&] {
                   runtime::Runtime rt(work / "switchboard.toml", env, clock, logger);
                   if (!rt.ok()) std::abort();
                   plugin_count = rt.plugins().size();
               }), "< 20 ms (3 plugins)");
    }
    std::printf("  (start-up measured with %zu plugins and 3 backends)\n", plugin_count);
    fs::remove_all(work);

    // 3. A routing decision: the router's own cost per call, with a backend that does nothing.
    {
        boost::asio::io_context io;
        runtime::AsioClock clock(io);
        config::Config config;
        config.host.default_mode = config::Mode::hybrid;
        config::ServiceSettings service;
        service.name = "embeddings";
        service.capability = "embeddings";
        service.mock = "instant";
        config.services.emplace("embeddings", service);
        config::BackendSettings backend;
        backend.name = "instant";
        backend.plugin = "instant";
        config.backends.emplace("instant", backend);

        auto instant = std::make_shared<InstantBackend>();
        health::HealthMonitor health(config.health, clock, logger);
        health.add("instant", instant);
        router::Router router(config, {{"instant", router::Backend{"instant", instant, &logger}}},
                              health, clock, logger);
        EmbeddingsRequest request;
        request.inputs = {"hello"};
        const int calls = iterations * 50;
        auto stats = measure(calls, [&] {
            bool ok = false;
            router.embed("embeddings", request, {config::Mode::mock, "req_bench"})
                .start([&](router::Routed<EmbeddingsResponse> routed) { ok = routed.result.ok(); });
            if (!ok) std::abort();
        });
        report("routing decision (embed, instant backend)", stats, "< 5 us median");
        // The backend's own work, measured alone, to show what the figure above excludes.
        auto backend_only = measure(calls, [&] {
            bool ok = false;
            instant->embed(CallContext{}, request).start([&](Result<EmbeddingsResponse> r) { ok = r.ok(); });
            if (!ok) std::abort();
        });
        report("  of which the backend itself", backend_only, "-");
        io.poll();
    }
    return 0;
}
