#include "http/plain_transport.hpp"
#include "http/exchange_checks.hpp"
#include "http/in_flight.hpp"

#include <sys/socket.h>

#include <cerrno>

#include <algorithm>
#include <array>
#include <atomic>
#include <charconv>
#include <chrono>
#include <limits>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include <boost/asio/bind_executor.hpp>
#include <boost/asio/connect.hpp>
#include <boost/asio/defer.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/basic_parser.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/read.hpp>
#include <fmt/format.h>

namespace switchboard::http {

namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
using tcp = asio::ip::tcp;
using std::chrono::milliseconds;
using Clock = std::chrono::steady_clock;

// libcurl's defaults, so both transports give up and reuse alike.
constexpr milliseconds kDefaultConnectTimeout{300'000};
constexpr auto kMaxIdleAge = std::chrono::seconds(118);
constexpr std::uint32_t kHeaderLimit = 100 * 1024;
constexpr std::size_t kIdlePerOrigin = 256;
constexpr std::size_t kIdleTotal = 1024;


char lower(char c) { return c >= 'A' && c <= 'Z' ? char(c - 'A' + 'a') : c; }

bool starts_with_nocase(std::string_view text, std::string_view prefix) {
    return text.size() >= prefix.size() && header_name_equals(text.substr(0, prefix.size()), prefix);
}

// Where an http:// URL points, as the wire and the messages need it.
struct Origin {
    std::string host;         // as written, lower-cased; an IPv6 address keeps its brackets
    std::string port;         // digits; "80" when the URL gives none
    std::string host_header;  // "host", or "host:port" for another port than 80
    std::string target;       // path and query, "/" at least; no fragment
    std::vector<tcp::endpoint> endpoints;  // tried in order
    std::string key;                       // "host:port": the connection pool's
};

// A path segment "." or "..", which libcurl would remove before sending.
bool has_dot_segment(std::string_view path) {
    path = path.substr(0, path.find('?'));
    while (!path.empty()) {
        path.remove_prefix(1);  // the '/'
        auto segment = path.substr(0, path.find('/'));
        if (segment == "." || segment == "..") return true;
        path.remove_prefix(segment.size());
    }
    return false;
}

// Parses the URLs PlainTransport takes: "http://" host [":" port] [path] ["?" query] ["#" ...],
// where the host is an IP address or "localhost", so no name is ever resolved (no resolver
// thread, no DNS wait, no address-family fallback to get right). Anything else (a host name,
// user info, a byte that needs escaping, a dot segment, a port with a leading zero) is libcurl's.
std::optional<Origin> parse_origin(std::string_view url) {
    constexpr std::string_view scheme = "http://";
    if (!starts_with_nocase(url, scheme)) return std::nullopt;
    url.remove_prefix(scheme.size());
    auto authority_end = url.find_first_of("/?#");
    auto authority = url.substr(0, authority_end);
    auto rest = authority_end == std::string_view::npos ? std::string_view() : url.substr(authority_end);

    Origin origin;
    std::string_view port;
    std::vector<asio::ip::address> addresses;
    boost::system::error_code not_an_address;
    if (!authority.empty() && authority.front() == '[') {
        auto close = authority.find(']');
        if (close == std::string_view::npos) return std::nullopt;
        origin.host = std::string(authority.substr(0, close + 1));
        auto after = authority.substr(close + 1);
        if (!after.empty() && (after.front() != ':' || after.size() == 1)) return std::nullopt;
        if (!after.empty()) port = after.substr(1);
        auto address = asio::ip::make_address_v6(authority.substr(1, close - 1), not_an_address);
        if (not_an_address || address.scope_id() != 0) return std::nullopt;
        addresses.push_back(address);
    } else {
        auto colon = authority.find(':');
        auto host = authority.substr(0, colon);
        if (colon != std::string_view::npos) {
            port = authority.substr(colon + 1);
            if (port.empty()) return std::nullopt;
        }
        for (char c : host) origin.host += lower(c);
        if (origin.host == "localhost") {  // as libcurl resolves it, without asking anyone
            addresses.push_back(asio::ip::address_v4::loopback());
            addresses.push_back(asio::ip::address_v6::loopback());
        } else {
            auto address = asio::ip::make_address_v4(host, not_an_address);  // dotted quad only
            if (not_an_address) return std::nullopt;
            addresses.push_back(address);
        }
    }
    if (!port.empty()) {
        if (port.size() > 5 || port.front() == '0' || port.find_first_not_of("0123456789") != std::string_view::npos)
            return std::nullopt;
    }
    origin.port = port.empty() ? "80" : std::string(port);
    unsigned port_number = 0;
    std::from_chars(origin.port.data(), origin.port.data() + origin.port.size(), port_number);
    if (port_number > 65535) return std::nullopt;
    origin.host_header = origin.port == "80" ? origin.host : origin.host + ":" + origin.port;
    origin.key = origin.host + ":" + origin.port;
    for (const auto& address : addresses) origin.endpoints.emplace_back(address, static_cast<unsigned short>(port_number));

    rest = rest.substr(0, rest.find('#'));
    for (unsigned char c : rest) {
        if (c <= ' ' || c >= 0x7f) return std::nullopt;  // libcurl would escape or refuse it
    }
    if (has_dot_segment(rest)) return std::nullopt;
    origin.target = rest.empty() || rest.front() != '/' ? "/" + std::string(rest) : std::string(rest);
    return origin;
}

// Headers the transport writes or interprets itself; a request carrying one goes to libcurl.
bool reserved_header(std::string_view name) {
    for (std::string_view reserved : {"Host", "Content-Length", "Transfer-Encoding", "Accept-Encoding", "Expect",
                                      "Connection"}) {
        if (header_name_equals(name, reserved)) return true;
    }
    return false;
}

bool sends_body(const std::string& method, const std::string& body) {
    return !body.empty() || method == "POST" || method == "PUT" || method == "PATCH";
}

}  // namespace

namespace {

// Where a request this transport suits goes; nullopt for one it does not.
std::optional<Origin> suited_origin(const HttpRequest& request) {
    auto reserved = std::any_of(request.headers.begin(), request.headers.end(),
                                [](const HttpHeader& header) { return reserved_header(header.name); });
    return reserved ? std::nullopt : parse_origin(request.url);
}

}  // namespace

bool PlainTransport::suits(const HttpRequest& request) { return suited_origin(request).has_value(); }

struct PlainTransport::Impl : std::enable_shared_from_this<PlainTransport::Impl> {
    // One TCP connection, with what was read past the last answer (nothing, on a healthy one).
    struct Connection {
        explicit Connection(asio::io_context& io) : socket(io) {}
        tcp::socket socket;
        beast::flat_buffer buffer;
        Clock::time_point idle_since;
    };

