#include <atomic>
#include <chrono>
#include <functional>
#include <map>
#include <future>
#include <memory>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <catch2/catch.hpp>

#include "fakes/capture_logger.hpp"
#include "server/http_server.hpp"
#include "server/raw_client.hpp"
#include "server/streamed_body.hpp"

using namespace std::chrono_literals;
using switchboard::LogLevel;
using switchboard::Task;
using switchboard::server::HttpServer;
using switchboard::server::Request;
using switchboard::server::Response;
using switchboard::server::ServerOptions;
using switchboard::server::StreamedBody;
using switchboard::testing::CaptureLogger;
using switchboard::testing::RawClient;
using switchboard::testing::RawResponse;
using Catch::Matchers::Contains;
using Catch::Matchers::StartsWith;

namespace {

Task<Response> ready(Response response) { co_return response; }

Task<Response> throwing(std::string what) {
    throw std::runtime_error(what);
    co_return Response{};
}

// A handler call the test finishes when it chooses.
struct Gate {
    std::mutex mutex;
    std::function<void(Response)> resume;
    std::promise<void> entered;

    void open(Response response) {
        std::function<void(Response)> fn;
        {
            std::lock_guard lock(mutex);
            fn = std::move(resume);
        }
        REQUIRE(fn);
        fn(std::move(response));
    }
};

Task<Response> gated(std::shared_ptr<Gate> gate) {
    auto reply = switchboard::await_callback<Response>([gate](auto resume) {
        std::lock_guard lock(gate->mutex);
        gate->resume = resume;
        gate->entered.set_value();
    });
    Response response = co_await reply;
    co_return response;
}

Response text(std::string body) {
    Response response;
    response.content_type = "text/plain";
    response.body = std::move(body);
    return response;
}

// Polls `condition` until it holds or `limit` passes (for effects that follow what a socket shows).
bool eventually(const std::function<bool()>& condition, std::chrono::milliseconds limit = 5s) {
    auto deadline = std::chrono::steady_clock::now() + limit;
    while (!condition()) {
        if (std::chrono::steady_clock::now() > deadline) return false;
        std::this_thread::yield();
    }
    return true;
}

// A started server on its own io threads, with a handler that routes on the path.
constexpr int kStreamedLines = 100'000;  // about 1.2 MB, some 290 pieces of 4 KiB

std::string streamed_lines() {
    std::string expected;
    for (int i = 0; i < kStreamedLines; ++i) expected += "line " + std::to_string(i) + "\n";
    return expected;
}

class ServerFixture {
public:
    explicit ServerFixture(ServerOptions options = {}, int threads = 2)
        : work_(boost::asio::make_work_guard(io_)) {
        server_.emplace(io_, std::move(options), [this](Request request) { return route(std::move(request)); },
                        logger);
        server_->start();
        for (int i = 0; i < threads; ++i) threads_.emplace_back([this] { io_.run(); });
    }

    ~ServerFixture() {
        auto stopped = std::make_shared<std::promise<void>>();
        auto done = stopped->get_future();
        server_->stop(0ms, [stopped] { stopped->set_value(); });
        bool finished = done.wait_for(10s) == std::future_status::ready;
        server_.reset();
        work_.reset();
        if (!finished) io_.stop();
        for (auto& thread : threads_) thread.join();
        CHECK(finished);
    }

    HttpServer& server() { return *server_; }
    std::uint16_t port() { return server_->port(); }

