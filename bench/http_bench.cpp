// Switchboard HTTP benchmarks: the real OpenAI embeddings plugin, loaded by the real loader,
// calling through the host's HTTP client (retry layer + libcurl on the Asio loop) to the loopback
// fake OpenAI. Run from the build tree:
//   build/bin/switchboard-bench-http [--concurrent N] [--latency-ms MS] [--calls N] [--io-threads N]
//
// 1. N calls in flight at once against a fake that answers each after MS: wall time for all of
//    them, cold (new connections) and warm (connections kept alive from the cold round), and
//    the host process's peak RSS. The fake runs in a child process of its own, as an upstream
//    would, so the figures are the host's alone.
// 2. Per-call cost against a zero-latency fake, one call at a time: the whole plugin call
//    (JSON body, HttpClient, base64 decode, checks) and the bare transport round trip for the
//    same request; their difference is what the plugin and the retry layer add.
#include <signal.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <future>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>

#include "fakes/fake_openai.hpp"
#include "http/backend_http_client.hpp"
#include "http/curl_transport.hpp"
#include "plugin/plugin_loader.hpp"
#include "runtime/asio_clock.hpp"
#include "switchboard/sdk.hpp"

namespace fs = std::filesystem;
using namespace switchboard;
using namespace std::chrono_literals;
using Stopwatch = std::chrono::steady_clock;

namespace {

const std::string kKey = "sk-bench-0123456789abcdefghijklmnopqrstuvwxyzABCD";

class QuietLogger final : public Logger {
public:
    bool enabled(LogLevel level) const override { return level >= LogLevel::warn; }
    void log(LogLevel level, std::string_view request_id, std::string_view message) override {
        if (!enabled(level)) return;
        std::fprintf(stderr, "[%s] [%.*s] %.*s\n", std::string(to_string(level)).c_str(),
                     static_cast<int>(request_id.size()), request_id.data(), static_cast<int>(message.size()),
                     message.data());
    }
};

double peak_rss_mb() {
    rusage usage{};
    getrusage(RUSAGE_SELF, &usage);
    return static_cast<double>(usage.ru_maxrss) / 1024.0;  // ru_maxrss is in KiB on Linux
}

double cpu_seconds(int who) {
    rusage usage{};
    getrusage(who, &usage);
    auto seconds = [](timeval t) { return static_cast<double>(t.tv_sec) + static_cast<double>(t.tv_usec) / 1e6; };
    return seconds(usage.ru_utime) + seconds(usage.ru_stime);
}

double percentile(std::vector<double> v, double q) {
    std::sort(v.begin(), v.end());
    return v[static_cast<std::size_t>(q * static_cast<double>(v.size() - 1))];
}

void raise_file_limit() {
    rlimit files{};
    getrlimit(RLIMIT_NOFILE, &files);
    files.rlim_cur = files.rlim_max;
    setrlimit(RLIMIT_NOFILE, &files);
}

// The fake OpenAI in a child process; its base URL comes back through a pipe.
class FakeProcess {
public:
    explicit FakeProcess(int latency_ms) {
        int fds[2];
        if (pipe(fds) != 0) std::exit(1);
        pid_ = fork();
        if (pid_ == 0) {
            close(fds[0]);
            testing::FakeOpenAI fake(kKey);
            fake.set_latency(std::chrono::milliseconds(latency_ms));
            std::string url = fake.base_url();
            if (write(fds[1], url.data(), url.size()) != static_cast<ssize_t>(url.size())) _exit(1);
            close(fds[1]);
            for (;;) pause();  // until the parent's SIGTERM
        }
        close(fds[1]);
        char buffer[256];
        ssize_t n;
        while ((n = read(fds[0], buffer, sizeof buffer)) > 0) base_url_.append(buffer, static_cast<std::size_t>(n));
        close(fds[0]);
        if (base_url_.empty()) {
            std::fprintf(stderr, "the fake server did not start\n");
            std::exit(1);
        }
    }
    ~FakeProcess() {
        kill(pid_, SIGTERM);
        waitpid(pid_, nullptr, 0);
    }
    const std::string& base_url() const { return base_url_; }

private:
    pid_t pid_ = -1;
    std::string base_url_;
};

// The host side: event loop thread, clock, transport, the backend's HttpClient, the plugin.
struct Host {
    boost::asio::io_context io;
    boost::asio::executor_work_guard<boost::asio::io_context::executor_type> work{boost::asio::make_work_guard(io)};
    runtime::AsioClock clock{io};
    http::CurlTransport transport{io};
    QuietLogger logger;
    std::unique_ptr<http::BackendHttpClient> client;
    std::unique_ptr<plugin::PluginLoader> loader;
    std::shared_ptr<ServiceInterface> backend;
    std::vector<std::thread> threads;