    struct Transfer;

    // Reads one response straight into the Transfer's HttpResponse: headers in arrival order with
    // their names as sent, the body appended as it comes (chunked or not).
    class Reader final : public beast::http::basic_parser<false> {
    public:
        explicit Reader(HttpResponse& response) : response_(response) {}

    private:
        void on_request_impl(beast::http::verb, beast::string_view, beast::string_view, int,
                             beast::error_code&) override {}
        void on_response_impl(int code, beast::string_view, int, beast::error_code&) override {
            response_.status = code;
            response_.headers.clear();
            response_.headers.reserve(16);  // a typical API answer's count
        }
        void on_field_impl(beast::http::field, beast::string_view name, beast::string_view value,
                           beast::error_code&) override {
            response_.headers.push_back({std::string(name), std::string(value)});
        }
        void on_header_impl(beast::error_code&) override {}
        void on_body_init_impl(boost::optional<std::uint64_t> const& length, beast::error_code&) override {
            response_.body.clear();
            if (length) response_.body.reserve(static_cast<std::size_t>(*length));
        }
        std::size_t on_body_impl(beast::string_view data, beast::error_code&) override {
            response_.body.append(data.data(), data.size());
            return data.size();
        }
        void on_chunk_header_impl(std::uint64_t, beast::string_view, beast::error_code&) override {}
        std::size_t on_chunk_body_impl(std::uint64_t, beast::string_view data, beast::error_code&) override {
            response_.body.append(data.data(), data.size());
            return data.size();
        }
        void on_finish_impl(beast::error_code&) override {}