    CaptureLogger logger;
    std::atomic<int> calls{0};
    std::shared_ptr<Gate> gate = std::make_shared<Gate>();

private:
    Task<Response> route(Request request) {
        ++calls;
        if (request.path == "/throw") throw std::runtime_error("boom before the task");
        if (request.path == "/throw-in-task") return throwing("boom inside the task");
        if (request.path == "/gate") return gated(gate);
        if (request.path == "/stream" || request.path == "/stream-fails") {
            Response response = text("");
            const bool fails = request.path == "/stream-fails";
            response.stream = std::make_shared<StreamedBody>(
                [fails](std::ostream& out) {
                    for (int i = 0; i < kStreamedLines; ++i) {
                        out << "line " << i << '\n';
                        if (fails && i == kStreamedLines / 2) throw std::runtime_error("the ledger went away");
                    }
                },
                4096, 2);
            return ready(std::move(response));
        }
        if (request.path == "/stream-huge-header") {  // a header value past Beast's 64 KiB
            Response response = text("");
            response.headers.emplace_back("x-huge", std::string(70'000, 'h'));
            response.stream = std::make_shared<StreamedBody>([](std::ostream& out) { out << "never sent"; });
            return ready(std::move(response));
        }
        Response response = text(request.method + " " + request.target + " path=" + request.path +
                                 " query=" + request.query + " id=" + request.request_id + "\n" + request.body);
        response.headers.emplace_back("x-echo-custom", std::string(request.header("X-Custom").value_or("none")));
        response.headers.emplace_back("x-echo-peer", request.peer);
        return ready(std::move(response));
    }

    boost::asio::io_context io_;
    boost::asio::executor_work_guard<boost::asio::io_context::executor_type> work_;
    std::optional<HttpServer> server_;
    std::vector<std::thread> threads_;
};

std::string get(std::string_view target, std::string_view extra_headers = "") {
    return "GET " + std::string(target) + " HTTP/1.1\r\nHost: test\r\n" + std::string(extra_headers) + "\r\n";
}

std::string envelope(std::string_view message, std::string_view type) {
    return R"({"error":{"message":")" + std::string(message) + R"(","type":")" + std::string(type) +
           R"(","param":null,"code":null}})";
}

}  // namespace

TEST_CASE("answers a request with the handler's body and headers plus the server's own", "[server]") {
    ServerFixture fixture;
    RawClient client(fixture.port());
    REQUIRE(client.connected());
    REQUIRE(client.send("POST /echo?x=1&y=2 HTTP/1.1\r\nHost: test\r\nX-Custom: abc\r\n"
                        "Authorization: Bearer sk-secret-123\r\nContent-Length: 5\r\n\r\nhello"));
    auto response = client.read_response();
    REQUIRE(response);
    CHECK(response->status == 200);
    CHECK(response->header("content-type") == "text/plain");
    CHECK(response->header("server") == "switchboard");
    CHECK(response->header("x-echo-custom") == "abc");
    CHECK_THAT(*response->header("x-echo-peer"), StartsWith("127.0.0.1:"));
    std::string id = response->header("x-request-id").value_or("");
    CHECK_THAT(id, StartsWith("req_"));
    CHECK(id.size() == 20);
    CHECK(response->header("content-length") == std::to_string(response->body.size()));
    CHECK(response->body == "POST /echo?x=1&y=2 path=/echo query=x=1&y=2 id=" + id + "\nhello");

    CHECK(fixture.logger.count(LogLevel::debug, "POST /echo 200 ") == 1);
    CHECK_FALSE(fixture.logger.contains("sk-secret-123"));
    CHECK_FALSE(fixture.logger.contains("Authorization"));
}

TEST_CASE("reads a chunked request body", "[server]") {
    ServerFixture fixture;
    RawClient client(fixture.port());
    REQUIRE(client.send("POST /echo HTTP/1.1\r\nHost: test\r\nTransfer-Encoding: chunked\r\n\r\n"
                        "5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n"));
    auto response = client.read_response();
    REQUIRE(response);
    CHECK(response->status == 200);
    CHECK_THAT(response->body, Contains("\nhello world"));
}

TEST_CASE("keeps a connection alive for a second request (one io thread)", "[server]") {
    ServerFixture fixture({}, 1);
    RawClient client(fixture.port());
    REQUIRE(client.send(get("/echo?n=1")));
    auto first = client.read_response();
    REQUIRE(first);
    CHECK(first->status == 200);
    CHECK_FALSE(first->header("connection"));
    REQUIRE(client.send(get("/echo?n=2")));
    auto second = client.read_response();
    REQUIRE(second);
    CHECK(second->status == 200);
    CHECK_THAT(second->body, StartsWith("GET /echo?n=2 "));
    CHECK(fixture.server().open_connections() == 1);
    CHECK(fixture.calls == 2);
}

