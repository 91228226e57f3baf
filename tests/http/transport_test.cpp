#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdlib>
#include <future>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/write.hpp>
#include <catch2/catch.hpp>

#include "fakes/loopback_server.hpp"
#include "http/curl_transport.hpp"
#include "http/plain_transport.hpp"
#include "http/upstream_transport.hpp"
#include "switchboard/multipart.hpp"

namespace {

using namespace std::chrono_literals;
using switchboard::ErrorKind;
using switchboard::HttpHeader;
using switchboard::HttpRequest;
using switchboard::http::CurlTransport;
using switchboard::http::PlainTransport;
using switchboard::http::UpstreamTransport;
using switchboard::http::Exchange;
using switchboard::testing::Fault;
using switchboard::testing::LoopbackServer;
using switchboard::testing::RecordedRequest;
using switchboard::testing::Reply;

constexpr const char* kFakeKey = "sk-test-0123456789abcdef0123456789abcdef";

// A real transport on an io_context run by background threads (one unless told).
template <typename TransportType>
class Loop {
public:
    explicit Loop(int threads = 1) {
        for (int i = 0; i < threads; ++i) threads_.emplace_back([this] { io_.run(); });
    }
    ~Loop() {
        stop();
        transport_.reset();
    }

    TransportType& transport() { return *transport_; }
    std::thread::id io_thread() const { return threads_.front().get_id(); }

    // Stops the event loop and waits for its threads; the transport stays alive.
    void stop() {
        work_.reset();
        io_.stop();
        for (auto& thread : threads_) {
            if (thread.joinable()) thread.join();
        }
    }
    void destroy_transport() { transport_.reset(); }

    // Runs one exchange to its end. The limit is a hang guard only.
    Exchange send(const HttpRequest& request, std::chrono::milliseconds limit = 10s) {
        auto promise = std::make_shared<std::promise<Exchange>>();
        auto future = promise->get_future();
        transport_->start(request, [promise](Exchange exchange) { promise->set_value(std::move(exchange)); });
        REQUIRE(future.wait_for(limit) == std::future_status::ready);
        return future.get();
    }

    // Returns once every handler queued on the loop before this call has run.
    void drain() {
        std::promise<void> ran;
        boost::asio::post(io_, [&ran] { ran.set_value(); });
        REQUIRE(ran.get_future().wait_for(10s) == std::future_status::ready);
    }

    boost::asio::io_context& io() { return io_; }

private:
    boost::asio::io_context io_;
    boost::asio::executor_work_guard<boost::asio::io_context::executor_type> work_{io_.get_executor()};
    std::unique_ptr<TransportType> transport_ = std::make_unique<TransportType>(io_);
    std::vector<std::thread> threads_;
};

HttpRequest make_request(std::string method, std::string url) {
    HttpRequest request;
    request.method = std::move(method);
    request.url = std::move(url);
    request.connect_timeout = 2000ms;
    request.timeout = 5000ms;
    request.max_response_bytes = 1024 * 1024;
    return request;
}

// Header names in arrival order, for asserting which headers were sent.
std::vector<std::string> names_of(const std::vector<HttpHeader>& headers) {
    std::vector<std::string> names;
    for (const auto& header : headers) names.push_back(header.name);
    return names;
}

const switchboard::Error& error_of(const Exchange& exchange) {
    REQUIRE_FALSE(exchange.result.ok());
    return exchange.result.error();
}

// A port on 127.0.0.1 that nothing listens on.
std::uint16_t closed_port() {
    boost::asio::io_context io;
    boost::asio::ip::tcp::acceptor acceptor(io, {boost::asio::ip::make_address("127.0.0.1"), 0});
    return acceptor.local_endpoint().port();
}

}  // namespace

TEMPLATE_TEST_CASE("a POST reaches the server exactly as built and its answer comes back whole", "[http]",
                   CurlTransport, PlainTransport) {
    LoopbackServer server([](const RecordedRequest&) {
        auto reply = Reply::json(201, R"({"id":"emb-1"})");
        reply.headers.push_back({"x-request-id", "req-abc"});
        return reply;
    });
    Loop<TestType> loop;
    auto request = make_request("POST", server.base_url() + "/v1/embeddings?api-version=2&x=1");
    request.headers = {{"Authorization", std::string("Bearer ") + kFakeKey},
                       {"Content-Type", "application/json"},
                       {"OpenAI-Project", "proj_1"}};
    request.body = R"({"input":["hello"],"model":"text-embedding-3-small"})";

    auto exchange = loop.send(request);

    REQUIRE(server.request_count() == 1);
    auto received = server.requests().front();
    CHECK(received.method == "POST");
    CHECK(received.target == "/v1/embeddings?api-version=2&x=1");
    CHECK(received.path == "/v1/embeddings");
    CHECK(received.query == "api-version=2&x=1");
    CHECK(received.query_values("x") == std::vector<std::string>{"1"});
    CHECK(received.header("Authorization") == std::string("Bearer ") + kFakeKey);
    CHECK(received.header("Content-Type") == "application/json");
    CHECK(received.header("OpenAI-Project") == "proj_1");
    CHECK(received.header("Content-Length") == std::to_string(request.body.size()));
    CHECK(received.header("Host") == "127.0.0.1:" + std::to_string(server.port()));
    CHECK_FALSE(received.header("Expect"));
    CHECK(received.body == request.body);
    // The caller's headers arrive in the order given.
    auto names = names_of(received.headers);
    auto position = [&](const std::string& name) { return std::find(names.begin(), names.end(), name) - names.begin(); };
    CHECK(position("Authorization") < position("Content-Type"));
    CHECK(position("Content-Type") < position("OpenAI-Project"));

    REQUIRE(exchange.result.ok());
    const auto& response = exchange.result.value();
    CHECK(response.status == 201);
    CHECK(response.body == R"({"id":"emb-1"})");
    CHECK(response.header("x-request-id") == "req-abc");
    CHECK(response.header("content-type") == "application/json");
    CHECK(response.header("Content-Length") == "14");
}