        HttpResponse& response_;
    };

    // One exchange: the request as copied at start(), its connection, and what has arrived.
    // Every pending operation holds it, so it outlives its last completion.
    struct Transfer {
        Transfer(asio::io_context& io, Origin origin) : origin(std::move(origin)), timer(io) {}

        ExchangeId id = 0;
        Done done;
        std::string method;
        std::string url;
        Origin origin;
        std::string head;  // request line and headers, ready to send
        std::string body;
        std::optional<milliseconds> connect_timeout;
        std::optional<milliseconds> timeout;
        std::size_t max_bytes = std::numeric_limits<std::size_t>::max();

        Clock::time_point started;
        Clock::time_point connect_started;  // of the connection being made
        asio::steady_timer timer;
        unsigned timer_generation = 0;  // a wait for an older arming is stale
        // The connection in use and, while their operations end, the ones it replaced.
        std::unique_ptr<Connection> connection;
        std::vector<std::unique_ptr<Connection>> retired;
        unsigned attempt = 0;    // completions of an earlier attempt's operations are stale
        bool reused = false;     // the connection came from the pool
        bool retried = false;    // already moved once from a dead reused connection to a fresh one
        bool connected = false;  // a connection was established or reused
        bool sent = false;       // the whole request was written
        std::optional<boost::system::error_code> send_error;  // writing failed (the read decides)
        bool interim_seen = false;  // a 1xx arrived: the server has the request
        bool finished = false;
        HttpResponse response;
        std::optional<Reader> reader;

        std::string where() const { return exchange_where(method, url); }
    };

    explicit Impl(asio::io_context& io) : io_(io), strand_(asio::make_strand(io)) {}

    // ---- called from any thread -------------------------------------------------------------

    // `origin` is the request's, or null for a request this transport does not suit (which then
    // ends in an error, never sent).
    ExchangeId start(const HttpRequest& request, std::optional<Origin> origin, Done done) {
        auto transfer = std::make_shared<Transfer>(io_, origin ? std::move(*origin) : Origin{});
        transfer->id = next_id_.fetch_add(1, std::memory_order_relaxed);
        transfer->done = std::move(done);
        transfer->method = request.method.empty() ? "GET" : request.method;
        transfer->url = request.url;
        transfer->body = request.body;
        transfer->connect_timeout = request.connect_timeout;
        transfer->timeout = request.timeout;
        if (request.max_response_bytes) transfer->max_bytes = *request.max_response_bytes;
        auto problem = origin ? build_head(*transfer, request.headers) : std::optional<Error>(unusable_url(*transfer));
        auto id = transfer->id;
        in_flight_->started();
        asio::defer(strand_, [self = shared_from_this(), transfer = std::move(transfer),
                              problem = std::move(problem)]() mutable {
            if (problem) {
                self->deliver(*transfer, std::move(*problem), false);
            } else {
                self->begin(std::move(transfer));
            }
        });
        return id;
    }

    void cancel(ExchangeId id) {
        asio::post(strand_, [self = shared_from_this(), id] {
            if (self->shut_) return;
            auto it = self->transfers_.find(id);
            if (it == self->transfers_.end()) return;
            auto transfer = it->second;
            const Error cancelled = cancelled_during(transfer->where());
            self->fail(*transfer, cancelled.kind, cancelled.message, false);
        });
    }

    // The owner is going away: abandon everything. Inline when the loop cannot race with us.
    void close() {
        in_flight_->close();
        if (io_.stopped() || strand_.running_in_this_thread()) {
            shutdown();
        } else {
            asio::post(strand_, [self = shared_from_this()] { self->shutdown(); });
        }
    }