TEST_CASE("closes the connection after the answer when the client says Connection: close", "[server]") {
    ServerFixture fixture;
    RawClient client(fixture.port());
    REQUIRE(client.send(get("/echo", "Connection: close\r\n")));
    auto response = client.read_response();
    REQUIRE(response);
    CHECK(response->status == 200);
    CHECK(response->header("connection") == "close");
    CHECK(client.wait_closed(5s) == RawClient::Event::closed);
    CHECK(eventually([&] { return fixture.server().open_connections() == 0; }));
}

TEST_CASE("HTTP/1.0 closes unless the client asks for keep-alive", "[server]") {
    ServerFixture fixture;
    SECTION("no keep-alive") {
        RawClient client(fixture.port());
        REQUIRE(client.send("GET /echo HTTP/1.0\r\n\r\n"));
        auto response = client.read_response();
        REQUIRE(response);
        CHECK(response->status == 200);
        CHECK(client.wait_closed(5s) == RawClient::Event::closed);
    }
    SECTION("keep-alive") {
        RawClient client(fixture.port());
        REQUIRE(client.send("GET /echo HTTP/1.0\r\nConnection: keep-alive\r\n\r\n"));
        auto first = client.read_response();
        REQUIRE(first);
        CHECK(first->header("connection") == "keep-alive");
        REQUIRE(client.send("GET /echo HTTP/1.0\r\n\r\n"));
        auto second = client.read_response();
        REQUIRE(second);
        CHECK(second->status == 200);
        CHECK(client.wait_closed(5s) == RawClient::Event::closed);
    }
}

TEST_CASE("echoes a sane x-request-id and replaces a missing or bad one", "[server]") {
    ServerFixture fixture;
    RawClient client(fixture.port());
    auto id_for = [&](std::string_view header) {
        REQUIRE(client.send(get("/echo", header)));
        auto response = client.read_response();
        REQUIRE(response);
        std::string id = response->header("x-request-id").value_or("");
        CHECK_THAT(response->body, Contains("id=" + id + "\n"));  // the handler saw the same id
        return id;
    };
    CHECK(id_for("x-request-id: Abc-09._:z\r\n") == "Abc-09._:z");
    std::string longest(128, 'a');
    CHECK(id_for("X-Request-Id: " + longest + "\r\n") == longest);

    std::string generated = id_for("");
    CHECK_THAT(generated, StartsWith("req_"));
    for (const std::string& bad : std::vector<std::string>{"x-request-id: has space\r\n", "x-request-id: semi;colon\r\n",
                            "x-request-id: " + std::string(129, 'a') + "\r\n", "x-request-id:\r\n"}) {
        std::string id = id_for(bad);
        CHECK_THAT(id, StartsWith("req_"));
        CHECK(id != generated);
    }
}

TEST_CASE("answers 413 from the header alone when Content-Length is over the limit", "[server]") {
    ServerOptions options;
    options.max_body_bytes = 1000;
    ServerFixture fixture(options);
    RawClient client(fixture.port());
    // The body is never sent: only an answer made from the header can arrive.
    REQUIRE(client.send("POST /echo HTTP/1.1\r\nHost: test\r\nx-request-id: big-1\r\nContent-Length: 5000\r\n\r\n"));
    auto response = client.read_response(10s);
    REQUIRE(response);
    CHECK(response->status == 413);
    CHECK(response->header("x-request-id") == "big-1");
    CHECK(response->header("content-type") == "application/json");
    CHECK(response->header("server") == "switchboard");
    CHECK(response->body ==
          envelope("the request body is 5000 bytes, over the limit of 1000 bytes; send a smaller body",
                   "invalid_request_error"));
    CHECK(client.wait_closed(5s) == RawClient::Event::closed);
    CHECK(fixture.calls == 0);
}

TEST_CASE("answers 413 when a chunked body grows over the limit", "[server]") {
    ServerOptions options;
    options.max_body_bytes = 1000;
    ServerFixture fixture(options);
    RawClient client(fixture.port());
    std::string chunk(800, 'x');
    REQUIRE(client.send("POST /echo HTTP/1.1\r\nHost: test\r\nTransfer-Encoding: chunked\r\n\r\n320\r\n" + chunk +
                        "\r\n320\r\n" + chunk + "\r\n0\r\n\r\n"));
    auto response = client.read_response();
    REQUIRE(response);
    CHECK(response->status == 413);
    CHECK_THAT(response->body, Contains("over the limit of 1000 bytes"));
    CHECK(response->header("x-request-id"));
    CHECK(client.wait_closed(5s) == RawClient::Event::closed);
    CHECK(fixture.calls == 0);
}