    Host(const std::string& base_url, int io_threads) {
        config::HttpSettings settings;
        settings.timeout = 60s;
        settings.deadline = 120s;
        client = std::make_unique<http::BackendHttpClient>("openai", settings, transport, clock, logger);
        loader = std::make_unique<plugin::PluginLoader>(plugin::LoaderOptions{{SWITCHBOARD_BENCH_PLUGIN_DIR}, {}}, logger);
        auto record = loader->load_file(fs::path(SWITCHBOARD_BENCH_PLUGIN_DIR) / "openai-embeddings.so");
        if (!record.loaded()) {
            std::fprintf(stderr, "cannot load openai-embeddings.so: %s\n", record.rejection.c_str());
            std::exit(1);
        }
        backend = loader->create(record).value();
        BackendConfig config{"openai", Settings("bench"), Secret(kKey)};
        config.settings.set("base_url", base_url);
        auto started = backend->start(HostServices{&logger, &clock, nullptr, client.get()}, config);
        if (!started) {
            std::fprintf(stderr, "cannot start the plugin: %s\n", started.error().message.c_str());
            std::exit(1);
        }
        for (int i = 0; i < io_threads; ++i) threads.emplace_back([this] { io.run(); });
    }

    ~Host() {
        backend->shutdown();
        work.reset();
        for (auto& thread : threads) thread.join();
    }

    static EmbeddingsRequest request(int i) {
        EmbeddingsRequest r;
        r.inputs = {"benchmark input number " + std::to_string(i)};
        return r;
    }

    // Starts `count` calls at once; returns the wall time until the last finished, in seconds.
    std::mutex finished_mutex;
    std::vector<double> finished;

    double burst(int count, int& failures) {
        finished.clear();
        std::atomic<int> left{count};
        std::atomic<int> failed{0};
        std::promise<void> all_done;
        auto start = Stopwatch::now();
        for (int i = 0; i < count; ++i) {
            CallContext ctx;
            ctx.request_id = "bench-" + std::to_string(i);
            backend->embed(ctx, request(i)).start([&, start](Result<EmbeddingsResponse> r) {
                double at = std::chrono::duration<double>(Stopwatch::now() - start).count();
                {
                    std::lock_guard lock(finished_mutex);
                    finished.push_back(at);
                }
                if (!r.ok()) {
                    if (failed.fetch_add(1) == 0) std::fprintf(stderr, "first failure: %s\n", describe(r.error()).c_str());
                }
                if (left.fetch_sub(1) == 1) all_done.set_value();
            });
        }
        double submitted = std::chrono::duration<double>(Stopwatch::now() - start).count();
        all_done.get_future().wait();
        failures = failed.load();
        std::printf("  (all %d calls handed to the client after %.3f s; first answer %.3f s, median %.3f s)\n", count,
                    submitted, percentile(finished, 0.0), percentile(finished, 0.5));
        return std::chrono::duration<double>(Stopwatch::now() - start).count();
    }

    // One call at a time; microseconds per call.
    std::vector<double> sequential_calls(int count) {
        std::vector<double> samples;
        for (int i = 0; i < count; ++i) {
            std::promise<bool> done;
            auto start = Stopwatch::now();
            CallContext ctx;
            ctx.request_id = "seq";
            backend->embed(ctx, request(i)).start([&, start](Result<EmbeddingsResponse> r) {
                double at = std::chrono::duration<double>(Stopwatch::now() - start).count();
                {
                    std::lock_guard lock(finished_mutex);
                    finished.push_back(at);
                } done.set_value(r.ok()); });
            bool ok = done.get_future().get();
            samples.push_back(std::chrono::duration<double, std::micro>(Stopwatch::now() - start).count());
            if (!ok) {
                std::fprintf(stderr, "call %d failed\n", i);
                std::exit(1);
            }
        }
        return samples;
    }

