#include "http/plain_transport.hpp"
#include "http/url_text.hpp"

#include <sys/socket.h>

#include <cerrno>

#include <algorithm>
#include <array>
#include <atomic>
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

bool has_line_break(std::string_view text) { return text.find_first_of("\r\n") != std::string_view::npos; }

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
    std::string key() const { return host + ":" + port; }
    std::string address() const {  // the host as a resolver takes it
        return host.front() == '[' ? host.substr(1, host.size() - 2) : host;
    }
};

// Parses the URLs PlainTransport takes: "http://" host [":" port] [path] ["?" query] ["#" ...].
// Anything else (user info, an unusual host, a byte that needs escaping) is libcurl's.
std::optional<Origin> parse_origin(std::string_view url) {
    constexpr std::string_view scheme = "http://";
    if (!starts_with_nocase(url, scheme)) return std::nullopt;
    url.remove_prefix(scheme.size());
    auto authority_end = url.find_first_of("/?#");
    auto authority = url.substr(0, authority_end);
    auto rest = authority_end == std::string_view::npos ? std::string_view() : url.substr(authority_end);

    Origin origin;
    std::string_view host;
    std::string_view port;
    if (!authority.empty() && authority.front() == '[') {
        auto close = authority.find(']');
        if (close == std::string_view::npos) return std::nullopt;
        host = authority.substr(0, close + 1);
        auto after = authority.substr(close + 1);
        if (!after.empty()) {
            if (after.front() != ':') return std::nullopt;
            port = after.substr(1);
        }
        if (host.size() < 3 || host.find_first_not_of("[]:.0123456789abcdefABCDEF") != std::string_view::npos)
            return std::nullopt;
    } else {
        auto colon = authority.find(':');
        host = authority.substr(0, colon);
        if (colon != std::string_view::npos) port = authority.substr(colon + 1);
        if (host.empty() || host.find_first_not_of("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.-_") !=
                                std::string_view::npos)
            return std::nullopt;
    }
    if (authority.find_first_of(":", host.size()) != std::string_view::npos && port.empty()) return std::nullopt;
    if (!port.empty()) {
        if (port.size() > 5 || port.find_first_not_of("0123456789") != std::string_view::npos) return std::nullopt;
        int value = std::stoi(std::string(port));
        if (value < 1 || value > 65535) return std::nullopt;
    }
    for (char c : host) origin.host += lower(c);
    origin.port = port.empty() ? "80" : std::string(port);
    origin.host_header = origin.port == "80" ? origin.host : origin.host + ":" + origin.port;

    rest = rest.substr(0, rest.find('#'));
    for (unsigned char c : rest) {
        if (c <= ' ' || c >= 0x7f) return std::nullopt;  // libcurl would escape or refuse it
    }
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

bool PlainTransport::suits(const HttpRequest& request) {
    if (!parse_origin(request.url)) return false;
    return std::none_of(request.headers.begin(), request.headers.end(),
                        [](const HttpHeader& header) { return reserved_header(header.name); });
}

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
        asio::steady_timer timer;
        unsigned timer_generation = 0;  // a wait for an older arming is stale
        std::unique_ptr<Connection> connection;
        bool reused = false;     // the connection came from the pool
        bool retried = false;    // already moved once from a dead reused connection to a fresh one
        bool connected = false;  // a connection was established or reused
        bool finished = false;
        HttpResponse response;
        std::optional<Reader> reader;

        std::string where() const { return method + " " + url_for_messages(url); }
    };

    explicit Impl(asio::io_context& io) : io_(io), strand_(asio::make_strand(io)), resolver_(strand_) {}

    // ---- called from any thread -------------------------------------------------------------

    ExchangeId start(const HttpRequest& request, Done done) {
        auto origin = parse_origin(request.url);
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
        in_flight_.fetch_add(1, std::memory_order_relaxed);
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
            self->fail(*transfer, ErrorKind::timeout, "cancelled by the caller during " + transfer->where(), false);
        });
    }

    // The owner is going away: abandon everything. Inline when the loop cannot race with us.
    void close() {
        closed_.store(true, std::memory_order_release);
        if (io_.stopped() || strand_.running_in_this_thread()) {
            shutdown();
        } else {
            asio::post(strand_, [self = shared_from_this()] { self->shutdown(); });
        }
    }

    std::size_t in_flight() const { return in_flight_.load(std::memory_order_acquire); }

    // ---- building the request ---------------------------------------------------------------

    static Error unusable_url(const Transfer& t) {
        return Error::make(ErrorKind::unavailable, "unusable URL (not a plain http:// URL) for " + t.where());
    }

    // The request line and headers as libcurl writes them for the same request.
    static std::optional<Error> build_head(Transfer& t, const std::vector<HttpHeader>& headers) {
        std::size_t size = 64 + t.method.size() + t.origin.target.size() + t.origin.host_header.size();
        bool has_accept = false;
        for (const auto& header : headers) {
            if (has_line_break(header.name) || has_line_break(header.value) || header.name.empty() ||
                header.name.find(':') != std::string::npos) {
                return Error::make(ErrorKind::bad_request,
                                   "header \"" + (has_line_break(header.name) ? std::string("?") : header.name) +
                                       "\" is not a valid HTTP header (empty name, ':' or a line break) in " +
                                       t.where());
            }
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
        if (auto idle = take_idle(t.origin.key())) {
            t.connection = std::move(idle);
            t.reused = true;
            t.connected = true;
            arm_timer(transfer);
            send(std::move(transfer));
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
            if (now - connection->idle_since <= kMaxIdleAge && alive(*connection)) return connection;
            boost::system::error_code ignored;
            connection->socket.close(ignored);
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

    void give_back(const Transfer& t, std::unique_ptr<Connection> connection) {
        auto& pool = idle_[t.origin.key()];
        if (shut_ || pool.size() >= kIdlePerOrigin || connection->buffer.size() != 0) {
            boost::system::error_code ignored;
            connection->socket.close(ignored);
            return;
        }
        connection->idle_since = Clock::now();
        pool.push_back(std::move(connection));
    }

    // The connect limit while connecting (the request timeout if sooner), the request timeout
    // after. Each arming makes the waits before it stale.
    void arm_timer(const std::shared_ptr<Transfer>& transfer) {
        auto& t = *transfer;
        std::optional<Clock::time_point> deadline;
        if (t.timeout) deadline = t.started + std::max(*t.timeout, milliseconds(1));
        if (!t.connected) {
            auto connect_deadline = t.started + std::max(t.connect_timeout.value_or(kDefaultConnectTimeout), milliseconds(1));
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
                 fmt::format("could not connect to {} within {} ms for {}", t.origin.key(), limit.count(), t.where()),
                 true);
            return;
        }
        fail(t, ErrorKind::timeout,
             fmt::format("no complete answer within {} ms from {}", t.timeout.value_or(milliseconds(0)).count(),
                         t.where()),
             true);
    }

    void connect(std::shared_ptr<Transfer> transfer) {
        auto& t = *transfer;
        t.connection = std::make_unique<Connection>(io_);
        t.connected = false;
        t.reused = false;
        arm_timer(transfer);
        boost::system::error_code not_an_address;
        auto address = asio::ip::make_address(t.origin.address(), not_an_address);
        if (!not_an_address) {
            auto port = static_cast<unsigned short>(std::stoi(t.origin.port));
            std::array<tcp::endpoint, 1> endpoints{tcp::endpoint(address, port)};
            connect_to(std::move(transfer), endpoints);
            return;
        }
        resolver_.async_resolve(
            t.origin.address(), t.origin.port,
            asio::bind_executor(strand_, [self = shared_from_this(), transfer](boost::system::error_code ec,
                                                                               tcp::resolver::results_type results) {
                auto& t = *transfer;
                if (t.finished) return;
                if (ec) {
                    self->fail(t, ErrorKind::unavailable,
                               fmt::format("could not resolve host {} for {}", t.origin.host, t.where()), true);
                    return;
                }
                self->connect_to(transfer, results);
            }));
    }

    template <typename Endpoints>
    void connect_to(std::shared_ptr<Transfer> transfer, const Endpoints& endpoints) {
        auto& socket = transfer->connection->socket;
        asio::async_connect(
            socket, endpoints,
            asio::bind_executor(strand_, [self = shared_from_this(), transfer](boost::system::error_code ec, const auto&) {
                auto& t = *transfer;
                if (t.finished) return;
                if (ec) {
                    self->fail(t, ErrorKind::unavailable,
                               fmt::format("could not connect to {} ({}) for {}", t.origin.key(), ec.message(), t.where()),
                               true);
                    return;
                }
                boost::system::error_code ignored;
                t.connection->socket.set_option(tcp::no_delay(true), ignored);
                t.connected = true;
                self->arm_timer(transfer);
                self->send(transfer);
            }));
    }

    void send(std::shared_ptr<Transfer> transfer) {
        auto& t = *transfer;
        std::array<asio::const_buffer, 2> buffers{asio::buffer(t.head), asio::buffer(t.body)};
        asio::async_write(
            t.connection->socket, buffers,
            asio::bind_executor(strand_, [self = shared_from_this(), transfer](boost::system::error_code ec, std::size_t) {
                auto& t = *transfer;
                if (t.finished) return;
                if (ec) {
                    if (self->retry_fresh(transfer)) return;
                    self->fail(t, ErrorKind::unavailable,
                               fmt::format("could not send the request to {} ({}) for {}", t.origin.key(), ec.message(),
                                           t.where()),
                               true);
                    return;
                }
                self->receive(transfer);
            }));
    }

    // A reused connection that died before a byte of the answer: the server closed it while it
    // was idle. Once per exchange, the request goes again on a fresh connection.
    bool retry_fresh(const std::shared_ptr<Transfer>& transfer) {
        auto& t = *transfer;
        if (!t.reused || t.retried || (t.reader && t.reader->got_some())) return false;
        t.retried = true;
        boost::system::error_code ignored;
        t.connection->socket.close(ignored);
        t.reader.reset();
        t.response = HttpResponse{};
        connect(transfer);
        return true;
    }

    void receive(std::shared_ptr<Transfer> transfer) {
        auto& t = *transfer;
        t.reader.emplace(t.response);
        t.reader->header_limit(kHeaderLimit);
        t.reader->body_limit(t.max_bytes == std::numeric_limits<std::size_t>::max()
                                 ? boost::optional<std::uint64_t>()
                                 : boost::optional<std::uint64_t>(t.max_bytes));
        if (t.method == "HEAD") t.reader->skip(true);
        beast::http::async_read(
            t.connection->socket, t.connection->buffer, *t.reader,
            asio::bind_executor(strand_, [self = shared_from_this(), transfer](boost::system::error_code ec, std::size_t) {
                auto& t = *transfer;
                if (t.finished) return;
                if (ec) {
                    self->read_failed(transfer, ec);
                    return;
                }
                if (t.response.status >= 100 && t.response.status < 200 && t.response.status != 101) {
                    self->receive(transfer);  // an interim answer (103 Early Hints): the real one follows
                    return;
                }
                self->answered(t);
            }));
    }

    void answered(Transfer& t) {
        const bool keep = t.reader->keep_alive() && t.response.status != 101;
        auto connection = std::move(t.connection);
        if (keep) {
            give_back(t, std::move(connection));
        } else {
            boost::system::error_code ignored;
            connection->socket.close(ignored);
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
        if (ec == error::end_of_stream) {
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
        if (t.connection) {
            boost::system::error_code ignored;
            t.connection->socket.close(ignored);
        }
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
        asio::defer(io_, [self = shared_from_this(), done = std::move(t.done), exchange = std::move(exchange)]() mutable {
            struct Finish {
                Impl* impl;
                ~Finish() { impl->in_flight_.fetch_sub(1, std::memory_order_acq_rel); }
            } finish{self.get()};
            if (!self->closed_.load(std::memory_order_acquire) && done) done(std::move(exchange));
        });
    }

    void shutdown() {
        if (shut_) return;
        shut_ = true;
        resolver_.cancel();
        for (auto& [id, transfer] : transfers_) {
            transfer->finished = true;
            transfer->done = nullptr;  // destroyed without being called
            transfer->timer.cancel();
            if (transfer->connection) {
                boost::system::error_code ignored;
                transfer->connection->socket.close(ignored);
            }
        }
        transfers_.clear();
        for (auto& [key, pool] : idle_) {
            for (auto& connection : pool) {
                boost::system::error_code ignored;
                connection->socket.close(ignored);
            }
        }
        idle_.clear();
    }

    asio::io_context& io_;
    asio::strand<asio::io_context::executor_type> strand_;
    tcp::resolver resolver_;
    std::unordered_map<ExchangeId, std::shared_ptr<Transfer>> transfers_;
    std::unordered_map<std::string, std::vector<std::unique_ptr<Connection>>> idle_;  // by Origin::key()
    bool shut_ = false;
    std::atomic<bool> closed_{false};
    std::atomic<ExchangeId> next_id_{1};
    std::atomic<std::size_t> in_flight_{0};
};

PlainTransport::PlainTransport(boost::asio::io_context& io) : impl_(std::make_shared<Impl>(io)) {}

PlainTransport::~PlainTransport() { impl_->close(); }

Transport::ExchangeId PlainTransport::start(const HttpRequest& request, Done done) {
    return impl_->start(request, std::move(done));
}

void PlainTransport::cancel(ExchangeId id) { impl_->cancel(id); }

std::size_t PlainTransport::in_flight() const { return impl_->in_flight(); }

}  // namespace switchboard::http