TEMPLATE_TEST_CASE("a multipart upload of several megabytes arrives byte for byte without Expect", "[http]",
                   CurlTransport, PlainTransport) {
    LoopbackServer server([](const RecordedRequest&) { return Reply::json(200, R"({"id":"job-1"})"); });
    Loop<TestType> loop;
    std::string file;
    for (std::uint32_t i = 0; i < 3u * 1024 * 1024; ++i) file += static_cast<char>((i * 7919u) % 256u);  // NULs, CR, LF included
    switchboard::MultipartBody form("----switchboard-test-boundary");
    form.add_file("file", "report.pdf", "application/pdf", file);
    form.add_field("configuration", R"({"tier":"agentic","version":"latest"})");
    auto request = make_request("POST", server.base_url() + "/api/v2/parse/upload");
    request.headers = {{"Content-Type", form.content_type()}, {"Accept", "application/json"}};
    request.body = std::move(form).finish();

    auto exchange = loop.send(request);

    REQUIRE(exchange.result.ok());
    CHECK(exchange.result->status == 200);
    auto received = server.requests().at(0);
    CHECK(received.header("Content-Type") == "multipart/form-data; boundary=----switchboard-test-boundary");
    CHECK(received.header("Accept") == "application/json");
    CHECK_FALSE(received.header("Expect"));
    REQUIRE(received.body.size() == request.body.size());
    CHECK(received.body == request.body);
}

TEMPLATE_TEST_CASE("GET, DELETE and PUT are sent with the given method and no invented body or content type", "[http]",
                   CurlTransport, PlainTransport) {
    LoopbackServer server([](const RecordedRequest& request) { return Reply::json(200, "\"" + request.method + "\""); });
    Loop<TestType> loop;

    auto get = loop.send(make_request("GET", server.base_url() + "/api/v2/parse/job-1?expand=markdown&expand=text"));
    auto del = loop.send(make_request("DELETE", server.base_url() + "/api/v1/jobs/job-1"));
    auto put = make_request("PUT", server.base_url() + "/things/1");
    put.body = "raw bytes";
    auto put_exchange = loop.send(put);

    REQUIRE(server.request_count() == 3);
    auto requests = server.requests();
    CHECK(requests[0].method == "GET");
    CHECK(requests[0].query_values("expand") == std::vector<std::string>{"markdown", "text"});
    CHECK(requests[0].body.empty());
    CHECK_FALSE(requests[0].header("Content-Type"));
    CHECK_FALSE(requests[0].header("Content-Length"));
    CHECK(requests[1].method == "DELETE");
    CHECK(requests[1].path == "/api/v1/jobs/job-1");
    CHECK(requests[1].body.empty());
    CHECK(requests[2].method == "PUT");
    CHECK(requests[2].body == "raw bytes");
    CHECK_FALSE(requests[2].header("Content-Type"));  // not curl's form-urlencoded default
    REQUIRE(get.result.ok());
    CHECK(get.result->body == "\"GET\"");
    REQUIRE(del.result.ok());
    CHECK(del.result->body == "\"DELETE\"");
    REQUIRE(put_exchange.result.ok());
    CHECK(put_exchange.result->body == "\"PUT\"");
}

TEMPLATE_TEST_CASE("an exchange carries nothing of the ones before it: method, body, headers or time limit", "[http]",
                   CurlTransport, PlainTransport) {
    LoopbackServer server([](const RecordedRequest& request) {
        if (request.path != "/slow") return Reply::json(200, "\"" + request.method + "\"");
        Reply reply = Reply::json(200, "abcd");
        reply.fault = Fault::trickle;  // about 400 ms in all
        reply.trickle_interval = 100ms;
        return reply;
    });
    Loop<TestType> loop;
    auto post = make_request("POST", server.base_url() + "/post");
    post.headers = {{"Content-Type", "text/plain"}, {"X-Only-Here", "1"}};
    post.body = "payload";
    post.timeout = 300ms;
    auto put = make_request("PUT", server.base_url() + "/put");
    put.body = "other";
    auto get = make_request("GET", server.base_url() + "/get");
    auto del = make_request("DELETE", server.base_url() + "/delete");
    auto slow = make_request("GET", server.base_url() + "/slow");
    slow.connect_timeout.reset();
    slow.timeout.reset();

    std::vector<Exchange> exchanges;
    for (const auto& request : {post, slow, put, get, del}) exchanges.push_back(loop.send(request));

    for (const auto& exchange : exchanges) {
        INFO((exchange.result.ok() ? std::string() : exchange.result.error().message));
        REQUIRE(exchange.result.ok());
    }
    CHECK(exchanges[1].result->body == "abcd");  // the POST's 300 ms limit did not stay behind
    auto requests = server.requests();
    REQUIRE(requests.size() == 5);
    CHECK(requests[0].method == "POST");
    CHECK(requests[0].header("X-Only-Here") == "1");
    CHECK(requests[2].method == "PUT");
    CHECK(requests[2].body == "other");
    CHECK_FALSE(requests[2].header("Content-Type"));
    CHECK_FALSE(requests[2].header("X-Only-Here"));
    for (std::size_t i : {1, 3, 4}) {
        INFO(requests[i].method << " " << requests[i].path);
        CHECK(requests[i].body.empty());
        CHECK_FALSE(requests[i].header("Content-Length"));
        CHECK_FALSE(requests[i].header("Content-Type"));
        CHECK_FALSE(requests[i].header("X-Only-Here"));
    }
    CHECK(requests[1].method == "GET");
    CHECK(requests[3].method == "GET");
    CHECK(requests[4].method == "DELETE");
}

