#include "http/curl_transport.hpp"
#include "http/exchange_checks.hpp"
#include "http/in_flight.hpp"

#include <fcntl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <cerrno>
#include <charconv>
#include <chrono>
#include <limits>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <system_error>
#include <unordered_map>
#include <utility>
#include <vector>

#include <boost/asio/bind_executor.hpp>
#include <boost/asio/defer.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <curl/curl.h>
#include <fmt/format.h>

namespace switchboard::http {

namespace {

namespace asio = boost::asio;
using std::chrono::milliseconds;

bool global_init() {
    static const bool ok = curl_global_init(CURL_GLOBAL_DEFAULT) == CURLE_OK;
    return ok;
}

std::string_view trim(std::string_view text) {
    while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) text.remove_prefix(1);
    while (!text.empty() && (text.back() == ' ' || text.back() == '\t' || text.back() == '\r' ||
                             text.back() == '\n'))
        text.remove_suffix(1);
    return text;
}


// "host:port" of the URL's origin, default port filled in.
std::string origin_of(const std::string& url) {
    std::string result = "the server";
    CURLU* parsed = curl_url();
    if (!parsed) return result;
    if (curl_url_set(parsed, CURLUPART_URL, url.c_str(), 0) == CURLUE_OK) {
        char* host = nullptr;
        char* port = nullptr;
        if (curl_url_get(parsed, CURLUPART_HOST, &host, 0) == CURLUE_OK &&
            curl_url_get(parsed, CURLUPART_PORT, &port, CURLU_DEFAULT_PORT) == CURLUE_OK) {
            result = std::string(host) + ":" + port;
        }
        curl_free(host);
        curl_free(port);
    }
    curl_url_cleanup(parsed);
    return result;
}

std::string host_of(const std::string& url) {
    auto origin = origin_of(url);
    auto colon = origin.rfind(':');
    return colon == std::string::npos ? origin : origin.substr(0, colon);
}

}  // namespace

struct CurlTransport::Impl : std::enable_shared_from_this<CurlTransport::Impl> {
    // libcurl 7.x walks a multi handle's whole connection cache when a finished transfer is
    // removed and when a new one looks for a connection, so one multi handle costs O(n) per
    // exchange with n connections. Exchanges therefore fill multi handles of kShardCapacity
    // each, in order: a quiet client uses only the first (and reuses its connections), a busy
    // one spreads over several and every step stays O(kShardCapacity).
    static constexpr std::size_t kShardCapacity = 128;
    // Finished easy handles kept for the next exchanges: making one and freeing it cost more than
    // curl_easy_reset and its options. Connections are not in them but in the multi handles.
    static constexpr std::size_t kIdleHandles = 64;

    struct Shard {
        Shard(Impl& impl, asio::io_context& io) : impl(impl), timer(io) {
            multi = curl_multi_init();
            if (!multi) throw std::runtime_error("libcurl could not create a multi handle");
            curl_multi_setopt(multi, CURLMOPT_SOCKETFUNCTION, &Impl::socket_callback);
            curl_multi_setopt(multi, CURLMOPT_SOCKETDATA, this);
            curl_multi_setopt(multi, CURLMOPT_TIMERFUNCTION, &Impl::timer_callback);
            curl_multi_setopt(multi, CURLMOPT_TIMERDATA, this);
            // Keep idle connections for a full shard's worth of exchanges (libcurl's default
            // shrinks with the number of transfers still running and drops them at the tail).
            curl_multi_setopt(multi, CURLMOPT_MAXCONNECTS, static_cast<long>(2 * kShardCapacity));
        }
        Impl& impl;
        CURLM* multi = nullptr;
        asio::steady_timer timer;  // libcurl's one timeout for this multi handle
        bool timeout_posted = false;
        std::size_t active = 0;  // transfers added and not yet removed
    };

    // One exchange: the request as copied at start(), the easy handle, and what has arrived.
    struct Transfer {
        Impl* owner = nullptr;
        ExchangeId id = 0;
        Done done;
        std::string method;
        std::string url;
        std::string body;
        std::vector<HttpHeader> headers;
        std::optional<milliseconds> connect_timeout;
        std::optional<milliseconds> timeout;
        std::size_t max_bytes = std::numeric_limits<std::size_t>::max();