TEST_CASE("a route with its own options takes a larger body and answers its 413 in its own shape", "[server]") {
    ServerOptions options;
    options.max_body_bytes = 1000;
    switchboard::server::RouteOptions uploads;
    uploads.applies = [](std::string_view path) { return path.starts_with("/uploads/"); };
    uploads.max_body_bytes = 2000;
    uploads.error_body = [](std::string_view message) { return R"({"detail":")" + std::string(message) + R"("})"; };
    options.routes.push_back(uploads);
    ServerFixture fixture(options);
    const std::string body(1500, 'x');
    auto post = [&](std::string_view path, const std::string& bytes) {
        return "POST " + std::string(path) + " HTTP/1.1\r\nHost: test\r\nContent-Length: " +
               std::to_string(bytes.size()) + "\r\n\r\n" + bytes;
    };

    RawClient within(fixture.port());
    REQUIRE(within.send(post("/uploads/a", body)));
    auto accepted = within.read_response();
    REQUIRE(accepted);
    CHECK(accepted->status == 200);
    CHECK_THAT(accepted->body, Contains(body));

    RawClient elsewhere(fixture.port());
    REQUIRE(elsewhere.send(post("/echo", body)));
    auto refused = elsewhere.read_response();
    REQUIRE(refused);
    CHECK(refused->status == 413);
    CHECK(refused->body == envelope("the request body is 1500 bytes, over the limit of 1000 bytes; send a smaller body",
                                    "invalid_request_error"));

    RawClient over(fixture.port());
    REQUIRE(over.send("POST /uploads/b HTTP/1.1\r\nHost: test\r\nContent-Length: 5000\r\n\r\n"));
    auto too_big = over.read_response();
    REQUIRE(too_big);
    CHECK(too_big->status == 413);
    CHECK(too_big->header("content-type") == "application/json");
    CHECK(too_big->body ==
          R"({"detail":"the request body is 5000 bytes, over the limit of 2000 bytes; send a smaller body"})");

    RawClient chunked(fixture.port());
    const std::string chunk(1200, 'y');
    REQUIRE(chunked.send("POST /uploads/c HTTP/1.1\r\nHost: test\r\nTransfer-Encoding: chunked\r\n\r\n4b0\r\n" +
                         chunk + "\r\n4b0\r\n" + chunk + "\r\n0\r\n\r\n"));
    auto grown = chunked.read_response();
    REQUIRE(grown);
    CHECK(grown->status == 413);
    CHECK(grown->body == R"({"detail":"the request body is over the limit of 2000 bytes; send a smaller body"})");
    CHECK(fixture.calls == 1);
}

TEST_CASE("answers 431 when the request header is over the limit", "[server]") {
    ServerOptions options;
    options.max_header_bytes = 1024;
    ServerFixture fixture(options);
    RawClient client(fixture.port());
    REQUIRE(client.send(get("/echo", "x-big: " + std::string(4000, 'a') + "\r\n")));
    auto response = client.read_response();
    REQUIRE(response);
    CHECK(response->status == 431);
    CHECK_THAT(response->header("x-request-id").value_or(""), StartsWith("req_"));
    CHECK(response->body ==
          envelope("the request header is larger than the limit of 1024 bytes; send fewer or shorter headers",
                   "invalid_request_error"));
    CHECK(client.wait_closed(5s) == RawClient::Event::closed);
    CHECK(fixture.calls == 0);
}

