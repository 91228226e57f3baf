// The whole host under load, for the kill -9 test: a Runtime on the config named by argv[1],
// its event loop on two threads, 64 embeddings calls always in flight. Each call's request id is
// printed (and flushed) only once the router has returned it, which is after its ledger row was
// acknowledged as durable. Runs until killed.
#include <atomic>
#include <cstdio>
#include <iostream>
#include <mutex>
#include <thread>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>

#include "log/host_logger.hpp"
#include "runtime/asio_clock.hpp"
#include "runtime/runtime.hpp"

using namespace switchboard;

namespace {

constexpr int in_flight = 64;

class Load {
public:
    explicit Load(runtime::Runtime& runtime) : runtime_(runtime) {}

    void call() {
        EmbeddingsRequest request;
        request.inputs = {"the quick brown fox jumps over the lazy dog"};
        runtime_.router()
            .embed("embeddings", std::move(request), {std::nullopt, "", "load"})
            .start([this](router::Routed<EmbeddingsResponse> routed) {
                if (routed.result.ok()) {
                    std::lock_guard lock(out_);
                    std::fputs((routed.request_id + "\n").c_str(), stdout);
                    std::fflush(stdout);
                } else {
                    std::cerr << "call failed: " << describe(routed.result.error()) << '\n';
                }
                call();
            });
    }

private:
    runtime::Runtime& runtime_;
    std::mutex out_;
};

}  // namespace

int main(int argc, char** argv) {
    if (argc != 2) {
        std::cerr << "usage: host_load_child CONFIG\n";
        return 2;
    }
    boost::asio::io_context io;
    auto work = boost::asio::make_work_guard(io);
    runtime::AsioClock clock(io);
    log::HostLogger logger(log::Format::text, LogLevel::warn);
    runtime::Runtime runtime(argv[1], config::Environment::from_process(), clock, logger);
    if (!runtime.ok()) {
        for (const auto& problem : runtime.problems()) std::cerr << problem.to_string() << '\n';
        return 2;
    }
    Load load(runtime);
    for (int i = 0; i < in_flight; ++i) boost::asio::post(io, [&load] { load.call(); });
    std::thread second([&io] { io.run(); });
    io.run();
    second.join();
    return 0;
}
