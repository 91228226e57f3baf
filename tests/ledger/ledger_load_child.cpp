// Load for the kill -9 test: appends rows to the ledger at argv[1] (with synchronous=NORMAL when
// argv[2] is "normal") from several threads as fast as it can, and prints each row's request id
// (one per line, written at once) only after its callback said ok. Runs until killed.
#include <unistd.h>

#include <cstdio>
#include <iostream>
#include <semaphore>
#include <string>
#include <string_view>
#include <thread>
#include <utility>
#include <vector>

#include "ledger/ledger.hpp"

namespace {

using namespace switchboard;

class StderrLogger final : public Logger {
public:
    bool enabled(LogLevel level) const override { return level >= LogLevel::warn; }
    void log(LogLevel level, std::string_view, std::string_view message) override {
        if (enabled(level)) std::cerr << "ledger_load_child [" << to_string(level) << "] " << message << "\n";
    }
};

// One write(2) per line: the parent never sees half an id, and nothing waits in a buffer.
void print_acknowledged(const std::string& id) {
    const std::string line = id + "\n";
    if (::write(STDOUT_FILENO, line.data(), line.size()) != static_cast<ssize_t>(line.size())) std::_Exit(3);
}

}  // namespace

int main(int argc, char** argv) {
    if (argc < 2 || argc > 3 || (argc == 3 && std::string_view(argv[2]) != "normal")) {
        std::cerr << "usage: ledger_load_child LEDGER_FILE [normal]\n";
        return 2;
    }
    StderrLogger logger;
    const auto sync = argc == 3 ? ledger::Sync::normal : ledger::Sync::full;
    ledger::Ledger ledger(ledger::Options{.path = argv[1], .sync = sync}, logger);
    if (!ledger.healthy()) return 1;

    constexpr int threads = 4;
    constexpr int in_flight = 256;  // per thread
    std::vector<std::thread> producers;
    for (int t = 0; t < threads; ++t) {
        producers.emplace_back([&ledger, t] {
            std::counting_semaphore<in_flight> slots(in_flight);
            for (long i = 0;; ++i) {
                slots.acquire();
                ledger::Row row;
                row.time = std::chrono::system_clock::now();
                row.request_id = "t" + std::to_string(t) + "-" + std::to_string(i);
                row.service = "embeddings";
                row.backend = "openai";
                row.mode = "real";
                row.cost = cost::Money::from_nanos(20'000);
                row.outcome = "ok";
                auto id = row.request_id;
                ledger.append(std::move(row), [&slots, id = std::move(id)](const Status& status) {
                    if (status.ok()) print_acknowledged(id);
                    slots.release();
                });
            }
        });
    }
    for (auto& producer : producers) producer.join();
}
