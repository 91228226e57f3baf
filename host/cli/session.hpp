#pragma once

#include <functional>
#include <memory>
#include <optional>

#include <boost/asio/io_context.hpp>

#include "cli/commands.hpp"
#include "http/curl_transport.hpp"
#include "log/host_logger.hpp"
#include "runtime/asio_clock.hpp"
#include "runtime/runtime.hpp"
#include "switchboard/task.hpp"

namespace switchboard::cli {

// One run of the host for one command: event loop, clock, logger, runtime.
struct Session {
    boost::asio::io_context io;
    runtime::AsioClock clock{io};
    http::CurlTransport transport{io};
    log::HostLogger logger{log::Format::text, LogLevel::info};
    std::unique_ptr<runtime::Runtime> runtime;

    explicit Session(const HostOptions& options) {
        auto env = config::Environment::from_process();
        // --log-level is an override like any other, so it holds from the first line.
        if (!options.log_level.empty()) env.variables["SWITCHBOARD__HOST__LOG_LEVEL"] = options.log_level;
        runtime = std::make_unique<runtime::Runtime>(options.config, env, clock, logger, &transport);
    }

    // Calls the router gave up on were cancelled and are ready to finish (their wake-ups are
    // queued): let them, so they free their frames and release their plugins before the runtime
    // goes. A plugin that ignores cancellation and still waits on a long timer is abandoned.
    ~Session() {
        io.restart();
        while (io.poll() > 0) {
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
