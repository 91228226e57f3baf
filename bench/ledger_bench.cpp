// The spend ledger's speed: durable rows per second with group commit (producers wait for each
// row's acknowledgement, many in flight), then exporting a million rows as CSV and JSON to
// /dev/null, with peak RSS before and after to show the export runs in constant memory.
//
//   switchboard-bench-ledger [FOLDER]   (default: a fresh folder under the system temp dir)
#include <stdlib.h>
#include <sys/resource.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <semaphore>
#include <string>
#include <thread>
#include <vector>

#include "ledger/export.hpp"
#include "ledger/ledger.hpp"

namespace {

using namespace switchboard;
using SteadyClock = std::chrono::steady_clock;

constexpr int producers = 8;
constexpr int in_flight_per_producer = 256;
constexpr std::int64_t throughput_rows = 200'000;
constexpr std::int64_t export_rows = 1'000'000;

class StderrLogger final : public Logger {
public:
    bool enabled(LogLevel level) const override { return level >= LogLevel::warn; }
    void log(LogLevel level, std::string_view, std::string_view message) override {
        if (enabled(level)) std::cerr << "[" << to_string(level) << "] " << message << "\n";
    }
};

long peak_rss_kib() {
    rusage usage{};
    getrusage(RUSAGE_SELF, &usage);
    return usage.ru_maxrss;
}

double seconds_since(SteadyClock::time_point start) {
    return std::chrono::duration<double>(SteadyClock::now() - start).count();
}

ledger::Row bench_row(int producer, std::int64_t i) {
    static const char* services[] = {"embeddings", "parse", "json"};
    static const char* backends[] = {"openai", "llamaparse", "mock"};
    ledger::Row row;
    row.time = std::chrono::system_clock::now();
    row.request_id = "req-" + std::to_string(producer) + "-" + std::to_string(i);
    row.client = "bench";
    row.service = services[i % 3];
    row.backend = backends[i % 3];
    row.model = "text-embedding-3-small";
    row.mode = "real";
    row.input_tokens = 1'000 + i % 500;
    row.pages = i % 7;
    row.credits_milli = (i % 7) * 1'000;
    row.cost = cost::Money::from_nanos(20'000 + i % 1'000);
    row.latency = std::chrono::microseconds(1'500 + i % 3'000);
    row.outcome = "ok";
    return row;
}

// Appends `rows` from `producers` threads, each with up to in_flight_per_producer rows waiting
// for their acknowledgement; returns once every row is durable.
void append_durably(ledger::Ledger& ledger, std::int64_t rows, std::atomic<std::int64_t>& failures) {
    std::vector<std::thread> threads;
    for (int p = 0; p < producers; ++p) {
        threads.emplace_back([&, p] {
            std::counting_semaphore<in_flight_per_producer> slots(in_flight_per_producer);
            const std::int64_t share = rows / producers + (p < rows % producers ? 1 : 0);
            for (std::int64_t i = 0; i < share; ++i) {
                slots.acquire();
                ledger.append(bench_row(p, i), [&](const Status& status) {
                    if (!status.ok()) ++failures;
                    slots.release();
                });
            }
            for (int i = 0; i < in_flight_per_producer; ++i) slots.acquire();  // the last acks
        });
    }
    for (auto& thread : threads) thread.join();
}

void bench_export(const std::filesystem::path& path, ledger::Format format, const char* name) {
    std::ofstream null("/dev/null", std::ios::binary);
    const long rss_before = peak_rss_kib();
    const auto start = SteadyClock::now();
    const auto count = ledger::export_rows(ledger::Reader(path), {}, format, null);
    const double elapsed = seconds_since(start);
    std::printf("export %-4s  %8lld rows  %6.2f s  %9.0f rows/s  peak RSS %ld KiB before, %ld KiB after\n", name,
                static_cast<long long>(count), elapsed, static_cast<double>(count) / elapsed, rss_before,
                peak_rss_kib());
}

}  // namespace

int main(int argc, char** argv) {
    std::filesystem::path folder;
    if (argc > 1) {
        folder = argv[1];
        std::filesystem::create_directories(folder);
    } else {
        std::string pattern = (std::filesystem::temp_directory_path() / "switchboard-ledger-bench-XXXXXX").string();
        if (!mkdtemp(pattern.data())) {
            std::perror("mkdtemp");
            return 1;
        }
        folder = pattern;
    }
    const auto path = folder / "ledger.sqlite";
    std::filesystem::remove(path);
    std::filesystem::remove(path.string() + "-wal");
    std::filesystem::remove(path.string() + "-shm");

    StderrLogger logger;
    std::atomic<std::int64_t> failures{0};
    {
        ledger::Ledger ledger(ledger::Options{.path = path}, logger);
        if (!ledger.healthy()) {
            std::cerr << *ledger.failure() << "\n";
            return 1;
        }
        std::printf("ledger %s\n", path.c_str());
        std::printf("durable appends: %d producers, %d rows in flight each, synchronous=FULL, WAL\n", producers,
                    in_flight_per_producer);

        auto start = SteadyClock::now();
        append_durably(ledger, throughput_rows, failures);
        double elapsed = seconds_since(start);
        std::printf("throughput  %8lld rows  %6.2f s  %9.0f rows/s acknowledged (target >= 50000)\n",
                    static_cast<long long>(throughput_rows), elapsed, static_cast<double>(throughput_rows) / elapsed);

        start = SteadyClock::now();
        append_durably(ledger, export_rows - throughput_rows, failures);
        elapsed = seconds_since(start);
        std::printf("fill        %8lld rows  %6.2f s  %9.0f rows/s acknowledged\n",
                    static_cast<long long>(export_rows - throughput_rows), elapsed,
                    static_cast<double>(export_rows - throughput_rows) / elapsed);
    }
    if (failures > 0) {
        std::printf("FAILED: %lld rows were not acknowledged ok\n", static_cast<long long>(failures.load()));
        return 1;
    }
    std::printf("file size   %.1f MiB\n", static_cast<double>(std::filesystem::file_size(path)) / (1 << 20));

    bench_export(path, ledger::Format::csv, "csv");
    bench_export(path, ledger::Format::json, "json");
    if (argc <= 1) std::filesystem::remove_all(folder);
}