    std::size_t in_flight() const { return in_flight_->count(); }

    // ---- building the request ---------------------------------------------------------------

    static Error unusable_url(const Transfer& t) {
        return Error::make(ErrorKind::unavailable,
                           "not a request the plain transport sends (a plain http:// URL to an IP address or "
                           "localhost, no header it writes itself) for " +
                               t.where());
    }

    // The request line and headers as libcurl writes them for the same request.
    static std::optional<Error> build_head(Transfer& t, const std::vector<HttpHeader>& headers) {
        if (auto problem = invalid_header(headers, t.where())) return problem;
        std::size_t size = 64 + t.method.size() + t.origin.target.size() + t.origin.host_header.size();
        bool has_accept = false;
        for (const auto& header : headers) {
            has_accept = has_accept || header_name_equals(header.name, "Accept");
            size += header.name.size() + header.value.size() + 4;
        }
        auto& head = t.head;
        head.reserve(size);
        head.append(t.method).append(" ").append(t.origin.target).append(" HTTP/1.1\r\nHost: ");
        head.append(t.origin.host_header).append("\r\n");
        if (!has_accept) head.append("Accept: */*\r\n");
        for (const auto& header : headers) {
            head.append(header.name).append(header.value.empty() ? ":" : ": ").append(header.value).append("\r\n");
        }
        if (sends_body(t.method, t.body) && t.method != "HEAD") {
            head.append("Content-Length: ").append(std::to_string(t.body.size())).append("\r\n");
        }
        head.append("\r\n");
        if (t.method == "HEAD") t.body.clear();
        return std::nullopt;
    }

    // ---- on the strand ----------------------------------------------------------------------

    void begin(std::shared_ptr<Transfer> transfer) {
        if (shut_) return;
        auto& t = *transfer;
        transfers_.emplace(t.id, transfer);
        t.started = Clock::now();
        if (auto idle = take_idle(t.origin.key)) {
            t.connection = std::move(idle);
            t.reused = true;
            t.connected = true;
            arm_timer(transfer);
            exchange(std::move(transfer));
        } else {
            connect(std::move(transfer));
        }
    }

    // The most recently used live connection to `key`, or null. Connections idle too long, closed
    // by the server or holding bytes nobody asked for are closed on the way.
    std::unique_ptr<Connection> take_idle(const std::string& key) {
        auto it = idle_.find(key);
        if (it == idle_.end()) return nullptr;
        auto& pool = it->second;
        const auto now = Clock::now();
        while (!pool.empty()) {
            auto connection = std::move(pool.back());
            pool.pop_back();
            --idle_count_;
            if (now - connection->idle_since <= kMaxIdleAge && alive(*connection)) return connection;
            close(*connection);
        }
        return nullptr;
    }

    // Idle and healthy: nothing to read yet and no end of stream (one non-blocking peek).
    static bool alive(Connection& connection) {
        if (connection.buffer.size() != 0) return false;
        char byte = 0;
        auto got = ::recv(connection.socket.native_handle(), &byte, 1, MSG_PEEK | MSG_DONTWAIT);
        return got < 0 && (errno == EAGAIN || errno == EWOULDBLOCK);
    }

    static void close(Connection& connection) {
        boost::system::error_code ignored;
        connection.socket.close(ignored);
    }

    void give_back(const Transfer& t, std::unique_ptr<Connection> connection) {
        const auto now = Clock::now();
        if (now - last_sweep_ >= std::chrono::seconds(1)) sweep(now);
        auto& pool = idle_[t.origin.key];
        if (shut_ || pool.size() >= kIdlePerOrigin || idle_count_ >= kIdleTotal || connection->buffer.size() != 0) {
            close(*connection);
            return;
        }
        connection->idle_since = now;
        pool.push_back(std::move(connection));
        ++idle_count_;
    }

