// The whole host as `switchboard` runs it, for tests: the real UpstreamTransport on an event-loop
// thread, a Runtime from a config file in a temp folder, a manual clock, loopback fakes of
// OpenAI and LlamaParse, and a host logger writing into a string.
#pragma once

#include <atomic>
#include <filesystem>
#include <fstream>
#include <memory>
#include <optional>
#include <sstream>
#include <string>
#include <thread>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <catch2/catch.hpp>
#include <spdlog/sinks/ostream_sink.h>
#include <spdlog/spdlog.h>

#include "fakes/drive.hpp"
#include "fakes/fake_llamaparse.hpp"
#include "fakes/fake_openai.hpp"
#include "fakes/manual_clock.hpp"
#include "fakes/temp_dir.hpp"
#include "http/upstream_transport.hpp"
#include "runtime/runtime.hpp"

namespace switchboard::testing {

inline const std::string kOpenAIKey = "sk-test-RUNTIMEKEY0123456789abcdefghijklmnop";
inline const std::string kLlamaKey = "llx-test-RUNTIMEKEY0123456789abcdefghijkl";

// The host as `switchboard` runs it, with a manual clock: the real UpstreamTransport on an event-loop
// thread, a Runtime from a config file, a host logger writing into a string.
class Host {
public:
    Host() : work_(boost::asio::make_work_guard(io_)), thread_([this] { io_.run(); }) {}
    // The loop stops first, as the Runtime's contract asks: a late completion then never
    // resumes into a backend that is gone.
    ~Host() {
        work_.reset();
        io_.stop();
        thread_.join();
        runtime_.reset();
    }

    // Starts the runtime on `toml` (PLUGINS, PRICING, OPENAI_URL, LLAMA_URL are substituted);
    // a second start() replaces the runtime, as a restart of the host on the same folder would.
    runtime::Runtime& start(std::string toml, config::Environment env = {}) {
        runtime_.reset();
        substitute(toml, "PLUGINS", SWITCHBOARD_PLUGIN_DIR);
        substitute(toml, "PRICING", SWITCHBOARD_SOURCE_DIR "/config/pricing.toml");
        substitute(toml, "OPENAI_URL", openai.base_url());
        substitute(toml, "LLAMA_URL", llama.base_url());
        runtime_ = std::make_unique<runtime::Runtime>(dir_.write("switchboard.toml", toml), env, clock, logger,
                                                      &transport_);
        return *runtime_;
    }

    template <class T>
    struct Pending {
        std::shared_ptr<std::optional<T>> result = std::make_shared<std::optional<T>>();
        std::shared_ptr<std::atomic<bool>> done = std::make_shared<std::atomic<bool>>(false);
    };

    template <class T>
    Pending<T> begin(Task<T> task) {
        Pending<T> pending;
        std::move(task).start([result = pending.result, done = pending.done](T value) {
            result->emplace(std::move(value));
            done->store(true, std::memory_order_release);
        });
        return pending;
    }

    // Drives a started call to its end (see drive_until).
    template <class T>
    T finish(Pending<T> pending) {
        testing::drive_until([&] { return pending.done->load(std::memory_order_acquire); }, clock, transport_,
                             [&] { return !runtime_ || !runtime_->ok() || runtime_->ledger().pending() == 0; });
        return std::move(**pending.result);
    }

    template <class T>
    T run(Task<T> task) {
        return finish(begin(std::move(task)));
    }

    std::string log_text() const { return log_.str(); }
    const std::filesystem::path& folder() const { return dir_.path(); }

    FakeOpenAI openai{kOpenAIKey};
    FakeLlamaParse llama{kLlamaKey};
    testing::ManualClock clock;
    log::HostLogger logger{std::make_shared<spdlog::logger>(
                               "test", std::make_shared<spdlog::sinks::ostream_sink_mt>(log_)),
                           log::Format::text, LogLevel::debug};

private:
    static void substitute(std::string& text, const std::string& from, const std::string& to) {
        for (auto at = text.find(from); at != std::string::npos; at = text.find(from, at + to.size())) {
            text.replace(at, from.size(), to);
        }
    }

    std::ostringstream log_;
    testing::TempDir dir_;
    boost::asio::io_context io_;
    boost::asio::executor_work_guard<boost::asio::io_context::executor_type> work_;
    http::UpstreamTransport transport_{io_};
    std::unique_ptr<runtime::Runtime> runtime_;
    std::thread thread_;
};


// Every problem the runtime found, one per line, for INFO().
inline std::string problems_of(const runtime::Runtime& rt) {
    std::string out;
    for (const auto& p : rt.problems()) out += p.to_string() + "\n";
    return out;
}

}  // namespace switchboard::testing