TEST_CASE("cuts off a client that drips its header, however steadily", "[server]") {
    ServerOptions options;
    options.header_timeout = 200ms;
    ServerFixture fixture(options);
    auto began = std::chrono::steady_clock::now();
    RawClient client(fixture.port());
    REQUIRE(client.send("GET /echo HTTP/1.1\r\nx-slow: "));
    // One byte every 50 ms: each byte comes well within 200 ms of the last, so only a deadline on
    // the whole header can end this.
    RawClient::Event event = RawClient::Event::timeout;
    int bytes = 0;
    while (bytes < 100) {
        event = client.wait_closed(50ms);
        if (event != RawClient::Event::timeout) break;
        if (!client.send("a")) break;
        ++bytes;
    }
    if (event == RawClient::Event::timeout) event = client.wait_closed(5s);
    auto elapsed = std::chrono::steady_clock::now() - began;
    CHECK(event == RawClient::Event::closed);
    CHECK(client.unread().empty());
    CHECK(elapsed >= 200ms);
    CHECK(bytes < 60);  // cut off within ~3 s, not after the client gave up
    CHECK(eventually([&] {
        return fixture.logger.count(LogLevel::warn, "the request header did not arrive within 200 ms") == 1;
    }));
    CHECK(fixture.calls == 0);
}

TEST_CASE("closes a kept-alive connection after the idle timeout", "[server]") {
    ServerOptions options;
    options.idle_timeout = 300ms;
    ServerFixture fixture(options);
    RawClient client(fixture.port());
    REQUIRE(client.send(get("/echo")));
    REQUIRE(client.read_response());
    auto answered = std::chrono::steady_clock::now();
    CHECK(client.wait_closed(5s) == RawClient::Event::closed);
    CHECK(std::chrono::steady_clock::now() - answered >= 150ms);
    CHECK(eventually([&] { return fixture.server().open_connections() == 0; }));
    CHECK(eventually([&] { return fixture.logger.count(LogLevel::debug, "idle for 300 ms") == 1; }));
}

TEST_CASE("answers 500 with the error envelope when the handler throws, and keeps serving", "[server]") {
    ServerFixture fixture;
    RawClient client(fixture.port());
    for (auto [path, what] : {std::pair{"/throw", "boom before the task"}, std::pair{"/throw-in-task", "boom inside the task"}}) {
        INFO(path);
        std::string id = std::string("t") + path;
        std::replace(id.begin(), id.end(), '/', '-');
        REQUIRE(client.send(get(path, "x-request-id: " + id + "\r\n")));
        auto response = client.read_response();
        REQUIRE(response);
        CHECK(response->status == 500);
        CHECK(response->header("x-request-id") == id);
        CHECK(response->header("content-type") == "application/json");
        CHECK(response->body == envelope("internal error in the host (request " + id + ")", "server_error"));
        CHECK(fixture.logger.has(LogLevel::error, id,
                                 std::string("the handler failed on GET ") + path + ": " + what));
    }
    REQUIRE(client.send(get("/echo")));
    auto after = client.read_response();
    REQUIRE(after);
    CHECK(after->status == 200);
}

TEST_CASE("stop closes idle connections at once and waits for a request in flight", "[server]") {
    ServerFixture fixture;
    RawClient busy(fixture.port());
    REQUIRE(busy.send(get("/gate")));
    REQUIRE(fixture.gate->entered.get_future().wait_for(10s) == std::future_status::ready);

    RawClient idle(fixture.port());
    REQUIRE(idle.send(get("/echo")));
    REQUIRE(idle.read_response());

    auto stopped = std::make_shared<std::promise<void>>();
    auto done = stopped->get_future();
    std::atomic<int> done_calls{0};
    fixture.server().stop(10s, [stopped, &done_calls] {
        ++done_calls;
        stopped->set_value();
    });
    CHECK(idle.wait_closed(5s) == RawClient::Event::closed);
    CHECK(eventually([&] { return fixture.server().open_connections() == 1; }));
    CHECK(done.wait_for(0ms) == std::future_status::timeout);

    Response late = text("late answer");
    fixture.gate->open(std::move(late));
    auto response = busy.read_response();
    REQUIRE(response);
    CHECK(response->status == 200);
    CHECK(response->body == "late answer");
    CHECK(response->header("connection") == "close");
    CHECK(busy.wait_closed(5s) == RawClient::Event::closed);
    REQUIRE(done.wait_for(10s) == std::future_status::ready);
    CHECK(done_calls == 1);
    CHECK(fixture.server().open_connections() == 0);
    CHECK_FALSE(RawClient(fixture.port()).connected());
}