    // Closes the idle connections that are too old or that their server closed, in every pool,
    // so a burst's connections do not linger half-closed after it.
    void sweep(Clock::time_point now) {
        last_sweep_ = now;
        for (auto it = idle_.begin(); it != idle_.end();) {
            auto& pool = it->second;
            auto dead = std::remove_if(pool.begin(), pool.end(), [&](std::unique_ptr<Connection>& connection) {
                if (now - connection->idle_since <= kMaxIdleAge && alive(*connection)) return false;
                close(*connection);
                return true;
            });
            idle_count_ -= static_cast<std::size_t>(pool.end() - dead);
            pool.erase(dead, pool.end());
            it = pool.empty() ? idle_.erase(it) : std::next(it);
        }
    }

    // The connect limit while connecting (the request timeout if sooner), the request timeout
    // after. Each arming makes the waits before it stale.
    void arm_timer(const std::shared_ptr<Transfer>& transfer) {
        auto& t = *transfer;
        std::optional<Clock::time_point> deadline;
        if (t.timeout) deadline = t.started + std::max(*t.timeout, milliseconds(1));
        if (!t.connected) {
            auto limit = std::max(t.connect_timeout.value_or(kDefaultConnectTimeout), milliseconds(1));
            auto connect_deadline = t.connect_started + limit;
            deadline = deadline ? std::min(*deadline, connect_deadline) : connect_deadline;
        }
        const unsigned generation = ++t.timer_generation;
        if (!deadline) {
            t.timer.cancel();
            return;
        }
        t.timer.expires_at(*deadline);
        t.timer.async_wait(asio::bind_executor(
            strand_, [self = shared_from_this(), transfer, generation](boost::system::error_code ec) {
                if (ec || transfer->finished || generation != transfer->timer_generation) return;
                self->time_out(*transfer);
            }));
    }

    void time_out(Transfer& t) {
        if (!t.connected) {
            auto limit = t.connect_timeout.value_or(kDefaultConnectTimeout);
            if (t.timeout) limit = std::min(limit, *t.timeout);
            fail(t, ErrorKind::timeout,
                 fmt::format("could not connect to {} within {} ms for {}", t.origin.key, limit.count(), t.where()),
                 true);
            return;
        }
        fail(t, ErrorKind::timeout,
             fmt::format("no complete answer within {} ms from {}", t.timeout.value_or(milliseconds(0)).count(),
                         t.where()),
             true);
    }

    // A new attempt on a new connection; the old one (closed) is kept until its operations end.
    void connect(std::shared_ptr<Transfer> transfer) {
        auto& t = *transfer;
        if (t.connection) t.retired.push_back(std::move(t.connection));
        t.connection = std::make_unique<Connection>(io_);
        t.connected = false;
        t.reused = false;
        t.connect_started = Clock::now();
        arm_timer(transfer);
        const unsigned attempt = ++t.attempt;
        asio::async_connect(
            t.connection->socket, t.origin.endpoints,
            asio::bind_executor(strand_, [self = shared_from_this(), transfer, attempt](boost::system::error_code ec,
                                                                                        const tcp::endpoint&) {
                auto& t = *transfer;
                if (t.finished || attempt != t.attempt) return;
                if (ec) {
                    self->fail(t, ErrorKind::unavailable,
                               fmt::format("could not connect to {} ({}) for {}", t.origin.key, ec.message(), t.where()),
                               true);
                    return;
                }
                boost::system::error_code ignored;
                t.connection->socket.set_option(tcp::no_delay(true), ignored);
                t.connected = true;
                self->arm_timer(transfer);
                self->exchange(transfer);
            }));
    }