TEMPLATE_TEST_CASE("an error status is a complete answer, not a transport error", "[http]",
                   CurlTransport, PlainTransport) {
    LoopbackServer server([](const RecordedRequest&) {
        auto reply = Reply::json(503, R"({"error":{"message":"overloaded"}})");
        reply.headers.push_back({"Retry-After", "2"});
        return reply;
    });
    Loop<TestType> loop;
    auto exchange = loop.send(make_request("POST", server.base_url() + "/v1/embeddings"));
    REQUIRE(exchange.result.ok());
    CHECK(exchange.result->status == 503);
    CHECK(exchange.result->header("Retry-After") == "2");
    CHECK(exchange.result->body == R"({"error":{"message":"overloaded"}})");
}

TEMPLATE_TEST_CASE("sequential exchanges reuse one keep-alive connection", "[http]",
                   CurlTransport, PlainTransport) {
    LoopbackServer server([](const RecordedRequest& request) { return Reply::json(200, request.body); });
    Loop<TestType> loop;
    auto first = make_request("POST", server.base_url() + "/a");
    first.body = "one";
    auto second = make_request("POST", server.base_url() + "/b");
    second.body = "two";

    auto a = loop.send(first);
    auto b = loop.send(second);

    REQUIRE(a.result.ok());
    REQUIRE(b.result.ok());
    CHECK(a.result->body == "one");
    CHECK(b.result->body == "two");
    CHECK(server.request_count() == 2);
    CHECK(server.accepted_connections() == 1);
}

TEMPLATE_TEST_CASE("a host name is resolved and answered like an address", "[http]",
                   CurlTransport, PlainTransport) {
    LoopbackServer server([](const RecordedRequest&) { return Reply::json(200, "{}"); });
    Loop<TestType> loop;
    auto exchange = loop.send(make_request("GET", "http://localhost:" + std::to_string(server.port()) + "/models"));
    REQUIRE(exchange.result.ok());
    CHECK(exchange.result->status == 200);
    CHECK(server.requests().at(0).header("Host") == "localhost:" + std::to_string(server.port()));
}

TEMPLATE_TEST_CASE("a refused connection is a retryable unavailable error naming the address", "[http]",
                   CurlTransport, PlainTransport) {
    Loop<TestType> loop;
    auto port = std::to_string(closed_port());
    auto request = make_request("POST", "http://127.0.0.1:" + port + "/v1/embeddings");
    request.headers = {{"Authorization", std::string("Bearer ") + kFakeKey}};

    auto exchange = loop.send(request);

    const auto& error = error_of(exchange);
    CHECK(error.kind == ErrorKind::unavailable);
    CHECK(exchange.retryable);
    CHECK(error.message == "could not connect to 127.0.0.1:" + port + " (Connection refused) for POST http://127.0.0.1:" +
                               port + "/v1/embeddings");
    CHECK(error.message.find(kFakeKey) == std::string::npos);
}

TEMPLATE_TEST_CASE("a server that never answers ends in a retryable timeout after the request timeout", "[http]",
                   CurlTransport, PlainTransport) {
    LoopbackServer server([](const RecordedRequest&) { return Reply::with_fault(Fault::never_answer); });
    Loop<TestType> loop;
    auto request = make_request("GET", server.base_url() + "/slow");
    request.timeout = 300ms;
    request.headers = {{"Authorization", std::string("Bearer ") + kFakeKey}};

    auto started = std::chrono::steady_clock::now();
    auto exchange = loop.send(request);
    auto took = std::chrono::steady_clock::now() - started;

    const auto& error = error_of(exchange);
    CHECK(error.kind == ErrorKind::timeout);
    CHECK(exchange.retryable);
    CHECK(error.message == "no complete answer within 300 ms from GET " + server.base_url() + "/slow");
    CHECK(error.message.find(kFakeKey) == std::string::npos);
    CHECK(took >= 300ms);
    CHECK(took < 3s);
    CHECK(server.wait_for_open_connections(0, 5s));  // the timed-out connection is closed
}