TEST_CASE("stop closes a request still in flight when the grace period ends", "[server]") {
    ServerFixture fixture;
    RawClient busy(fixture.port());
    REQUIRE(busy.send(get("/gate", "x-request-id: slow-1\r\n")));
    REQUIRE(fixture.gate->entered.get_future().wait_for(10s) == std::future_status::ready);

    auto stopped = std::make_shared<std::promise<void>>();
    auto done = stopped->get_future();
    fixture.server().stop(200ms, [stopped] { stopped->set_value(); });
    CHECK(busy.wait_closed(5s) == RawClient::Event::closed);
    CHECK(busy.unread().empty());
    REQUIRE(done.wait_for(10s) == std::future_status::ready);
    CHECK(fixture.server().open_connections() == 0);

    // The handler finishing afterwards finds no one to answer, harmlessly.
    fixture.gate->open(text("too late"));
    CHECK(eventually([&] {
        return fixture.logger.has(LogLevel::debug, "slow-1",
                                  "GET /gate 200: the connection closed before the answer was ready");
    }));
}

TEST_CASE("start names the address and the reason when the port is taken", "[server]") {
    ServerFixture fixture;
    boost::asio::io_context io;
    CaptureLogger logger;
    ServerOptions options;
    options.port = fixture.port();
    HttpServer second(io, options, [](Request) { return ready(Response{}); }, logger);
    REQUIRE_THROWS_WITH(second.start(), Contains("cannot listen on 127.0.0.1:" + std::to_string(fixture.port())) &&
                                            Contains("already in use"));
}

TEST_CASE("serves many connections at once on two io threads", "[server]") {
    ServerFixture fixture({}, 2);
    constexpr int kClients = 8;
    constexpr int kRequests = 25;
    std::atomic<int> ok{0};
    std::vector<std::thread> clients;
    for (int c = 0; c < kClients; ++c) {
        clients.emplace_back([&, c] {
            RawClient client(fixture.port());
            for (int r = 0; r < kRequests; ++r) {
                std::string body = "client " + std::to_string(c) + " request " + std::to_string(r);
                if (!client.send("POST /echo HTTP/1.1\r\nHost: t\r\nContent-Length: " + std::to_string(body.size()) +
                                 "\r\n\r\n" + body)) {
                    return;
                }
                auto response = client.read_response();
                if (response && response->status == 200 && response->body.ends_with("\n" + body)) ++ok;
            }
        });
    }
    for (auto& thread : clients) thread.join();
    CHECK(ok == kClients * kRequests);
    CHECK(fixture.calls == kClients * kRequests);
}

TEST_CASE("streams a body it makes piece by piece as chunks, then keeps the connection", "[server]") {
    ServerFixture fixture({}, 1);
    RawClient client(fixture.port());
    REQUIRE(client.send(get("/stream")));
    auto response = client.read_response();
    REQUIRE(response);
    CHECK(response->status == 200);
    CHECK(response->header("transfer-encoding") == "chunked");
    CHECK_FALSE(response->header("content-length"));
    CHECK(response->header("x-request-id"));
    CHECK(response->body == streamed_lines());

    REQUIRE(client.send(get("/echo")));
    auto next = client.read_response();
    REQUIRE(next);
    CHECK(next->status == 200);
}

TEST_CASE("streams to an HTTP/1.0 client without chunks and closes at the end", "[server]") {
    ServerFixture fixture;
    RawClient client(fixture.port());
    REQUIRE(client.send("GET /stream HTTP/1.0\r\nConnection: keep-alive\r\n\r\n"));
    auto response = client.read_response();
    REQUIRE(response);
    CHECK(response->status == 200);
    CHECK(response->header("connection") == "close");
    CHECK_FALSE(response->header("transfer-encoding"));
    CHECK(response->body == streamed_lines());
}

TEST_CASE("a streamed body that fails part-way is cut short, never ended as if complete", "[server]") {
    ServerFixture fixture;
    RawClient client(fixture.port());
    REQUIRE(client.send(get("/stream-fails")));
    CHECK_FALSE(client.read_response());  // no last chunk: the client knows the body is incomplete
    CHECK(client.wait_closed(5s) == RawClient::Event::closed);
    CHECK(fixture.logger.count(LogLevel::error, "the answer to GET /stream-fails failed part-way") == 1);

    RawClient again(fixture.port());
    REQUIRE(again.send(get("/echo")));
    auto response = again.read_response();
    REQUIRE(response);
    CHECK(response->status == 200);
}