    // Writes the request and reads the answer at once, as libcurl does: a server that answers
    // before it has read the whole body (a 413 for an upload too large) is heard, not mistaken
    // for a connection that failed.
    void exchange(std::shared_ptr<Transfer> transfer) {
        auto& t = *transfer;
        const unsigned attempt = t.attempt;
        t.sent = false;
        t.send_error.reset();
        std::array<asio::const_buffer, 2> buffers{asio::buffer(t.head), asio::buffer(t.body)};
        asio::async_write(
            t.connection->socket, buffers,
            asio::bind_executor(strand_, [transfer, attempt](boost::system::error_code ec, std::size_t) {
                auto& t = *transfer;
                if (t.finished || attempt != t.attempt) return;
                // A failed write ends in a failed read too (the connection is gone); the read
                // tells which error it is.
                if (ec) t.send_error = ec;
                else t.sent = true;
            }));
        receive(std::move(transfer));
    }

    // A reused connection that died before a byte of the answer: the server closed it while it
    // was idle. Once per exchange, the request goes again on a fresh connection.
    bool retry_fresh(const std::shared_ptr<Transfer>& transfer) {
        auto& t = *transfer;
        if (!t.reused || t.retried || t.interim_seen || (t.reader && t.reader->got_some())) return false;
        t.retried = true;
        close(*t.connection);
        t.response = HttpResponse{};
        connect(transfer);
        return true;
    }

    void receive(std::shared_ptr<Transfer> transfer) {
        auto& t = *transfer;
        const unsigned attempt = t.attempt;
        t.reader.emplace(t.response);
        t.reader->header_limit(kHeaderLimit);
        t.reader->body_limit(t.max_bytes == std::numeric_limits<std::size_t>::max()
                                 ? boost::optional<std::uint64_t>()
                                 : boost::optional<std::uint64_t>(t.max_bytes));
        if (t.method == "HEAD") t.reader->skip(true);
        beast::http::async_read(
            t.connection->socket, t.connection->buffer, *t.reader,
            asio::bind_executor(strand_, [self = shared_from_this(), transfer, attempt](boost::system::error_code ec,
                                                                                        std::size_t) {
                auto& t = *transfer;
                if (t.finished || attempt != t.attempt) return;
                if (ec) {
                    self->read_failed(transfer, ec);
                    return;
                }
                if (t.response.status >= 100 && t.response.status < 200 && t.response.status != 101) {
                    t.interim_seen = true;  // an interim answer (103 Early Hints): the real one follows
                    self->receive(transfer);
                    return;
                }
                self->answered(t);
            }));
    }

    void answered(Transfer& t) {
        // Reused only when the whole request went out and the answer allows it; an answer that
        // came before the end of the request closes the connection (which ends the write).
        const bool keep = t.sent && t.reader->keep_alive() && t.response.status != 101;
        if (keep) {
            give_back(t, std::move(t.connection));
        } else {
            close(*t.connection);
        }
        finish(t);
        deliver(t, std::move(t.response), false);
    }

    void read_failed(const std::shared_ptr<Transfer>& transfer, boost::system::error_code ec) {
        using error = beast::http::error;
        auto& t = *transfer;
        const std::string where = t.where();
        if (ec == error::body_limit) {
            fail(t, ErrorKind::upstream_error, fmt::format("response body larger than {} bytes from {}", t.max_bytes, where),
                 false);
            return;
        }
        const bool closed = ec == error::end_of_stream || ec == error::partial_message || ec == asio::error::eof;
        const bool reset = ec == asio::error::connection_reset || ec == asio::error::broken_pipe;
        if ((closed || reset) && retry_fresh(transfer)) return;
        const bool header_done = t.reader->is_header_done();
        if (t.send_error && !t.reader->got_some() && !t.interim_seen) {
            fail(t, ErrorKind::unavailable,
                 fmt::format("could not send the request to {} ({}) for {}", t.origin.key, t.send_error->message(),
                             where),
                 true);
        } else if (ec == error::end_of_stream && !t.interim_seen) {
            fail(t, ErrorKind::upstream_error,
                 fmt::format("empty reply: the server closed the connection without answering {}", where), true);
        } else if (closed && header_done) {
            fail(t, ErrorKind::upstream_error, fmt::format("connection closed after {} from {}", body_progress(t), where),
                 true);
        } else if (closed) {
            fail(t, ErrorKind::upstream_error, fmt::format("connection closed before a complete answer from {}", where),
                 true);
        } else if (reset && header_done) {
            fail(t, ErrorKind::upstream_error,
                 fmt::format("connection reset mid-body after {} ({}) from {}", body_progress(t), ec.message(), where),
                 true);
        } else if (reset) {
            fail(t, ErrorKind::upstream_error,
                 fmt::format("connection reset before a complete answer ({}) from {}", ec.message(), where), true);
        } else if (ec == error::header_limit) {
            fail(t, ErrorKind::upstream_error,
                 fmt::format("response headers larger than {} bytes from {}", kHeaderLimit, where), false);
        } else if (ec.category() == beast::http::make_error_code(error::bad_version).category()) {
            fail(t, ErrorKind::upstream_error, fmt::format("malformed HTTP answer ({}) from {}", ec.message(), where), true);
        } else {
            fail(t, ErrorKind::upstream_error, fmt::format("{} from {}", ec.message(), where), true);
        }
    }

