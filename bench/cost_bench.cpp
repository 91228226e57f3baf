// The cost gate's hot path (target: reserve + reconcile median ≤ 2 µs in process):
//   1. Budget::reserve + Budget::settle with global, service and backend daily caps and an rpm limit;
//   2. the whole gate the router calls, CostPolicy::admit (price the request, reserve) and
//      CostPolicy::finish (price the usage, settle), without the ledger write, which is measured
//      by switchboard-bench-ledger.
// Run from the build tree: build/bin/switchboard-bench-cost [--iterations N]
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <latch>
#include <thread>
#include <vector>

#include "cost/budget.hpp"
#include "cost/cost_policy.hpp"

using namespace switchboard;
using namespace switchboard::cost;
using Stopwatch = std::chrono::steady_clock;

namespace {

struct Stats {
    std::size_t samples;
    double median_ns;
    double p99_ns;
    double mean_ns;
};

Stats summarize(std::vector<double> samples_ns) {
    std::sort(samples_ns.begin(), samples_ns.end());
    auto at = [&](double q) { return samples_ns[static_cast<std::size_t>(q * static_cast<double>(samples_ns.size() - 1))]; };
    double sum = 0;
    for (double s : samples_ns) sum += s;
    return {samples_ns.size(), at(0.5), at(0.99), sum / static_cast<double>(samples_ns.size())};
}

void report(const char* what, const Stats& s) {
    std::printf("%-58s median %7.0f ns   p99 %7.0f ns   mean %7.0f ns   n %zu   (target median <= 2000 ns)\n", what,
                s.median_ns, s.p99_ns, s.mean_ns, s.samples);
}

Limits bench_limits() {
    Limits limits;
    limits.global.daily = *money_from_decimal("1000000");
    limits.services["embeddings"].daily = *money_from_decimal("1000000");
    limits.backends["openai"].daily = *money_from_decimal("1000000");
    limits.rates["openai"].requests_per_minute = 10'000'000;
    return limits;
}

// One thread's reserve + settle loop; `now` moves 1 ms per call so the rpm bucket always refills.
std::vector<double> run(Budget& budget, int iterations, WallTime start) {
    const Ask ask{"embeddings", "openai", Money::from_nanos(20'000), 1000, ""};  // 1,000 tokens of text-embedding-3-small
    std::vector<double> samples;
    samples.reserve(static_cast<std::size_t>(iterations));
    for (int i = 0; i < iterations; ++i) {
        const WallTime now = start + std::chrono::milliseconds(i);
        const auto begin = Stopwatch::now();
        auto reservation = budget.reserve(ask, now);
        if (!reservation.ok()) {
            std::fprintf(stderr, "unexpected refusal: %s\n", describe(reservation.error()).c_str());
            std::exit(1);
        }
        budget.settle(reservation.value(), Money::from_nanos(19'000), 950, now);
        samples.push_back(std::chrono::duration<double, std::nano>(Stopwatch::now() - begin).count());
    }
    return samples;
}

class WallClock final : public Clock {
public:
    time_point now() const override { return std::chrono::steady_clock::now(); }
    std::chrono::system_clock::time_point wall_now() const override { return std::chrono::system_clock::now(); }
    TimerId call_after(duration, std::function<void()> fn) override {
        fn();  // never reached: the bench's policy has no ledger to wait for
        return 0;
    }
    bool cancel(TimerId) override { return false; }
};

class QuietLogger final : public Logger {
public:
    bool enabled(LogLevel) const override { return false; }
    void log(LogLevel, std::string_view, std::string_view) override {}
};

config::Config gate_config() {
    config::Config config;
    config::BackendSettings openai;
    openai.name = "openai";
    openai.plugin = "openai-embeddings";
    openai.price.usd_per_million_tokens["text-embedding-3-small"] = *money_from_decimal("0.02");
    openai.price.default_model = "text-embedding-3-small";
    openai.caps.daily = *money_from_decimal("1000000");
    openai.limits.requests_per_minute = 10'000'000;
    config.backends["openai"] = openai;
    config::ServiceSettings service;
    service.name = "embeddings";
    service.capability = "embeddings";
    service.real = {"openai"};
    service.caps.daily = *money_from_decimal("1000000");
    config.services["embeddings"] = service;
    config.cost.caps.daily = *money_from_decimal("1000000");
    return config;
}

// admit + finish as the router makes them for one embeddings call of four 100-byte texts.
std::vector<double> run_gate(CostPolicy& policy, int iterations) {
    EmbeddingsRequest request;
    request.inputs.assign(4, std::string(100, 'x'));
    Usage usage;
    usage.prompt_tokens = 100;
    usage.total_tokens = 100;
    std::vector<double> samples;
    samples.reserve(static_cast<std::size_t>(iterations));
    for (int i = 0; i < iterations; ++i) {
        const auto begin = Stopwatch::now();
        auto admitted = policy.admit("embeddings", "openai", request);
        if (!admitted.ok()) {
            std::fprintf(stderr, "unexpected refusal: %s\n", describe(admitted.error()).c_str());
            std::exit(1);
        }
        FinishedCall call;
        call.kind = CallKind::embeddings;
        call.service = "embeddings";
        call.backend = "openai";
        call.usage = &usage;
        call.served_model = "text-embedding-3-small";
        call.outcome = "ok";
        call.admission = std::move(admitted).value();
        bool done = false;
        policy.finish(std::move(call)).start([&done](CallCost) { done = true; });
        if (!done) std::exit(1);
        samples.push_back(std::chrono::duration<double, std::nano>(Stopwatch::now() - begin).count());
    }
    return samples;
}

}  // namespace

int main(int argc, char** argv) {
    int iterations = 1'000'000;
    for (int i = 1; i + 1 < argc; ++i) {
        if (std::strcmp(argv[i], "--iterations") == 0) iterations = std::max(1000, std::atoi(argv[i + 1]));
    }
    const WallTime start = std::chrono::sys_days{std::chrono::year{2026} / 11 / 29} + std::chrono::hours(1);

    {
        Budget budget(bench_limits(), TimeZone::utc());
        run(budget, 10'000, start);  // warm: slots, branch predictors, caches
        const auto begin = Stopwatch::now();
        auto samples = run(budget, iterations, start + std::chrono::seconds(10));
        const double wall_ns = std::chrono::duration<double, std::nano>(Stopwatch::now() - begin).count();
        report("reserve + settle, 1 thread (3 day caps + rpm)", summarize(std::move(samples)));
        std::printf("%-58s %.2f M pairs/s\n", "  throughput, 1 thread", iterations / wall_ns * 1e3);
    }

    {
        Budget budget(bench_limits(), TimeZone::utc());
        run(budget, 10'000, start);
        constexpr int threads = 2;
        std::latch go(threads + 1);
        std::vector<std::vector<double>> per_thread(threads);
        std::vector<std::thread> workers;
        for (int t = 0; t < threads; ++t) {
            workers.emplace_back([&, t] {
                go.arrive_and_wait();
                per_thread[static_cast<std::size_t>(t)] = run(budget, iterations / threads, start + std::chrono::seconds(10));
            });
        }
        const auto begin = Stopwatch::now();
        go.arrive_and_wait();
        for (auto& worker : workers) worker.join();
        const double wall_ns = std::chrono::duration<double, std::nano>(Stopwatch::now() - begin).count();
        std::vector<double> all;
        for (auto& samples : per_thread) all.insert(all.end(), samples.begin(), samples.end());
        report("reserve + settle, 2 threads contending on one Budget", summarize(std::move(all)));
        std::printf("%-58s %.2f M pairs/s\n", "  throughput, 2 threads together",
                    static_cast<double>(iterations / threads * threads) / wall_ns * 1e3);
    }
    {
        WallClock clock;
        QuietLogger logger;
        CostPolicy policy(gate_config(), nullptr, clock, logger);
        run_gate(policy, 10'000);
        auto samples = run_gate(policy, std::max(1000, iterations / 4));
        report("CostPolicy admit + finish (price, reserve, settle)", summarize(std::move(samples)));
    }
    return 0;
}
