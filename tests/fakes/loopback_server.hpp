#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "switchboard/http.hpp"

namespace switchboard::testing {

// A request as the loopback server received it.
struct RecordedRequest {
    std::string method;                // "POST"
    std::string target;                // "/v1/embeddings?x=1", as sent
    std::string path;                  // "/v1/embeddings"
    std::string query;                 // "x=1" (no '?'); empty when none
    std::vector<HttpHeader> headers;   // in arrival order, names as sent
    std::string body;

    std::optional<std::string_view> header(std::string_view name) const { return find_header(headers, name); }
    // Values of a query parameter, in order ("expand=a&expand=b" -> {"a","b"}); not URL-decoded.
    std::vector<std::string> query_values(std::string_view name) const;
};

// How the server misbehaves while answering.
enum class Fault {
    none,
    never_answer,    // read the request, then hold the connection open and say nothing
    truncate_body,   // send headers with the full Content-Length, half the body, then close (FIN)
    reset_mid_body,  // send headers and half the body, then reset the connection (RST)
    trickle,         // send the body one byte per `trickle_interval`
    close_at_once,   // close the connection without answering
    hints_then_close,  // send a "103 Early Hints" interim answer, then close without the answer
};

struct Reply {
    int status = 200;
    std::vector<HttpHeader> headers;  // Content-Length is added by the server
    std::string body;
    std::chrono::milliseconds delay{0};  // real time the server waits before answering
    Fault fault = Fault::none;
    std::chrono::milliseconds trickle_interval{50};
    bool chunked = false;      // the body goes with Transfer-Encoding: chunked, 7 bytes a chunk
    bool early_hints = false;  // a "103 Early Hints" interim answer goes first
    bool close_after = false;  // after the answer the server ends its side (FIN), keep-alive or not

    // status + Content-Type: application/json + body
    static Reply json(int status, std::string body);
    // A 200 without a body and with `fault`: the fakes read it as "your normal answer,
    // delivered with this fault".
    static Reply with_fault(Fault fault) {
        Reply reply;
        reply.fault = fault;
        return reply;
    }
};

// An HTTP/1.1 server on 127.0.0.1 with an ephemeral port, on its own thread (Boost.Beast), for
// tests and benchmarks: every request is recorded, then answered by `handler` (called on the
// server thread, one request at a time). Keep-alive is honoured. Many thousands of concurrent
// connections are fine (asynchronous; delays are timers, not sleeps).
class LoopbackServer {
public:
    using Handler = std::function<Reply(const RecordedRequest&)>;

    explicit LoopbackServer(Handler handler);
    ~LoopbackServer();  // closes every connection, stops the thread
    LoopbackServer(const LoopbackServer&) = delete;
    LoopbackServer& operator=(const LoopbackServer&) = delete;

    std::uint16_t port() const;
    std::string base_url() const;  // "http://127.0.0.1:PORT"

    std::vector<RecordedRequest> requests() const;  // copies, in arrival order
    std::size_t request_count() const;
    void clear_requests();
    // Blocks until at least `count` requests arrived or `limit` passed; false on timeout. For a
    // test to synchronise with the server thread, never as a sleep.
    bool wait_for_requests(std::size_t count, std::chrono::milliseconds limit) const;
    // Connections currently open (a cancelled client call shows up as a closed connection).
    std::size_t open_connections() const;
    // Blocks until open_connections() == count or `limit` passed; false on timeout.
    bool wait_for_open_connections(std::size_t count, std::chrono::milliseconds limit) const;
    // Blocks until `count` connections were half-closed after a close_after answer, or `limit`.
    bool wait_for_half_closed(std::size_t count, std::chrono::milliseconds limit) const;
    // Connections accepted since the server started (keep-alive reuse shows as fewer of them).
    std::size_t accepted_connections() const;

private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

}  // namespace switchboard::testing