TEMPLATE_TEST_CASE("a body cut short by the server closing is a retryable upstream_error", "[http]",
                   CurlTransport, PlainTransport) {
    LoopbackServer server([](const RecordedRequest&) {
        Reply reply = Reply::json(200, R"({"data":[0123456789]})");  // 21 bytes, 10 sent
        reply.fault = Fault::truncate_body;
        return reply;
    });
    Loop<TestType> loop;
    auto exchange = loop.send(make_request("GET", server.base_url() + "/v1/models"));
    const auto& error = error_of(exchange);
    CHECK(error.kind == ErrorKind::upstream_error);
    CHECK(exchange.retryable);
    CHECK(error.message == "connection closed after 10 of 21 body bytes from GET " + server.base_url() + "/v1/models");
}

TEMPLATE_TEST_CASE("a connection reset mid-body is a retryable upstream_error", "[http]",
                   CurlTransport, PlainTransport) {
    LoopbackServer server([](const RecordedRequest&) {
        Reply reply = Reply::json(200, std::string(64 * 1024, 'x'));
        reply.fault = Fault::reset_mid_body;
        return reply;
    });
    Loop<TestType> loop;
    auto exchange = loop.send(make_request("POST", server.base_url() + "/v1/embeddings"));
    const auto& error = error_of(exchange);
    CHECK(error.kind == ErrorKind::upstream_error);
    CHECK(exchange.retryable);
    CHECK_THAT(error.message, Catch::Contains("connection reset") &&
                                  Catch::EndsWith("from POST " + server.base_url() + "/v1/embeddings"));
}

TEMPLATE_TEST_CASE("a connection closed without any answer is a retryable empty-reply upstream_error", "[http]",
                   CurlTransport, PlainTransport) {
    LoopbackServer server([](const RecordedRequest&) { return Reply::with_fault(Fault::close_at_once); });
    Loop<TestType> loop;
    auto exchange = loop.send(make_request("GET", server.base_url() + "/v1/models"));
    const auto& error = error_of(exchange);
    CHECK(error.kind == ErrorKind::upstream_error);
    CHECK(exchange.retryable);
    CHECK(error.message ==
          "empty reply: the server closed the connection without answering GET " + server.base_url() + "/v1/models");
}

TEMPLATE_TEST_CASE("a trickling body completes within the timeout and times out beyond it", "[http]",
                   CurlTransport, PlainTransport) {
    LoopbackServer server([](const RecordedRequest& request) {
        Reply reply = Reply::json(200, request.path == "/short" ? "abc" : "0123456789");
        reply.fault = Fault::trickle;
        reply.trickle_interval = request.path == "/short" ? 5ms : 100ms;
        return reply;
    });
    Loop<TestType> loop;
    auto quick = make_request("GET", server.base_url() + "/short");
    auto slow = make_request("GET", server.base_url() + "/long");
    slow.timeout = 250ms;

    auto done = loop.send(quick);
    auto timed_out = loop.send(slow);

    REQUIRE(done.result.ok());
    CHECK(done.result->body == "abc");
    const auto& error = error_of(timed_out);
    CHECK(error.kind == ErrorKind::timeout);
    CHECK(timed_out.retryable);
    CHECK(error.message == "no complete answer within 250 ms from GET " + server.base_url() + "/long");
}

TEMPLATE_TEST_CASE("a body over max_response_bytes is a non-retryable upstream_error, one at the limit is fine", "[http]",
                   CurlTransport, PlainTransport) {
    LoopbackServer server([](const RecordedRequest& request) {
        return Reply::json(200, std::string(request.path == "/big" ? 101 : 100, 'x'));
    });
    Loop<TestType> loop;
    auto big = make_request("GET", server.base_url() + "/big");
    big.max_response_bytes = 100;
    auto exact = make_request("GET", server.base_url() + "/exact");
    exact.max_response_bytes = 100;

    auto too_large = loop.send(big);
    auto fits = loop.send(exact);

    const auto& error = error_of(too_large);
    CHECK(error.kind == ErrorKind::upstream_error);
    CHECK_FALSE(too_large.retryable);
    CHECK(error.message == "response body larger than 100 bytes from GET " + server.base_url() + "/big");
    REQUIRE(fits.result.ok());
    CHECK(fits.result->body.size() == 100);
}

TEMPLATE_TEST_CASE("cancel ends an exchange once with a non-retryable cancelled timeout and closes its connection", "[http]",
                   CurlTransport, PlainTransport) {
    LoopbackServer server([](const RecordedRequest&) { return Reply::with_fault(Fault::never_answer); });
    Loop<TestType> loop;
    std::atomic<int> calls{0};
    auto promise = std::make_shared<std::promise<Exchange>>();
    auto future = promise->get_future();
    auto request = make_request("POST", server.base_url() + "/api/v2/parse/upload");
    request.timeout = 60s;
    auto id = loop.transport().start(request, [&calls, promise](Exchange exchange) {
        if (calls.fetch_add(1) == 0) promise->set_value(std::move(exchange));
    });
    REQUIRE(server.wait_for_requests(1, 10s));
    CHECK(server.open_connections() == 1);

    loop.transport().cancel(id);
    REQUIRE(future.wait_for(10s) == std::future_status::ready);
    auto exchange = future.get();
    loop.transport().cancel(id);       // finished: ignored
    loop.transport().cancel(id + 99);  // unknown: ignored
    loop.drain();
    loop.drain();

    const auto& error = error_of(exchange);
    CHECK(error.kind == ErrorKind::timeout);
    CHECK_FALSE(exchange.retryable);
    CHECK(error.message == "cancelled by the caller during POST " + server.base_url() + "/api/v2/parse/upload");
    CHECK(calls == 1);
    CHECK(server.wait_for_open_connections(0, 10s));
    CHECK(loop.transport().in_flight() == 0);
}