TEST_CASE("a dropped streamed body stops its producer, which never runs ahead of the reader", "[server]") {
    std::atomic<std::int64_t> written{0};
    std::atomic<bool> write_failed{false};
    auto body = std::make_unique<StreamedBody>(
        [&](std::ostream& out) {
            const std::string piece(1000, 'x');
            while (out.write(piece.data(), static_cast<std::streamsize>(piece.size()))) written += 1000;
            write_failed = true;
        },
        1000, 3);
    std::promise<std::optional<std::string>> first;
    body->next([&](std::optional<std::string> piece) { first.set_value(std::move(piece)); });
    auto piece = first.get_future().get();
    REQUIRE(piece);
    CHECK(piece->size() == 1000);

    body.reset();  // joins the producer: it must see its writes fail rather than block or run on
    CHECK(write_failed);
    // One piece taken, three queued, one being pushed when it was dropped: an endless producer
    // wrote at most that much.
    CHECK(written <= 5 * 1000);
}

TEST_CASE("a streamed answer whose header cannot be sent is a 500, and the connection goes on", "[server]") {
    ServerFixture fixture;
    RawClient client(fixture.port());
    REQUIRE(client.send(get("/stream-huge-header")));
    auto response = client.read_response();
    REQUIRE(response);
    CHECK(response->status == 500);
    CHECK_FALSE(response->header("x-huge"));
    const std::string id = response->header("x-request-id").value_or("");
    CHECK(response->body == envelope("internal error in the host (request " + id + ")", "server_error"));
    CHECK(fixture.logger.count(LogLevel::error,
                               "the handler's answer to GET /stream-huge-header cannot be sent: field value too large") ==
          1);

    REQUIRE(client.send(get("/echo")));
    auto next = client.read_response();
    REQUIRE(next);
    CHECK(next->status == 200);
}

TEST_CASE("connections are spread over the given event loops in turn, each served on its loop's thread",
          "[server]") {
    // Three loops, one thread each, as `serve` runs them; the server's own io_context only accepts.
    struct Loop {
        boost::asio::io_context io;
        boost::asio::executor_work_guard<boost::asio::io_context::executor_type> work{boost::asio::make_work_guard(io)};
        std::thread thread{[this] { io.run(); }};
        ~Loop() {
            work.reset();
            io.stop();
            thread.join();
        }
    };
    Loop loops[3];
    std::map<std::thread::id, int> loop_of;
    for (int i = 0; i < 3; ++i) loop_of[loops[i].thread.get_id()] = i;

    ServerOptions options;
    options.loops = {&loops[0].io, &loops[1].io, &loops[2].io};
    boost::asio::io_context io;
    auto work = boost::asio::make_work_guard(io);
    std::thread acceptor([&io] { io.run(); });
    CaptureLogger logger;
    std::optional<HttpServer> server;
    server.emplace(io, options,
                   [&](Request) {
                       auto it = loop_of.find(std::this_thread::get_id());
                       return ready(text(it == loop_of.end() ? "elsewhere" : std::to_string(it->second)));
                   },
                   logger);
    server->start();

    std::vector<std::string> served;
    std::vector<std::unique_ptr<RawClient>> clients;
    for (int i = 0; i < 6; ++i) {  // connections in turn: loops 0, 1, 2, 0, 1, 2
        clients.push_back(std::make_unique<RawClient>(server->port()));
        REQUIRE(clients.back()->send(get("/where")));
        auto response = clients.back()->read_response();
        REQUIRE(response);
        served.push_back(response->body);
    }
    CHECK(served == std::vector<std::string>{"0", "1", "2", "0", "1", "2"});
    // A kept-alive connection stays on its loop.
    REQUIRE(clients[1]->send(get("/again")));
    auto again = clients[1]->read_response();
    REQUIRE(again);
    CHECK(again->body == "1");

    std::promise<void> stopped;
    server->stop(0ms, [&] { stopped.set_value(); });
    CHECK(stopped.get_future().wait_for(10s) == std::future_status::ready);
    server.reset();
    work.reset();
    acceptor.join();
}