    static std::string body_progress(const Transfer& t) {
        auto expected = t.reader->content_length();
        return expected ? fmt::format("{} of {} body bytes", t.response.body.size(), *expected)
                        : fmt::format("{} body bytes", t.response.body.size());
    }

    // Ends an exchange with an error: its connection closes (any operation on it ends at once).
    void fail(Transfer& t, ErrorKind kind, std::string message, bool retryable) {
        if (t.connection) close(*t.connection);
        finish(t);
        deliver(t, Error::make(kind, std::move(message)), retryable);
    }

    void finish(Transfer& t) {
        t.finished = true;
        ++t.timer_generation;
        t.timer.cancel();
        transfers_.erase(t.id);
    }

    // Hands the outcome to `done` off the strand.
    void deliver(Transfer& t, Result<HttpResponse> result, bool retryable) {
        Exchange exchange;
        exchange.result = std::move(result);
        exchange.retryable = retryable;
        in_flight_->deliver(io_, std::move(t.done), std::move(exchange));
    }

    void shutdown() {
        if (shut_) return;
        shut_ = true;
        for (auto& [id, transfer] : transfers_) {
            transfer->finished = true;
            transfer->done = nullptr;  // destroyed without being called
            transfer->timer.cancel();
            if (transfer->connection) close(*transfer->connection);
        }
        transfers_.clear();
        for (auto& [key, pool] : idle_) {
            for (auto& connection : pool) close(*connection);
        }
        idle_.clear();
        idle_count_ = 0;
    }

    asio::io_context& io_;
    asio::strand<asio::io_context::executor_type> strand_;
    std::unordered_map<ExchangeId, std::shared_ptr<Transfer>> transfers_;
    std::unordered_map<std::string, std::vector<std::unique_ptr<Connection>>> idle_;  // by Origin::key
    std::size_t idle_count_ = 0;  // in all pools
    Clock::time_point last_sweep_{};
    bool shut_ = false;
    std::atomic<ExchangeId> next_id_{1};
    std::shared_ptr<InFlight> in_flight_ = std::make_shared<InFlight>();
};

PlainTransport::PlainTransport(boost::asio::io_context& io) : impl_(std::make_shared<Impl>(io)) {}

PlainTransport::~PlainTransport() { impl_->close(); }

Transport::ExchangeId PlainTransport::start(const HttpRequest& request, Done done) {
    return impl_->start(request, suited_origin(request), std::move(done));
}

std::optional<Transport::ExchangeId> PlainTransport::start_if_suited(const HttpRequest& request, Done& done) {
    auto origin = suited_origin(request);
    if (!origin) return std::nullopt;
    return impl_->start(request, std::move(origin), std::move(done));
}

void PlainTransport::cancel(ExchangeId id) { impl_->cancel(id); }

std::size_t PlainTransport::in_flight() const { return impl_->in_flight(); }

}  // namespace switchboard::http
