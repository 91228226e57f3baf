#pragma once

#include <functional>
#include <memory>
#include <optional>

#include <boost/asio/io_context.hpp>

#include "cli/commands.hpp"
#include "log/host_logger.hpp"
#include "runtime/asio_clock.hpp"
#include "runtime/event_loops.hpp"
#include "runtime/loop_transport.hpp"
#include "runtime/runtime.hpp"
#include "switchboard/task.hpp"

namespace switchboard::cli {

// One run of the host for one command: event loops, clock, logger, runtime. Commands run the
// main loop (`io`) on their own thread; `serve` also starts the others.
struct Session {
    runtime::EventLoops loops;  // first in, last out: the clock and transport work on them
    boost::asio::io_context& io = loops.main();
    runtime::AsioClock clock{io};
    runtime::LoopTransport transport{loops};
    log::HostLogger logger{log::Format::text, LogLevel::info};
    std::unique_ptr<runtime::Runtime> runtime;

    explicit Session(const HostOptions& options, std::size_t loop_count = 1,
                     runtime::Runtime::Purpose purpose = runtime::Runtime::Purpose::run)
        : loops(loop_count) {
        auto env = config::Environment::from_process();
        // --log-level is an override like any other, so it holds from the first line.
        if (!options.log_level.empty()) env.variables["SWITCHBOARD__HOST__LOG_LEVEL"] = options.log_level;
        runtime = std::make_unique<runtime::Runtime>(options.config, env, clock, logger, &transport, purpose);
    }

    ~Session() { settle(); }

    // Stops the other loops and lets what they left finish. Calls the router gave up on were
    // cancelled and are ready to end (their wake-ups are queued): they free their frames and
    // release their plugins before the runtime goes. A paid call may be waiting for its ledger
    // commit, whose answer the writer posts back: the ledger is flushed and what comes back runs,
    // until nothing does. A plugin that ignores cancellation and still waits on a long timer is
    // abandoned.
    void settle() {
        loops.stop_others();
        for (int round = 0; round < 100; ++round) {
            const bool ran = loops.drain();
            bool answers_coming = false;
            if (runtime && runtime->ok()) {
                runtime->ledger().flush();
                answers_coming = runtime->ledger().pending() != 0;
            }
            if (!ran && !answers_coming) break;
        }
    }

    // Runs the event loop until `start` calls the completion it was given.
    void run_until(const std::function<void(std::function<void()>)>& start) {
        bool finished = false;
        start([&] {
            finished = true;
            io.stop();
        });
        if (!finished) {
            io.restart();
            io.run();
        }
    }

    // Runs `task` on the event loop until it finishes.
    template <class T>
    T run(Task<T> task) {
        std::optional<T> out;
        run_until([&](std::function<void()> done) {
            std::move(task).start([&out, done = std::move(done)](T value) {
                out.emplace(std::move(value));
                done();
            });
        });
        return std::move(*out);
    }
};

}  // namespace switchboard::cli
