#include <atomic>
#include <chrono>
#include <future>
#include <memory>
#include <string>
#include <thread>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/post.hpp>
#include <catch2/catch.hpp>

#include "fakes/loopback_server.hpp"
#include "runtime/asio_clock.hpp"
#include "runtime/event_loops.hpp"
#include "runtime/loop_transport.hpp"

namespace {

using namespace std::chrono_literals;
using boost::asio::io_context;
using switchboard::ErrorKind;
using switchboard::HttpRequest;
using switchboard::http::Exchange;
using switchboard::runtime::AsioClock;
using switchboard::runtime::EventLoops;
using switchboard::runtime::LoopTransport;
using switchboard::testing::LoopbackServer;
using switchboard::testing::Reply;

// Where a piece of work ran: its loop as the runtime sees it, and its thread.
struct Place {
    io_context* loop = nullptr;
    std::thread::id thread;

    static Place here() { return {EventLoops::current(), std::this_thread::get_id()}; }
};

// Runs `fn` on `loop` and waits for what it returns. The limit is a hang guard only.
template <class Fn>
auto on(io_context& loop, Fn fn) {
    std::promise<decltype(fn())> result;
    auto future = result.get_future();
    boost::asio::post(loop, [&] { result.set_value(fn()); });
    REQUIRE(future.wait_for(10s) == std::future_status::ready);
    return future.get();
}

// The main loop is the owner's to run: here, a thread of the test's, which is on no loop.
class MainLoop {
public:
    explicit MainLoop(EventLoops& loops)
        : loops_(loops), work_(boost::asio::make_work_guard(loops.main())), thread_([&loops] { loops.main().run(); }) {}
    ~MainLoop() {
        work_.reset();
        loops_.main().stop();
        thread_.join();
    }

private:
    EventLoops& loops_;
    boost::asio::executor_work_guard<io_context::executor_type> work_;
    std::thread thread_;
};

HttpRequest get(const std::string& url) {
    HttpRequest request;
    request.method = "GET";
    request.url = url;
    request.timeout = 10s;
    return request;
}

}  // namespace

TEST_CASE("each extra event loop runs on a thread of its own and knows it is that loop", "[runtime]") {
    EventLoops loops(3);
    REQUIRE(loops.size() == 3);
    loops.start();

    const Place first = on(loops.at(1), Place::here);
    const Place second = on(loops.at(2), Place::here);
    CHECK(first.loop == &loops.at(1));
    CHECK(second.loop == &loops.at(2));
    CHECK(first.thread != second.thread);
    CHECK(first.thread != std::this_thread::get_id());
    CHECK(EventLoops::current() == nullptr);  // the owner's thread runs no loop until it runs main

    loops.stop_others();
    loops.stop_others();  // twice is harmless, as the destructor does it again
}

TEST_CASE("a timer set on an event loop fires on that loop, and one set off every loop on the main loop",
          "[runtime]") {
    EventLoops loops(2);
    AsioClock clock(loops.main());
    loops.start();
    MainLoop main(loops);

    std::promise<Place> fired_on_loop;
    on(loops.at(1), [&] {
        return clock.call_after(1ms, [&] { fired_on_loop.set_value(Place::here()); });
    });
    auto future = fired_on_loop.get_future();
    REQUIRE(future.wait_for(10s) == std::future_status::ready);
    CHECK(future.get().loop == &loops.at(1));

    std::promise<std::thread::id> soon;
    clock.call_after(1ms, [&] { soon.set_value(std::this_thread::get_id()); });  // a timer, not a post
    auto soon_future = soon.get_future();
    REQUIRE(soon_future.wait_for(10s) == std::future_status::ready);
    const Place main_loop = on(loops.main(), Place::here);
    CHECK(soon_future.get() == main_loop.thread);

    // A timer cancelled from another thread than its loop's never fires, not even when its loop
    // has run what the cancel queued.
    std::atomic<bool> cancelled_fired{false};
    auto id = on(loops.at(1), [&] { return clock.call_after(20ms, [&] { cancelled_fired = true; }); });
    CHECK(clock.cancel(id));
    CHECK_FALSE(clock.cancel(id));
    // A later timer on the same loop: once it has fired, the cancelled one's time has passed too.
    std::promise<void> later;
    on(loops.at(1), [&] { return clock.call_after(60ms, [&] { later.set_value(); }); });
    REQUIRE(later.get_future().wait_for(10s) == std::future_status::ready);
    CHECK_FALSE(cancelled_fired);
    loops.stop_others();
}

