#include <cstdlib>
#include <future>
#include <string>
#include <thread>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <catch2/catch.hpp>

#include "fakes/capture_logger.hpp"
#include "http/backend_http_client.hpp"
#include "http/upstream_transport.hpp"
#include "llamaparse/llamaparse.hpp"
#include "runtime/asio_clock.hpp"

// Against the real LlamaCloud: hidden ("[.real]"); run `llamaparse_tests "[real]"` with
// LLAMA_CLOUD_API_KEY set (LLAMA_CLOUD_BASE_URL optional). Real time and the production clock,
// so the job is polled at the plugin's real 1-5 s pace. Costs one page at the fast tier.
namespace switchboard::llamaparse {
namespace {

// Stops an io_context's loop thread and joins it when the scope ends.
struct IoStop {
    boost::asio::executor_work_guard<boost::asio::io_context::executor_type>& work;
    boost::asio::io_context& io;
    std::thread& loop;

    ~IoStop() {
        work.reset();
        io.stop();
        if (loop.joinable()) loop.join();
    }
};

template <class T>
T wait_for(Task<T> task, std::chrono::seconds limit) {
    auto done = std::make_shared<std::promise<T>>();
    auto result = done->get_future();
    std::move(task).start([done](T value) { done->set_value(std::move(value)); });
    REQUIRE(result.wait_for(limit) == std::future_status::ready);
    return result.get();
}

TEST_CASE("llamaparse parses a one-page text file on the real API", "[llamaparse][.real]") {
    const char* key = std::getenv("LLAMA_CLOUD_API_KEY");
    if (!key || !*key) {
        WARN("LLAMA_CLOUD_API_KEY is not set: skipping the real LlamaParse test");
        return;
    }
    boost::asio::io_context io;
    auto work = boost::asio::make_work_guard(io);
    http::UpstreamTransport transport(io);
    runtime::AsioClock clock(io);
    switchboard::testing::CaptureLogger logger;
    config::HttpSettings settings;
    http::BackendHttpClient client("llamaparse-real", settings, transport, clock, logger);
    LlamaParse plugin;
    std::thread loop([&io] { io.run(); });
    // On every way out, a failed REQUIRE included: stop the loop and join it before anything it
    // may still touch (the plugin, the client) is destroyed. A joinable std::thread left to its
    // destructor would call std::terminate.
    IoStop stop{work, io, loop};

    BackendConfig config;
    config.backend = "llamaparse-real";
    config.settings = Settings("real test");
    if (const char* base = std::getenv("LLAMA_CLOUD_BASE_URL"); base && *base) config.settings.set("base_url", std::string(base));
    config.settings.set("job_timeout_ms", std::int64_t{300'000});
    config.api_key = Secret(key);
    REQUIRE(plugin.start(HostServices{&logger, &clock, nullptr, &client}, config).ok());

    CallContext ctx;
    ctx.request_id = "real-1";
    ctx.logger = &logger;
    auto health = wait_for(plugin.health(ctx), std::chrono::seconds(60));
    INFO((health.ok() ? std::string() : health.error().message));
    CHECK(health.ok());

    ParseRequest request;
    request.file_name = "hello.txt";
    request.mime_type = "text/plain";
    request.data = "Switchboard real-service check.\nHello, LlamaParse.\n";
    auto response = wait_for(plugin.parse(ctx, request), std::chrono::seconds(360));
    INFO((response.ok() ? std::string() : response.error().message));
    CHECK(response.ok());
    if (response.ok()) {
        CHECK_THAT(response.value().text, Catch::Contains("Hello"));
        CHECK_FALSE(response.value().job_id.empty());
        CHECK(response.value().usage.pages >= 1);
    }
    for (const auto& line : logger.lines()) CHECK(line.message.find(key) == std::string::npos);
    plugin.shutdown();
}

}  // namespace
}  // namespace switchboard::llamaparse