namespace {

// Starts `count` exchanges at once against a server that delays each answer, then checks that
// each got its own answer and that the transport ends with nothing in flight.
template <typename TransportType>
void run_concurrent_exchanges(int count, int loop_threads) {
    LoopbackServer server([](const RecordedRequest& request) {
        auto reply = Reply::json(200, "reply to " + request.body);
        reply.delay = 500ms;  // so they really overlap, with a wide margin on a loaded machine
        return reply;
    });
    Loop<TransportType> loop(loop_threads);
    std::vector<std::promise<Exchange>> promises(count);
    std::vector<std::future<Exchange>> futures;
    for (auto& promise : promises) futures.push_back(promise.get_future());
    std::size_t peak = 0;
    for (int i = 0; i < count; ++i) {
        auto request = make_request("POST", server.base_url() + "/echo/" + std::to_string(i));
        request.body = "payload " + std::to_string(i);
        loop.transport().start(request, [&promises, i](Exchange exchange) { promises[i].set_value(std::move(exchange)); });
        peak = std::max(peak, loop.transport().in_flight());
    }
    CHECK(peak == static_cast<std::size_t>(count));  // none can finish before the server's 500 ms delay

    for (int i = 0; i < count; ++i) {
        REQUIRE(futures[i].wait_for(20s) == std::future_status::ready);
        auto exchange = futures[i].get();
        REQUIRE(exchange.result.ok());
        CHECK(exchange.result->status == 200);
        CHECK(exchange.result->body == "reply to payload " + std::to_string(i));
    }
    auto requests = server.requests();
    REQUIRE(requests.size() == static_cast<std::size_t>(count));
    for (const auto& request : requests) CHECK(request.path == "/echo/" + request.body.substr(8));
    // The counter drops as each done returns, on whichever loop thread ran it.
    auto give_up = std::chrono::steady_clock::now() + 10s;
    while (loop.transport().in_flight() != 0 && std::chrono::steady_clock::now() < give_up) std::this_thread::yield();
    CHECK(loop.transport().in_flight() == 0);
}

}  // namespace

TEMPLATE_TEST_CASE("200 concurrent exchanges all complete with their own answers", "[http]",
                   CurlTransport, PlainTransport) {
    run_concurrent_exchanges<TestType>(200, 1);
}

TEMPLATE_TEST_CASE("concurrent exchanges on a loop run by four threads stay correct", "[http]",
                   CurlTransport, PlainTransport) {
    run_concurrent_exchanges<TestType>(300, 4);
}

TEMPLATE_TEST_CASE("done runs on the event loop thread, never inside start()", "[http]",
                   CurlTransport, PlainTransport) {
    LoopbackServer server([](const RecordedRequest&) { return Reply::json(200, "{}"); });
    Loop<TestType> loop;

    // Started from the loop thread itself: an exchange that fails at once (an invalid header)
    // and one that succeeds. Each done records whether its start() had already returned.
    struct Seen {
        bool start_had_returned = false;
        std::thread::id thread;
        Exchange exchange;
    };
    auto seen = std::make_shared<std::vector<Seen>>(2);
    auto returned = std::make_shared<std::vector<bool>>(2, false);
    auto remaining = std::make_shared<std::atomic<int>>(2);
    auto all_done = std::make_shared<std::promise<void>>();
    auto future = all_done->get_future();
    boost::asio::post(loop.io(), [&loop, &server, seen, returned, remaining, all_done] {
        for (int i = 0; i < 2; ++i) {
            auto request = make_request("GET", server.base_url() + "/x");
            if (i == 0) request.headers = {{"X-Bad", "line\r\nInjected: yes"}};
            loop.transport().start(request, [=](Exchange exchange) {
                (*seen)[i] = Seen{(*returned)[i], std::this_thread::get_id(), std::move(exchange)};
                if (--*remaining == 0) all_done->set_value();
            });
            (*returned)[i] = true;
        }
    });
    REQUIRE(future.wait_for(10s) == std::future_status::ready);

    for (const auto& one : *seen) {
        CHECK(one.start_had_returned);
        CHECK(one.thread == loop.io_thread());
    }
    const auto& invalid = error_of((*seen)[0].exchange);
    CHECK(invalid.kind == ErrorKind::bad_request);
    CHECK(invalid.message == "header \"X-Bad\" is not a valid HTTP header (empty name, ':' or a line break) in GET " +
                                 server.base_url() + "/x");
    CHECK((*seen)[1].exchange.result.ok());
    CHECK(server.request_count() == 1);  // the invalid request never left
    loop.drain();
    CHECK(loop.transport().in_flight() == 0);
}