    // The same request as the plugin sends, straight through the transport.
    std::vector<double> sequential_transport(int count, const std::string& base_url) {
        std::vector<double> samples;
        for (int i = 0; i < count; ++i) {
            HttpRequest r;
            r.method = "POST";
            r.url = base_url + "/embeddings";
            r.headers = {{"Authorization", "Bearer " + kKey}, {"Content-Type", "application/json"}};
            r.body = R"({"model":"text-embedding-3-small","input":["benchmark input number )" + std::to_string(i) +
                     R"("],"encoding_format":"base64"})";
            r.connect_timeout = 5s;
            r.timeout = 60s;
            r.max_response_bytes = 64 << 20;
            std::promise<int> done;
            auto start = Stopwatch::now();
            transport.start(r, [&](http::Exchange e) { done.set_value(e.result.ok() ? e.result->status : -1); });
            int status = done.get_future().get();
            samples.push_back(std::chrono::duration<double, std::micro>(Stopwatch::now() - start).count());
            if (status != 200) {
                std::fprintf(stderr, "transport call %d: status %d\n", i, status);
                std::exit(1);
            }
        }
        return samples;
    }
};

}  // namespace

int main(int argc, char** argv) {
    int concurrent = 5000;
    int latency_ms = 1000;
    int calls = 2000;
    int io_threads = 1;
    for (int i = 1; i < argc; ++i) {
        std::string arg = argv[i];
        auto next = [&] { return i + 1 < argc ? std::atoi(argv[++i]) : 0; };
        if (arg == "--concurrent") concurrent = next();
        else if (arg == "--latency-ms") latency_ms = next();
        else if (arg == "--calls") calls = next();
        else if (arg == "--io-threads") io_threads = next();
        else {
            std::fprintf(arg == "--help" ? stdout : stderr,
                         "usage: switchboard-bench-http [--concurrent N] [--latency-ms MS] [--calls N] [--io-threads N]\n");
            return arg == "--help" ? 0 : 2;
        }
    }
    raise_file_limit();  // one socket per call in flight, in each process

    std::printf("Switchboard HTTP benchmarks: openai-embeddings plugin -> host HttpClient -> libcurl -> loopback fake\n");
    std::printf("(host event loop on %d thread(s); the fake in a child process)\n\n", io_threads);
    {
        FakeProcess fake(latency_ms);
        Host host(fake.base_url(), io_threads);
        int failures = 0;
        double cold = host.burst(concurrent, failures);
        double cpu_before = cpu_seconds(RUSAGE_SELF);
        std::printf("%d calls in flight at once, fake answers after %d ms: cold %.3f s (%d failed)\n", concurrent,
                    latency_ms, cold, failures);
        double warm = host.burst(concurrent, failures);
        double host_cpu = cpu_seconds(RUSAGE_SELF) - cpu_before;
        std::printf("%d calls in flight at once, fake answers after %d ms: warm %.3f s (%d failed)\n", concurrent,
                    latency_ms, warm, failures);
        std::printf("  overhead over the fake's latency: cold %.0f ms, warm %.0f ms; peak RSS %.0f MB (target < 300 MB)\n",
                    (cold - latency_ms / 1000.0) * 1000, (warm - latency_ms / 1000.0) * 1000, peak_rss_mb());
        std::printf("  host CPU in the warm round: %.3f s, %.0f us per call (user + system, all host threads)\n",
                    host_cpu, host_cpu / concurrent * 1e6);
    }
    std::printf("  the fake's CPU over both rounds: %.3f s, %.0f us per answer\n\n", cpu_seconds(RUSAGE_CHILDREN),
                cpu_seconds(RUSAGE_CHILDREN) / (2.0 * concurrent) * 1e6);
    {
        FakeProcess fake(0);
        Host host(fake.base_url(), 1);
        host.sequential_calls(200);  // warm-up: connection, allocator, caches
        auto plugin = host.sequential_calls(calls);
        auto bare = host.sequential_transport(calls, fake.base_url());
        std::printf("one call at a time against a zero-latency fake (%d calls each):\n", calls);
        std::printf("  plugin call (whole round trip)     median %8.1f us   p99 %8.1f us\n", percentile(plugin, 0.5),
                    percentile(plugin, 0.99));
        std::printf("  bare transport round trip          median %8.1f us   p99 %8.1f us\n", percentile(bare, 0.5),
                    percentile(bare, 0.99));
        std::printf("  added by plugin + retry layer      median %8.1f us   p99 %8.1f us\n",
                    percentile(plugin, 0.5) - percentile(bare, 0.5), percentile(plugin, 0.99) - percentile(bare, 0.99));
    }
    return 0;
}