        Shard* shard = nullptr;
        CURL* easy = nullptr;
        curl_slist* header_list = nullptr;
        std::array<char, CURL_ERROR_SIZE> error_buffer{};

        std::vector<HttpHeader> response_headers;
        std::string response_body;
        int status = 0;
        bool headers_complete = false;  // the final (non-1xx) header block has ended
        bool connected = false;         // a connection was established or reused
        bool too_large = false;

        ~Transfer() {
            if (easy) owner->recycle(easy);  // removed from the multi handle before
            if (header_list) curl_slist_free_all(header_list);
        }

        std::string where() const { return exchange_where(method, url); }
    };

    // One socket libcurl uses. Waits hold a shared_ptr to it, so a completion that arrives after
    // the socket was closed (and its fd number perhaps reused) sees `closed` and does nothing.
    // A connection socket is ours (opened and closed through libcurl's callbacks) and watched
    // directly. Any other fd libcurl asks us to watch (the threaded resolver's wake-up pipe) is
    // libcurl's, which may close it before telling us: we watch a dup of it, so our epoll
    // registration never outlives or touches an fd number that now belongs to someone else.
    struct Socket {
        Socket(asio::io_context& io, Shard& shard, curl_socket_t fd, int watched_fd, bool owned)
            : descriptor(io, watched_fd), shard(&shard), fd(fd), owned(owned) {}
        asio::posix::stream_descriptor descriptor;  // `fd` itself when owned, else our dup of it
        Shard* shard;
        curl_socket_t fd;  // the number libcurl knows
        bool owned;
        bool closed = false;
        int wanted = 0;  // CURL_POLL_IN / CURL_POLL_OUT bits
        bool read_armed = false;
        bool write_armed = false;
    };

    explicit Impl(asio::io_context& io) : io_(io), strand_(asio::make_strand(io)) {
        if (!global_init()) throw std::runtime_error("libcurl could not be initialised (curl_global_init failed)");
        shards_.push_back(std::make_unique<Shard>(*this, io_));
    }

    ~Impl() { shutdown(); }

    // ---- called from any thread -------------------------------------------------------------

    ExchangeId start(const HttpRequest& request, Done done) {
        auto transfer = std::make_unique<Transfer>();
        transfer->owner = this;
        transfer->id = next_id_.fetch_add(1, std::memory_order_relaxed);
        transfer->done = std::move(done);
        transfer->method = request.method.empty() ? "GET" : request.method;
        transfer->url = request.url;
        transfer->body = request.body;
        transfer->headers = request.headers;
        transfer->connect_timeout = request.connect_timeout;
        transfer->timeout = request.timeout;
        if (request.max_response_bytes) transfer->max_bytes = *request.max_response_bytes;
        auto id = transfer->id;
        in_flight_->started();
        asio::defer(strand_, [self = shared_from_this(), transfer = std::move(transfer)]() mutable {
            self->begin(std::move(transfer));
        });
        return id;
    }

    void cancel(ExchangeId id) {
        asio::post(strand_, [self = shared_from_this(), id] {
            if (self->shut_) return;
            auto it = self->transfers_.find(id);
            if (it == self->transfers_.end()) return;
            auto transfer = std::move(it->second);
            self->transfers_.erase(it);
            self->remove(*transfer);  // closes its connection
            Exchange exchange;
            exchange.result = cancelled_during(transfer->where());
            exchange.retryable = false;
            self->deliver(std::move(transfer), std::move(exchange));
        });
    }

    // The owner is going away: abandon everything. Inline when the loop cannot race with us:
    // the owner calls this only after run() has returned on every thread, or on the strand.
    void close() {
        in_flight_->close();
        if (io_.stopped() || strand_.running_in_this_thread()) {
            shutdown();
        } else {
            asio::post(strand_, [self = shared_from_this()] { self->shutdown(); });
        }
    }

    std::size_t in_flight() const { return in_flight_->count(); }

    // ---- on the strand ----------------------------------------------------------------------