TEMPLATE_TEST_CASE("destroying the transport after the loop stopped abandons exchanges without calling done", "[http]",
                   CurlTransport, PlainTransport) {
    LoopbackServer server([](const RecordedRequest&) { return Reply::with_fault(Fault::never_answer); });
    Loop<TestType> loop;
    std::atomic<int> calls{0};
    auto request = make_request("GET", server.base_url() + "/forever");
    request.timeout = 60s;
    loop.transport().start(request, [&calls](Exchange) { ++calls; });
    REQUIRE(server.wait_for_requests(1, 10s));
    CHECK(loop.transport().in_flight() == 1);

    loop.stop();
    loop.destroy_transport();

    CHECK(server.wait_for_open_connections(0, 10s));
    CHECK(calls == 0);
}

TEMPLATE_TEST_CASE("a kept-alive connection the server drops unanswered is retried once on a fresh one", "[http]",
                   CurlTransport, PlainTransport) {
    // The second request arrives on the kept-alive connection and the server closes it without a
    // word, as a server that timed the idle connection out does: the exchange goes again on a
    // new connection and succeeds; the caller never sees the dead one.
    auto dropped_once = std::make_shared<std::atomic<bool>>(false);
    LoopbackServer server([dropped_once](const RecordedRequest& request) {
        if (request.path == "/dropped" && !dropped_once->exchange(true)) return Reply::with_fault(Fault::close_at_once);
        return Reply::json(200, "\"" + request.path + "\"");
    });
    Loop<TestType> loop;
    auto warm = loop.send(make_request("GET", server.base_url() + "/warm"));
    auto dropped = make_request("POST", server.base_url() + "/dropped");
    dropped.body = "first try";
    auto exchange = loop.send(dropped);

    REQUIRE(warm.result.ok());
    INFO((exchange.result.ok() ? std::string() : exchange.result.error().message));
    REQUIRE(exchange.result.ok());
    CHECK(exchange.result->body == "\"/dropped\"");
    CHECK(server.request_count() == 3);  // warm, the dropped attempt, the retry
    CHECK(server.accepted_connections() == 2);
}

TEMPLATE_TEST_CASE("an answer that says Connection: close is not reused", "[http]", CurlTransport, PlainTransport) {
    LoopbackServer server([](const RecordedRequest& request) {
        auto reply = Reply::json(200, "\"" + request.path + "\"");
        if (request.path == "/closing") reply.headers.push_back({"Connection", "close"});
        return reply;
    });
    Loop<TestType> loop;
    auto first = loop.send(make_request("GET", server.base_url() + "/closing"));
    auto second = loop.send(make_request("GET", server.base_url() + "/next"));
    REQUIRE(first.result.ok());
    REQUIRE(second.result.ok());
    CHECK(second.result->body == "\"/next\"");
    CHECK(server.accepted_connections() == 2);
}

TEMPLATE_TEST_CASE("a chunked answer after an interim 103 arrives whole, and its connection is reused", "[http]",
                   CurlTransport, PlainTransport) {
    const std::string body = R"({"data":[{"embedding":[0.125,-0.5,0.25],"index":0}],"model":"m"})";  // 10 chunks
    LoopbackServer server([&body](const RecordedRequest&) {
        auto reply = Reply::json(200, body);
        reply.headers.push_back({"x-request-id", "req-chunked"});
        reply.chunked = true;
        reply.early_hints = true;
        return reply;
    });
    Loop<TestType> loop;
    auto first = loop.send(make_request("POST", server.base_url() + "/v1/embeddings"));
    auto second = loop.send(make_request("POST", server.base_url() + "/v1/embeddings"));

    for (const auto* exchange : {&first, &second}) {
        REQUIRE(exchange->result.ok());
        CHECK(exchange->result->status == 200);
        CHECK(exchange->result->body == body);
        CHECK(exchange->result->header("x-request-id") == "req-chunked");
        CHECK_FALSE(exchange->result->header("Link"));  // the interim answer's headers are not the answer's
    }
    CHECK(server.accepted_connections() == 1);
}

TEMPLATE_TEST_CASE("a chunked body over max_response_bytes is refused like a declared one", "[http]", CurlTransport,
                   PlainTransport) {
    LoopbackServer server([](const RecordedRequest&) {
        auto reply = Reply::json(200, std::string(101, 'x'));
        reply.chunked = true;
        return reply;
    });
    Loop<TestType> loop;
    auto request = make_request("GET", server.base_url() + "/big");
    request.max_response_bytes = 100;
    auto exchange = loop.send(request);
    const auto& error = error_of(exchange);
    CHECK(error.kind == ErrorKind::upstream_error);
    CHECK_FALSE(exchange.retryable);
    CHECK(error.message == "response body larger than 100 bytes from GET " + server.base_url() + "/big");
}