TEST_CASE("work left on stopped event loops runs in drain(), each on its loop as far as the runtime sees",
          "[runtime]") {
    EventLoops loops(3);
    loops.start();
    loops.stop_others();

    Place left_on_two;
    Place left_on_main;
    boost::asio::post(loops.at(2), [&] { left_on_two = Place::here(); });
    boost::asio::post(loops.main(), [&] { left_on_main = Place::here(); });
    loops.drain();

    CHECK(left_on_two.loop == &loops.at(2));
    CHECK(left_on_main.loop == nullptr);
    CHECK(left_on_two.thread == std::this_thread::get_id());
    CHECK(EventLoops::current() == nullptr);
}

TEST_CASE("an upstream exchange runs on the loop that starts it and answers there", "[runtime]") {
    LoopbackServer upstream([](const auto&) { return Reply::json(200, R"({"ok":true})"); });
    EventLoops loops(3);
    LoopTransport transport(loops);
    loops.start();
    MainLoop main(loops);

    for (std::size_t index : {1, 2}) {
        std::promise<std::pair<Place, int>> answered;
        on(loops.at(index), [&] {
            return transport.start(get(upstream.base_url() + "/x"), [&](Exchange exchange) {
                answered.set_value({Place::here(), exchange.result ? exchange.result->status : -1});
            });
        });
        auto future = answered.get_future();
        REQUIRE(future.wait_for(10s) == std::future_status::ready);
        auto [place, status] = future.get();
        CHECK(status == 200);
        CHECK(place.loop == &loops.at(index));
    }

    // Off every loop: the main loop's transport, answered on the main loop's thread.
    std::promise<std::pair<Place, int>> answered;
    transport.start(get(upstream.base_url() + "/y"), [&](Exchange exchange) {
        answered.set_value({Place::here(), exchange.result ? exchange.result->status : -1});
    });
    auto future = answered.get_future();
    REQUIRE(future.wait_for(10s) == std::future_status::ready);
    auto [place, status] = future.get();
    CHECK(status == 200);
    CHECK(place.loop == nullptr);
    CHECK(place.thread != std::this_thread::get_id());
    CHECK(upstream.request_count() == 3);
    loops.stop_others();
}

TEST_CASE("cancelling reaches the exchange on whichever loop it runs, from any thread", "[runtime]") {
    LoopbackServer upstream([](const auto&) {
        Reply reply = Reply::json(200, "{}");
        reply.delay = 30s;  // never answers within the test
        return reply;
    });
    EventLoops loops(3);
    LoopTransport transport(loops);
    loops.start();
    MainLoop main(loops);

    std::promise<std::pair<Place, std::string>> ended;
    auto id = on(loops.at(2), [&] {
        return transport.start(get(upstream.base_url() + "/slow"), [&](Exchange exchange) {
            ended.set_value({Place::here(), exchange.result ? "answered" : exchange.result.error().message});
        });
    });
    REQUIRE(upstream.wait_for_requests(1, 10s));
    transport.cancel(id);  // from the test's thread
    auto future = ended.get_future();
    REQUIRE(future.wait_for(10s) == std::future_status::ready);
    auto [place, message] = future.get();
    CHECK(place.loop == &loops.at(2));
    CHECK_THAT(message, Catch::Matchers::Contains("cancelled"));
    loops.stop_others();
}
