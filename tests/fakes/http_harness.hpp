#pragma once

#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <thread>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <catch2/catch.hpp>

#include "config/config.hpp"
#include "fakes/capture_logger.hpp"
#include "fakes/drive.hpp"
#include "fakes/manual_clock.hpp"
#include "http/backend_http_client.hpp"
#include "http/upstream_transport.hpp"
#include "switchboard/sdk.hpp"

namespace switchboard::testing {

// The host side of a real-backend plugin test: the real UpstreamTransport on its own event-loop
// thread, the real BackendHttpClient (retry policy, jitter fixed at 0 so waits are exact) and a
// manual clock for every wait. run() drives a call to its end with drive_until().
//
// So that run() never fires a timer early, plugins arm no timers while a request is in flight.
class HttpHarness {
public:
    explicit HttpHarness(config::HttpSettings settings = {}, std::string backend = "test-backend")
        : work_(boost::asio::make_work_guard(io_)),
          transport_(std::make_unique<http::UpstreamTransport>(io_)),
          client_(std::make_unique<http::BackendHttpClient>(std::move(backend), settings, *transport_,
                                                            clock, logger, [] { return 0.0; })),
          thread_([this] { io_.run(); }) {}

    ~HttpHarness() {
        work_.reset();
        io_.stop();
        thread_.join();
        client_.reset();
        transport_.reset();
    }

    ManualClock clock;
    CaptureLogger logger;

    HostServices services() { return HostServices{&logger, &clock, nullptr, client_.get()}; }
    http::BackendHttpClient& client() { return *client_; }
    http::UpstreamTransport& transport() { return *transport_; }

    CallContext context(std::string request_id = "req-1") {
        CallContext ctx;
        ctx.request_id = std::move(request_id);
        ctx.logger = &logger;
        return ctx;
    }

    // Runs `task` to completion (see the class comment). Fails the test if it takes more than
    // `limit` of real time, which only a hung call does.
    template <class T>
    T run(Task<T> task, std::chrono::milliseconds limit = std::chrono::seconds(20)) {
        auto result = std::make_shared<std::optional<T>>();
        auto done = std::make_shared<std::atomic<bool>>(false);
        std::move(task).start([result, done](T value) {
            result->emplace(std::move(value));
            done->store(true, std::memory_order_release);
        });
        drive_until([&] { return done->load(std::memory_order_acquire); }, clock, *transport_, limit);
        return std::move(**result);
    }

private:
    boost::asio::io_context io_;
    boost::asio::executor_work_guard<boost::asio::io_context::executor_type> work_;
    std::unique_ptr<http::UpstreamTransport> transport_;
    std::unique_ptr<http::BackendHttpClient> client_;
    std::thread thread_;
};

}  // namespace switchboard::testing