TEST_CASE("the plain transport takes plain http:// URLs and leaves the rest to libcurl", "[http]") {
    auto suits = [](std::string url, std::vector<HttpHeader> headers = {}) {
        HttpRequest request;
        request.url = std::move(url);
        request.headers = std::move(headers);
        return PlainTransport::suits(request);
    };
    CHECK(suits("http://127.0.0.1:8080/v1/embeddings"));
    CHECK(suits("HTTP://LocalHost:11434"));
    CHECK(suits("http://10.0.0.7/v1/embeddings?api-version=2#fragment"));
    CHECK(suits("http://[::1]:8080/v1"));
    CHECK(suits("http://127.0.0.1/x", {{"Authorization", "Bearer k"}, {"Content-Type", "application/json"}}));

    CHECK_FALSE(suits("https://api.openai.com/v1/embeddings"));
    CHECK_FALSE(suits("http://model-server.internal/v1"));  // a name to resolve: libcurl's resolver
    CHECK_FALSE(suits("http://user:secret@127.0.0.1/x"));   // user info: libcurl's basic auth
    CHECK_FALSE(suits("http://127.0.0.1:99999/x"));
    CHECK_FALSE(suits("http://127.0.0.1:/x"));
    CHECK_FALSE(suits("http://127.0.0.1:080/x"));  // libcurl would send Host without the port
    CHECK_FALSE(suits("http://127.1/x"));          // a short form only a resolver reads
    CHECK_FALSE(suits("http://[fe80::1%25eth0]/x"));
    CHECK_FALSE(suits("http://127.0.0.1/v1/../x"));  // libcurl removes dot segments
    CHECK_FALSE(suits("http://127.0.0.1/v1/./x"));
    CHECK_FALSE(suits("http:///x"));
    CHECK_FALSE(suits("http://127.0.0.1/a b"));  // a byte that needs escaping
    CHECK_FALSE(suits("ftp://127.0.0.1/x"));
    for (const char* reserved : {"Host", "content-length", "Transfer-Encoding", "Accept-Encoding", "Expect", "Connection"}) {
        INFO(reserved);
        CHECK_FALSE(suits("http://127.0.0.1/x", {{reserved, "v"}}));
    }
}

TEST_CASE("the plain transport names the default port and drops the fragment as libcurl does", "[http]") {
    LoopbackServer server([](const RecordedRequest&) { return Reply::json(200, "{}"); });
    Loop<PlainTransport> loop;
    auto exchange = loop.send(make_request("GET", "http://LOCALHOST:" + std::to_string(server.port()) + "?q=1#part"));
    REQUIRE(exchange.result.ok());
    auto received = server.requests().at(0);
    CHECK(received.target == "/?q=1");
    CHECK(received.header("Host") == "localhost:" + std::to_string(server.port()));
    CHECK(received.header("Accept") == "*/*");
}

TEST_CASE("the upstream transport sends plain http:// through Beast and hands libcurl what it must interpret",
          "[http]") {
    LoopbackServer server([](const RecordedRequest&) { return Reply::json(200, "{}"); });
    Loop<UpstreamTransport> loop;
    auto plain = loop.send(make_request("GET", server.base_url() + "/plain"));
    auto compressed = make_request("GET", server.base_url() + "/compressed");
    compressed.headers = {{"Accept-Encoding", "gzip"}};
    auto with_curl = loop.send(compressed);

    REQUIRE(plain.result.ok());
    REQUIRE(with_curl.result.ok());
    auto requests = server.requests();
    REQUIRE(requests.size() == 2);
    CHECK_FALSE(requests[0].header("Accept-Encoding"));
    CHECK(requests[1].header("Accept-Encoding") == "gzip");
    // What tells the transports apart: each keeps its own pool, so the second exchange, which
    // one transport would have sent on the first's kept-alive connection, came on a new one.
    CHECK(server.accepted_connections() == 2);
    loop.drain();
    CHECK(loop.transport().in_flight() == 0);
}

TEST_CASE("with a proxy in the environment every request goes through libcurl and the proxy", "[http]") {
    LoopbackServer proxy([](const RecordedRequest&) { return Reply::json(200, R"({"via":"proxy"})"); });
    ::setenv("http_proxy", proxy.base_url().c_str(), 1);
    struct Unset {
        ~Unset() { ::unsetenv("http_proxy"); }
    } unset;
    Loop<UpstreamTransport> loop;
    // An address the plain transport would take, where nothing listens: only the proxy answers.
    const std::string url = "http://127.0.0.1:" + std::to_string(closed_port()) + "/v1/models";
    auto exchange = loop.send(make_request("GET", url));
    REQUIRE(exchange.result.ok());
    CHECK(exchange.result->body == R"({"via":"proxy"})");
    CHECK(proxy.requests().at(0).target == url);
}

TEMPLATE_TEST_CASE("an idle connection the server closed is not used again", "[http]", CurlTransport,
                   PlainTransport) {
    LoopbackServer server([](const RecordedRequest& request) {
        auto reply = Reply::json(200, "\"" + request.path + "\"");
        reply.close_after = request.path == "/first";  // keep-alive advertised, then closed
        return reply;
    });
    Loop<TestType> loop;
    auto first = loop.send(make_request("POST", server.base_url() + "/first"));
    REQUIRE(server.wait_for_half_closed(1, 10s));
    auto second = loop.send(make_request("POST", server.base_url() + "/second"));

    REQUIRE(first.result.ok());
    REQUIRE(second.result.ok());
    CHECK(second.result->body == "\"/second\"");
    // The server still reads the half-closed connection: a request written into it would have
    // been recorded (and then sent again on a new one).
    CHECK(server.request_count() == 2);
    CHECK(server.accepted_connections() == 2);
}

