#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <boost/asio/io_context.hpp>

#include "switchboard/host_services.hpp"
#include "switchboard/task.hpp"

namespace switchboard::server {

// One HTTP request as a handler sees it: read whole, body included.
struct Request {
    std::string method;  // "GET", "POST", ...
    std::string target;  // as sent: "/api/v2/parse/abc?expand=text"
    std::string path;    // the target without its query: "/api/v2/parse/abc"
    std::string query;   // after '?', undecoded; "" when none
    std::vector<std::pair<std::string, std::string>> headers;  // as received, in order
    std::string body;
    std::string request_id;  // the caller's x-request-id when it sent a sane one, else a new "req_..."
    std::string peer;        // "127.0.0.1:53422"

    // The first header of that name, compared case-insensitively.
    std::optional<std::string_view> header(std::string_view name) const;
};

// A body made piece by piece, for answers too large to hold (a ledger export): the server sends
// it with chunked transfer encoding (to an HTTP/1.0 client: raw, then closes), asking for the
// next piece only once the previous one is written, so memory stays bounded.
class BodySource {
public:
    virtual ~BodySource() = default;
    // Asks for the next piece. `deliver` is called exactly once, from any thread (possibly before
    // next() returns), with a non-empty piece, "" at the end of the body, or nullopt when making
    // the body failed part-way (the server then closes the connection: the status is already sent).
    virtual void next(std::function<void(std::optional<std::string>)> deliver) = 0;
};

struct Response {
    int status = 200;
    std::string content_type = "application/json";
    std::vector<std::pair<std::string, std::string>> headers;  // added to the server's own
    std::string body;
    std::shared_ptr<BodySource> stream;  // when set, the body comes from it and `body` is ignored
};

// Answers one request. Runs on a server thread; the Task may finish on any thread. Must not throw
// (the server answers 500 with a generic message if it does, and logs it).
using Handler = std::function<Task<Response>(Request)>;

// Requests the server treats apart from its defaults, chosen by path: another API family with
// its own upload size and error shape (LlamaParse's routes beside OpenAI's).
struct RouteOptions {
    std::function<bool(std::string_view path)> applies;
    std::size_t max_body_bytes = 64 * 1024 * 1024;  // beyond: 413, before the body is read
    // The JSON body of an error the server answers itself once it knows the path (413, a
    // malformed or late body); null: OpenAI's error envelope.
    std::function<std::string(std::string_view message)> error_body;
};

struct ServerOptions {
    std::string address = "127.0.0.1";
    std::uint16_t port = 0;  // 0: the system picks a free port; port() says which
    std::size_t max_header_bytes = 16 * 1024;           // beyond: 431
    std::size_t max_body_bytes = 64 * 1024 * 1024;      // beyond: 413, before the body is read
    std::chrono::milliseconds header_timeout{10'000};   // the whole header must arrive within
    std::chrono::milliseconds body_timeout{60'000};     // the whole body must arrive within
    std::chrono::milliseconds idle_timeout{60'000};     // a kept-alive connection with no request
    // The event loops connections are spread over, in turn (each runs its connection's handler
    // calls); empty: the server's own io_context. Each must outlive the server's connections.
    std::vector<boost::asio::io_context*> loops;
    std::vector<RouteOptions> routes;  // the first that applies; none: the defaults above
};

// HTTP/1.1 server (Boost.Beast) on the caller's io_context: keep-alive, size limits, header/body/
// idle timeouts so a slow-drip client cannot hold a connection, and graceful stop. Every
// response carries x-request-id. Run the io_context on as many threads as wanted; the server is
// thread-safe. `handler` and `logger` must outlive it.
class HttpServer {
public:
    HttpServer(boost::asio::io_context& io, ServerOptions options, Handler handler, Logger& logger);
    ~HttpServer();
    HttpServer(const HttpServer&) = delete;
    HttpServer& operator=(const HttpServer&) = delete;

    // Binds and listens. Throws std::runtime_error naming the address and the reason (in use,
    // permission denied, bad address) when it cannot.
    void start();
    std::uint16_t port() const noexcept;  // the bound port, after start()

    // Stops accepting. Requests in flight may finish within `grace`; then every connection is
    // closed. `done` runs once, on a server thread, when nothing is left.
    void stop(std::chrono::milliseconds grace, std::function<void()> done);

    std::size_t open_connections() const noexcept;

private:
    struct State;
    std::shared_ptr<State> state_;
};

}  // namespace switchboard::server