    void begin(std::unique_ptr<Transfer> transfer) {
        if (shut_) return;
        if (auto problem = configure(*transfer)) {
            Exchange exchange;
            exchange.result = std::move(*problem);
            deliver(std::move(transfer), std::move(exchange));
            return;
        }
        Shard* shard = pick_shard();
        if (shard) curl_easy_setopt(transfer->easy, CURLOPT_OPENSOCKETDATA, shard);
        if (!shard || curl_multi_add_handle(shard->multi, transfer->easy) != CURLM_OK) {
            Exchange exchange;
            exchange.result = Error::make(ErrorKind::internal, "libcurl refused to start " + transfer->where());
            deliver(std::move(transfer), std::move(exchange));
            return;
        }
        transfer->shard = shard;
        ++shard->active;
        auto id = transfer->id;
        transfers_.emplace(id, std::move(transfer));
    }

    // The first multi handle with room, a new one when all are full.
    Shard* pick_shard() {
        for (auto& shard : shards_) {
            if (shard->active < kShardCapacity) return shard.get();
        }
        try {
            shards_.push_back(std::make_unique<Shard>(*this, io_));
        } catch (const std::exception&) {
            return nullptr;
        }
        return shards_.back().get();
    }

    void remove(Transfer& transfer) {
        if (!transfer.shard) return;
        curl_multi_remove_handle(transfer.shard->multi, transfer.easy);
        --transfer.shard->active;
        transfer.shard = nullptr;
    }