TEMPLATE_TEST_CASE("a request the server acknowledged with a 103 before closing is not sent again", "[http]",
                   CurlTransport, PlainTransport) {
    LoopbackServer server([](const RecordedRequest& request) {
        if (request.path == "/hinted") return Reply::with_fault(Fault::hints_then_close);
        return Reply::json(200, "{}");
    });
    Loop<TestType> loop;
    auto warm = loop.send(make_request("GET", server.base_url() + "/warm"));
    auto hinted = make_request("POST", server.base_url() + "/hinted");
    hinted.body = "start a paid job";
    auto exchange = loop.send(hinted);  // on the kept-alive connection

    REQUIRE(warm.result.ok());
    const auto& error = error_of(exchange);
    CHECK(error.kind == ErrorKind::upstream_error);
    CHECK(server.request_count() == 2);  // the server has it: a second copy could start a second job
}

namespace {

// A server that answers 413 as soon as it has a request's headers, without reading the body,
// then reads and discards whatever comes until the client goes (a careful server's close).
class EarlyAnswerServer {
public:
    EarlyAnswerServer() : acceptor_(io_, {boost::asio::ip::make_address("127.0.0.1"), 0}) {
        thread_ = std::thread([this] { serve(); });
    }
    ~EarlyAnswerServer() {
        // A test that failed before connecting leaves serve() in accept(), which closing the
        // acceptor does not wake: a connection that says nothing does.
        boost::system::error_code ignored;
        boost::asio::ip::tcp::socket poke(io_);
        poke.connect(acceptor_.local_endpoint(), ignored);
        poke.close(ignored);
        thread_.join();
    }
    std::string base_url() const { return "http://127.0.0.1:" + std::to_string(acceptor_.local_endpoint().port()); }

private:
    void serve() {
        boost::system::error_code ec;
        boost::asio::ip::tcp::socket socket(io_);
        acceptor_.accept(socket, ec);
        if (ec) return;
        std::string head;
        char byte = 0;
        while (head.find("\r\n\r\n") == std::string::npos &&
               boost::asio::read(socket, boost::asio::buffer(&byte, 1), ec) == 1) {
            head += byte;
        }
        const std::string answer = "HTTP/1.1 413 Payload Too Large\r\nContent-Type: application/json\r\n"
                                   "Content-Length: 22\r\nConnection: close\r\n\r\n{\"detail\":\"too large\"}";
        boost::asio::write(socket, boost::asio::buffer(answer), ec);
        socket.shutdown(boost::asio::ip::tcp::socket::shutdown_send, ec);
        std::vector<char> sink(64 * 1024);
        while (!ec) socket.read_some(boost::asio::buffer(sink), ec);
    }

    boost::asio::io_context io_;
    boost::asio::ip::tcp::acceptor acceptor_;
    std::thread thread_;
};

}  // namespace

TEMPLATE_TEST_CASE("an answer that comes before the upload is sent is the answer, not a send failure", "[http]",
                   CurlTransport, PlainTransport) {
    EarlyAnswerServer server;
    Loop<TestType> loop;
    auto upload = make_request("POST", server.base_url() + "/api/v2/parse/upload");
    upload.headers = {{"Content-Type", "application/pdf"}};
    upload.body = std::string(32 * 1024 * 1024, 'x');  // far more than the socket buffers hold

    auto exchange = loop.send(upload);

    INFO((exchange.result.ok() ? std::string() : exchange.result.error().message));
    REQUIRE(exchange.result.ok());
    CHECK(exchange.result->status == 413);
    CHECK(exchange.result->body == R"({"detail":"too large"})");
}

TEST_CASE("cancelling through the upstream transport reaches the transport that runs the exchange", "[http]") {
    LoopbackServer server([](const RecordedRequest&) { return Reply::with_fault(Fault::never_answer); });
    Loop<UpstreamTransport> loop;
    for (bool plain : {true, false}) {
        INFO((plain ? "plain" : "libcurl"));
        auto request = make_request("GET", server.base_url() + "/forever");
        request.timeout = 60s;
        if (!plain) request.headers = {{"Accept-Encoding", "gzip"}};  // a header only libcurl sends
        auto promise = std::make_shared<std::promise<Exchange>>();
        auto future = promise->get_future();
        auto id = loop.transport().start(request, [promise](Exchange exchange) { promise->set_value(std::move(exchange)); });
        REQUIRE(server.wait_for_open_connections(1, 10s));
        loop.transport().cancel(id);
        REQUIRE(future.wait_for(10s) == std::future_status::ready);
        auto exchange = future.get();
        CHECK(error_of(exchange).message == "cancelled by the caller during GET " + server.base_url() + "/forever");
        REQUIRE(server.wait_for_open_connections(0, 10s));
    }
    loop.drain();
    CHECK(loop.transport().in_flight() == 0);
}

TEST_CASE("the plain transport sends nothing for a request it does not suit and says why", "[http]") {
    LoopbackServer server([](const RecordedRequest&) { return Reply::json(200, "{}"); });
    Loop<PlainTransport> loop;
    auto request = make_request("GET", server.base_url() + "/x");
    request.headers = {{"Host", "elsewhere.example"}};  // a header only libcurl writes for the caller
    auto exchange = loop.send(request);
    const auto& error = error_of(exchange);
    CHECK(error.kind == ErrorKind::unavailable);
    CHECK(error.message == "not a request the plain transport sends (a plain http:// URL to an IP address or "
                           "localhost, no header it writes itself) for GET " + server.base_url() + "/x");
    CHECK(server.request_count() == 0);
}