    std::optional<Error> configure(Transfer& t) {
        if (auto problem = invalid_header(t.headers, t.where())) return problem;
        if (!idle_handles_.empty()) {
            t.easy = idle_handles_.back();
            idle_handles_.pop_back();
        } else {
            t.easy = curl_easy_init();
        }
        if (!t.easy) return Error::make(ErrorKind::internal, "libcurl could not create a handle for " + t.where());
        CURL* e = t.easy;
        curl_easy_setopt(e, CURLOPT_URL, t.url.c_str());
        curl_easy_setopt(e, CURLOPT_PRIVATE, &t);
        curl_easy_setopt(e, CURLOPT_ERRORBUFFER, t.error_buffer.data());
        curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
#if LIBCURL_VERSION_NUM >= 0x075700
        // Removing a transfer still resolving its host name must not wait for the resolver
        // thread: a cancel would otherwise stall the whole event loop for as long as DNS takes.
        curl_easy_setopt(e, CURLOPT_QUICK_EXIT, 1L);
#endif
        curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "http,https");
        curl_easy_setopt(e, CURLOPT_FOLLOWLOCATION, 0L);
        curl_easy_setopt(e, CURLOPT_ACCEPT_ENCODING, "");
        curl_easy_setopt(e, CURLOPT_SUPPRESS_CONNECT_HEADERS, 1L);
        curl_easy_setopt(e, CURLOPT_OPENSOCKETFUNCTION, &Impl::open_socket_callback);
        curl_easy_setopt(e, CURLOPT_OPENSOCKETDATA, nullptr);  // set to the shard when added
        curl_easy_setopt(e, CURLOPT_CLOSESOCKETFUNCTION, &Impl::close_socket_callback);
        curl_easy_setopt(e, CURLOPT_CLOSESOCKETDATA, this);
        curl_easy_setopt(e, CURLOPT_PREREQFUNCTION, &Impl::prereq_callback);
        curl_easy_setopt(e, CURLOPT_PREREQDATA, &t);
        curl_easy_setopt(e, CURLOPT_HEADERFUNCTION, &Impl::header_callback);
        curl_easy_setopt(e, CURLOPT_HEADERDATA, &t);
        curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, &Impl::write_callback);
        curl_easy_setopt(e, CURLOPT_WRITEDATA, &t);
        // 0 means "no limit" to libcurl; a caller whose time is up means 1 ms.
        auto at_least_1ms = [](milliseconds limit) { return static_cast<long>(std::max<milliseconds::rep>(limit.count(), 1)); };
        if (t.connect_timeout) curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT_MS, at_least_1ms(*t.connect_timeout));
        if (t.timeout) curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, at_least_1ms(*t.timeout));

        bool sends_body = !t.body.empty() || t.method == "POST" || t.method == "PUT" || t.method == "PATCH";
        if (t.method == "HEAD") {
            curl_easy_setopt(e, CURLOPT_NOBODY, 1L);
        } else if (sends_body) {
            curl_easy_setopt(e, CURLOPT_POSTFIELDS, t.body.data());
            curl_easy_setopt(e, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(t.body.size()));
            if (t.method != "POST") curl_easy_setopt(e, CURLOPT_CUSTOMREQUEST, t.method.c_str());
        } else if (t.method == "GET") {
            curl_easy_setopt(e, CURLOPT_HTTPGET, 1L);
        } else {
            curl_easy_setopt(e, CURLOPT_CUSTOMREQUEST, t.method.c_str());
        }

        bool appended = true;
        auto append = [&t, &appended](const std::string& line) {
            auto* list = curl_slist_append(t.header_list, line.c_str());
            if (list) t.header_list = list;
            appended = appended && list;
        };
        bool has_content_type = false;
        for (const auto& header : t.headers) {
            if (header_name_equals(header.name, "Content-Type")) has_content_type = true;
            // "Name;" is how libcurl is told to send a header with an empty value.
            append(header.value.empty() ? header.name + ";" : header.name + ": " + header.value);
        }
        append("Expect:");  // no 100-continue round trip before a body
        if (sends_body && !has_content_type) append("Content-Type:");  // not curl's form default
        if (!appended) return Error::make(ErrorKind::internal, "out of memory building the headers of " + t.where());
        curl_easy_setopt(e, CURLOPT_HTTPHEADER, t.header_list);
        return std::nullopt;
    }

    // A handle whose transfer is over (never in a multi handle any more) goes back to the idle
    // ones with every option at its default, or is freed when there are enough or we shut down.
    void recycle(CURL* easy) {
        if (shut_ || idle_handles_.size() >= kIdleHandles) {
            curl_easy_cleanup(easy);
            return;
        }
        curl_easy_reset(easy);
        idle_handles_.push_back(easy);
    }

    void socket_action(Shard& shard, curl_socket_t fd, int events) {
        if (shut_) return;
        int running = 0;
        curl_multi_socket_action(shard.multi, fd, events, &running);
        collect_finished(shard);
    }

    void collect_finished(Shard& shard) {
        int left = 0;
        while (CURLMsg* message = curl_multi_info_read(shard.multi, &left)) {
            if (message->msg != CURLMSG_DONE) continue;
            CURL* easy = message->easy_handle;
            CURLcode code = message->data.result;
            Transfer* raw = nullptr;
            curl_easy_getinfo(easy, CURLINFO_PRIVATE, &raw);
            if (!raw) continue;
            auto it = transfers_.find(raw->id);
            if (it == transfers_.end()) continue;
            auto transfer = std::move(it->second);
            transfers_.erase(it);
            auto exchange = outcome(*transfer, code);
            remove(*transfer);
            deliver(std::move(transfer), std::move(exchange));
        }
    }

    // Hands the outcome to `done` off the strand; the handle and connection state go now.
    void deliver(std::unique_ptr<Transfer> transfer, Exchange exchange) {
        Done done = std::move(transfer->done);
        transfer.reset();
        in_flight_->deliver(io_, std::move(done), std::move(exchange));
    }

    Exchange outcome(Transfer& t, CURLcode code) {
        Exchange exchange;
        if (code == CURLE_OK) {
            long status = 0;
            curl_easy_getinfo(t.easy, CURLINFO_RESPONSE_CODE, &status);
            HttpResponse response;
            response.status = static_cast<int>(status);
            response.headers = std::move(t.response_headers);
            response.body = std::move(t.response_body);
            exchange.result = std::move(response);
            return exchange;
        }

        const std::string where = t.where();
        const std::string detail = t.error_buffer[0] ? std::string(t.error_buffer.data()) : curl_easy_strerror(code);
        auto fail = [&exchange](ErrorKind kind, std::string message, bool retryable) {
            exchange.result = Error::make(kind, std::move(message));
            exchange.retryable = retryable;
            return exchange;
        };
        auto os_reason = [&]() -> std::string {
            long os_errno = 0;
            curl_easy_getinfo(t.easy, CURLINFO_OS_ERRNO, &os_errno);
            return os_errno ? std::system_category().message(static_cast<int>(os_errno)) : detail;
        };
        auto body_progress = [&]() {
            curl_off_t expected = -1;
            curl_easy_getinfo(t.easy, CURLINFO_CONTENT_LENGTH_DOWNLOAD_T, &expected);
            return expected >= 0 ? fmt::format("{} of {} body bytes", t.response_body.size(), expected)
                                 : fmt::format("{} body bytes", t.response_body.size());
        };

        switch (code) {
            case CURLE_COULDNT_CONNECT:
                return fail(ErrorKind::unavailable,
                            fmt::format("could not connect to {}{} ({}) for {}", origin_of(t.url), address_tried(t),
                                        os_reason(), where),
                            true);
            case CURLE_COULDNT_RESOLVE_HOST:
                return fail(ErrorKind::unavailable, fmt::format("could not resolve host {} for {}", host_of(t.url), where),
                            true);
            case CURLE_COULDNT_RESOLVE_PROXY:
                return fail(ErrorKind::unavailable, fmt::format("could not resolve the proxy ({}) for {}", detail, where), true);
            case CURLE_PEER_FAILED_VERIFICATION:
                return fail(ErrorKind::unavailable,
                            fmt::format("TLS certificate verification failed for host {} ({}) for {}", host_of(t.url),
                                        detail, where),
                            true);
            case CURLE_SSL_CONNECT_ERROR:
            case CURLE_SSL_CERTPROBLEM:
            case CURLE_SSL_CIPHER:
            case CURLE_SSL_ENGINE_NOTFOUND:
            case CURLE_SSL_ENGINE_SETFAILED:
            case CURLE_SSL_CACERT_BADFILE:
            case CURLE_SSL_CRL_BADFILE:
            case CURLE_SSL_ISSUER_ERROR:
            case CURLE_SSL_PINNEDPUBKEYNOTMATCH:
            case CURLE_SSL_INVALIDCERTSTATUS:
            case CURLE_USE_SSL_FAILED:
                return fail(ErrorKind::unavailable,
                            fmt::format("TLS handshake with {} failed ({}) for {}", origin_of(t.url), detail, where), true);
            case CURLE_SEND_ERROR:
                return fail(ErrorKind::unavailable,
                            fmt::format("could not send the request to {} ({}) for {}", origin_of(t.url), detail, where),
                            true);
            case CURLE_OPERATION_TIMEDOUT:
                if (!t.connected) {
                    auto limit = t.connect_timeout ? t.connect_timeout : t.timeout;
                    if (t.connect_timeout && t.timeout) limit = std::min(*t.connect_timeout, *t.timeout);
                    return fail(ErrorKind::timeout,
                                limit ? fmt::format("could not connect to {} within {} ms for {}", origin_of(t.url),
                                                    limit->count(), where)
                                      : fmt::format("could not connect to {} in time ({}) for {}", origin_of(t.url),
                                                    detail, where),
                                true);
                }
                return fail(ErrorKind::timeout,
                            t.timeout ? fmt::format("no complete answer within {} ms from {}", t.timeout->count(), where)
                                      : fmt::format("no complete answer in time ({}) from {}", detail, where),
                            true);
            case CURLE_PARTIAL_FILE:
                return fail(ErrorKind::upstream_error,
                            fmt::format("connection closed after {} from {}", body_progress(), where), true);
            case CURLE_RECV_ERROR:
                if (t.headers_complete) {
                    return fail(ErrorKind::upstream_error,
                                fmt::format("connection reset mid-body after {} ({}) from {}", body_progress(),
                                            os_reason(), where),
                                true);
                }
                return fail(ErrorKind::upstream_error,
                            fmt::format("connection reset before a complete answer ({}) from {}", os_reason(), where), true);
            case CURLE_GOT_NOTHING:
                return fail(ErrorKind::upstream_error,
                            fmt::format("empty reply: the server closed the connection without answering {}", where), true);
            case CURLE_WRITE_ERROR:
                if (t.too_large) {
                    return fail(ErrorKind::upstream_error,
                                fmt::format("response body larger than {} bytes from {}", t.max_bytes, where), false);
                }
                return fail(ErrorKind::internal, fmt::format("could not store the response ({}) from {}", detail, where), false);
            case CURLE_UNSUPPORTED_PROTOCOL:
            case CURLE_URL_MALFORMAT:
                return fail(ErrorKind::unavailable, fmt::format("unusable URL ({}) for {}", detail, where), false);
            case CURLE_BAD_CONTENT_ENCODING:
                return fail(ErrorKind::upstream_error,
                            fmt::format("undecodable Content-Encoding ({}) from {}", detail, where), false);
            case CURLE_OUT_OF_MEMORY:
                return fail(ErrorKind::internal, fmt::format("out of memory during {}", where), false);
            default:
                return fail(ErrorKind::upstream_error, fmt::format("{} from {}", detail, where), true);
        }
    }

    // " via HOST:PORT" when libcurl's own message names another address than the URL's origin
    // (a proxy from the environment); empty otherwise. libcurl 7.88 leaves CURLINFO_PRIMARY_IP
    // unset when the connect failed, so its "Failed to connect to H port N ..." text is read.
    static std::string address_tried(const Transfer& t) {
        std::string_view text(t.error_buffer.data());
        constexpr std::string_view prefix = "Failed to connect to ";
        if (text.rfind(prefix, 0) != 0) return {};
        text.remove_prefix(prefix.size());
        auto port_at = text.find(" port ");
        if (port_at == std::string_view::npos) return {};
        auto host = text.substr(0, port_at);
        auto port = text.substr(port_at + 6);
        port = port.substr(0, port.find_first_not_of("0123456789"));
        if (host.empty() || port.empty()) return {};
        std::string address = host.find(':') != std::string_view::npos
                                  ? fmt::format("[{}]:{}", host, port)
                                  : fmt::format("{}:{}", host, port);
        auto origin = origin_of(t.url);
        if (address == origin || origin.rfind(std::string(host) + ":", 0) == 0) return {};
        return " via " + address;
    }

    void on_timer(Shard& shard, long timeout_ms) {
        if (timeout_ms < 0 || shut_) {
            shard.timer.cancel();
        } else if (timeout_ms == 0) {
            shard.timer.cancel();
            if (shard.timeout_posted) return;
            shard.timeout_posted = true;
            asio::post(strand_, [self = shared_from_this(), &shard] {
                shard.timeout_posted = false;
                self->socket_action(shard, CURL_SOCKET_TIMEOUT, 0);
            });
        } else {
            shard.timer.expires_after(milliseconds(timeout_ms));
            shard.timer.async_wait(
                asio::bind_executor(strand_, [self = shared_from_this(), &shard](boost::system::error_code ec) {
                    if (!ec) self->socket_action(shard, CURL_SOCKET_TIMEOUT, 0);
                }));
        }
    }

    void on_socket(Shard& shard, curl_socket_t fd, int what) {
        auto it = sockets_.find(fd);
        if (what == CURL_POLL_REMOVE) {
            if (it == sockets_.end()) return;
            auto& socket = it->second;
            socket->wanted = 0;
            if (!socket->owned) {  // libcurl's own fd: drop our dup
                forget(*socket);
                sockets_.erase(it);
            }
            return;
        }
        if (shut_) return;
        std::shared_ptr<Socket> socket;
        if (it != sockets_.end()) {
            socket = it->second;
        } else {
            int copy = ::fcntl(fd, F_DUPFD_CLOEXEC, 0);
            if (copy < 0) return;
            try {
                socket = std::make_shared<Socket>(io_, shard, fd, copy, false);
            } catch (const std::exception&) {
                ::close(copy);
                return;
            }
            sockets_.emplace(fd, socket);
        }
        socket->wanted = (what & CURL_POLL_IN ? CURL_POLL_IN : 0) | (what & CURL_POLL_OUT ? CURL_POLL_OUT : 0);
        arm(socket);
    }

    void arm(const std::shared_ptr<Socket>& socket) {
        if (socket->closed || shut_) return;
        if ((socket->wanted & CURL_POLL_IN) && !socket->read_armed) {
            socket->read_armed = true;
            socket->descriptor.async_wait(
                asio::posix::descriptor_base::wait_read,
                asio::bind_executor(strand_, [self = shared_from_this(), socket](boost::system::error_code ec) {
                    self->on_ready(socket, CURL_CSELECT_IN, ec);
                }));
        }
        if ((socket->wanted & CURL_POLL_OUT) && !socket->write_armed) {
            socket->write_armed = true;
            socket->descriptor.async_wait(
                asio::posix::descriptor_base::wait_write,
                asio::bind_executor(strand_, [self = shared_from_this(), socket](boost::system::error_code ec) {
                    self->on_ready(socket, CURL_CSELECT_OUT, ec);
                }));
        }
    }

    void on_ready(const std::shared_ptr<Socket>& socket, int event, boost::system::error_code ec) {
        const int bit = event == CURL_CSELECT_IN ? CURL_POLL_IN : CURL_POLL_OUT;
        (event == CURL_CSELECT_IN ? socket->read_armed : socket->write_armed) = false;
        if (socket->closed || shut_) return;
        if ((socket->wanted & bit) && ec != asio::error::operation_aborted) {
            socket_action(*socket->shard, socket->fd, ec ? CURL_CSELECT_ERR : event);
        }
        arm(socket);
    }

    curl_socket_t open_socket(Shard& shard, curlsocktype purpose, curl_sockaddr* address) {
        if (purpose != CURLSOCKTYPE_IPCXN) return CURL_SOCKET_BAD;
        int fd = ::socket(address->family, address->socktype | SOCK_CLOEXEC, address->protocol);
        if (fd < 0) return CURL_SOCKET_BAD;
        if (auto it = sockets_.find(fd); it != sockets_.end()) {  // a stale entry for a reused number
            forget(*it->second, true);
            sockets_.erase(it);
        }
        try {
            sockets_.emplace(fd, std::make_shared<Socket>(io_, shard, fd, fd, true));
        } catch (const std::exception&) {
            ::close(fd);
            return CURL_SOCKET_BAD;
        }
        return fd;
    }

    int close_socket(curl_socket_t fd) {
        auto it = sockets_.find(fd);
        if (it == sockets_.end()) return ::close(fd);
        auto socket = std::move(it->second);
        sockets_.erase(it);
        const bool owned = socket->owned;
        forget(*socket);  // for ours: cancels its waits, deregisters, then closes the fd
        return owned ? 0 : ::close(fd);
    }

    // Stops watching a socket: closes what we own (our connection socket or our dup). A stale
    // owned entry (its number reused before libcurl closed it through us, which libcurl does
    // not do) is released, never closed.
    static void forget(Socket& socket, bool stale = false) {
        socket.closed = true;
        socket.wanted = 0;
        boost::system::error_code ec;
        if (stale && socket.owned) {
            socket.descriptor.cancel(ec);
            socket.descriptor.release();
        } else {
            socket.descriptor.close(ec);
        }
    }

    void shutdown() {
        if (shut_) return;
        shut_ = true;
        for (auto& [id, transfer] : transfers_) remove(*transfer);
        transfers_.clear();  // their `done` is destroyed without being called
        for (auto& shard : shards_) {
            shard->timer.cancel();
            curl_multi_cleanup(shard->multi);  // closes the cached connections via close_socket
            shard->multi = nullptr;
        }
        for (auto& [fd, socket] : sockets_) forget(*socket);
        sockets_.clear();
        for (CURL* easy : idle_handles_) curl_easy_cleanup(easy);
        idle_handles_.clear();
    }

    // ---- libcurl callbacks (always inside a curl call made on the strand) -------------------

    static int socket_callback(CURL*, curl_socket_t fd, int what, void* shard, void*) {
        auto& s = *static_cast<Shard*>(shard);
        s.impl.on_socket(s, fd, what);
        return 0;
    }

    static int timer_callback(CURLM*, long timeout_ms, void* shard) {
        auto& s = *static_cast<Shard*>(shard);
        s.impl.on_timer(s, timeout_ms);
        return 0;
    }

    static curl_socket_t open_socket_callback(void* shard, curlsocktype purpose, curl_sockaddr* address) {
        if (!shard) return CURL_SOCKET_BAD;
        auto& s = *static_cast<Shard*>(shard);
        return s.impl.open_socket(s, purpose, address);
    }

    static int close_socket_callback(void* impl, curl_socket_t fd) {
        return static_cast<Impl*>(impl)->close_socket(fd);
    }

    static int prereq_callback(void* transfer, char*, char*, int, int) {
        static_cast<Transfer*>(transfer)->connected = true;
        return CURL_PREREQFUNC_OK;
    }

    static std::size_t header_callback(char* data, std::size_t size, std::size_t count, void* transfer) {
        auto& t = *static_cast<Transfer*>(transfer);
        const std::size_t length = size * count;
        std::string_view line(data, length);
        if (line.rfind("HTTP/", 0) == 0) {  // a new status line: forget any 1xx block before it
            t.response_headers.clear();
            t.headers_complete = false;
            t.status = 0;
            auto space = line.find(' ');
            if (space != std::string_view::npos) {
                auto code = line.substr(space + 1, 3);
                std::from_chars(code.data(), code.data() + code.size(), t.status);
            }
            return length;
        }
        auto content = trim(line);
        if (content.empty()) {
            if (t.status >= 200) t.headers_complete = true;
            return length;
        }
        if ((line.front() == ' ' || line.front() == '\t') && !t.response_headers.empty()) {  // obsolete folding
            t.response_headers.back().value += ' ';
            t.response_headers.back().value += content;
            return length;
        }
        auto colon = content.find(':');
        if (colon == std::string_view::npos) return length;
        if (t.response_headers.empty()) t.response_headers.reserve(16);  // a typical API answer's count
        HttpHeader header{std::string(trim(content.substr(0, colon))), std::string(trim(content.substr(colon + 1)))};
        if (header_name_equals(header.name, "Content-Length") && t.method != "HEAD" && t.status >= 200 &&
            t.status != 204 && t.status != 304) {
            std::uint64_t declared = 0;
            auto [end, error] = std::from_chars(header.value.data(), header.value.data() + header.value.size(), declared);
            if (error == std::errc{}) {
                if (declared > t.max_bytes) {
                    t.too_large = true;
                    return 0;  // aborts the transfer before the body is read
                }
                t.response_body.reserve(static_cast<std::size_t>(declared));
            }
        }
        t.response_headers.push_back(std::move(header));
        return length;
    }

    static std::size_t write_callback(char* data, std::size_t size, std::size_t count, void* transfer) {
        auto& t = *static_cast<Transfer*>(transfer);
        const std::size_t length = size * count;
        if (length > t.max_bytes - t.response_body.size()) {
            t.too_large = true;
            return 0;
        }
        t.response_body.append(data, length);
        return length;
    }

    asio::io_context& io_;
    asio::strand<asio::io_context::executor_type> strand_;
    std::vector<std::unique_ptr<Shard>> shards_;
    std::unordered_map<ExchangeId, std::unique_ptr<Transfer>> transfers_;
    std::unordered_map<curl_socket_t, std::shared_ptr<Socket>> sockets_;
    std::vector<CURL*> idle_handles_;  // reset, in no multi handle; at most kIdleHandles
    bool shut_ = false;
    std::atomic<ExchangeId> next_id_{1};
    std::shared_ptr<InFlight> in_flight_ = std::make_shared<InFlight>();
};

CurlTransport::CurlTransport(boost::asio::io_context& io) : impl_(std::make_shared<Impl>(io)) {}

CurlTransport::~CurlTransport() { impl_->close(); }

Transport::ExchangeId CurlTransport::start(const HttpRequest& request, Done done) {
    return impl_->start(request, std::move(done));
}

void CurlTransport::cancel(ExchangeId id) { impl_->cancel(id); }

std::size_t CurlTransport::in_flight() const { return impl_->in_flight(); }

}  // namespace switchboard::http
