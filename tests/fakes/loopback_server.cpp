#include "fakes/loopback_server.hpp"

#include <array>
#include <cstdio>
#include <optional>
#include <exception>
#include <limits>
#include <thread>
#include <utility>

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http.hpp>

namespace switchboard::testing {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
using tcp = asio::ip::tcp;

std::vector<std::string> RecordedRequest::query_values(std::string_view name) const {
    std::vector<std::string> values;
    std::string_view rest = query;
    while (!rest.empty()) {
        auto amp = rest.find('&');
        auto pair = rest.substr(0, amp);
        rest = amp == std::string_view::npos ? std::string_view() : rest.substr(amp + 1);
        auto eq = pair.find('=');
        auto key = pair.substr(0, eq);
        if (key == name) values.emplace_back(eq == std::string_view::npos ? std::string_view() : pair.substr(eq + 1));
    }
    return values;
}

Reply Reply::json(int status, std::string body) {
    Reply reply;
    reply.status = status;
    reply.headers.push_back({"Content-Type", "application/json"});
    reply.body = std::move(body);
    return reply;
}

struct LoopbackServer::Impl {
    explicit Impl(Handler handler) : handler_(std::move(handler)) {
        tcp::endpoint endpoint(asio::ip::make_address("127.0.0.1"), 0);
        acceptor_.open(endpoint.protocol());
        acceptor_.set_option(asio::socket_base::reuse_address(true));
        acceptor_.bind(endpoint);
        acceptor_.listen(asio::socket_base::max_listen_connections);
        port_ = acceptor_.local_endpoint().port();
        accept();
        thread_ = std::thread([this] {
            for (;;) {
                try {
                    io_.run();
                    return;
                } catch (const std::exception& e) {
                    std::fprintf(stderr, "loopback server: %s\n", e.what());
                }
            }
        });
    }

    ~Impl() {
        io_.stop();
        if (thread_.joinable()) thread_.join();
        // Destroying io_ (declared after the state sessions touch) destroys every session,
        // which closes its socket.
    }

    class Session;

    void accept();

    void record(RecordedRequest request) {
        {
            std::lock_guard lock(mutex_);
            requests_.push_back(std::move(request));
        }
        changed_.notify_all();
    }

    void connection_half_closed() {
        {
            std::lock_guard lock(mutex_);
            ++half_closed_;
        }
        changed_.notify_all();
    }

    void connection_closed() {
        {
            std::lock_guard lock(mutex_);
            --open_;
        }
        changed_.notify_all();
    }

    Reply answer(const RecordedRequest& request) {
        try {
            return handler_(request);
        } catch (const std::exception& e) {
            Reply reply;
            reply.status = 500;
            reply.body = std::string("loopback handler threw: ") + e.what();
            return reply;
        }
    }

    Handler handler_;
    mutable std::mutex mutex_;
    mutable std::condition_variable changed_;
    std::vector<RecordedRequest> requests_;
    std::size_t open_ = 0;
    std::size_t accepted_ = 0;
    std::size_t half_closed_ = 0;
    std::uint16_t port_ = 0;
    asio::io_context io_;
    tcp::acceptor acceptor_{io_};
    std::thread thread_;
};

// One accepted connection: read a request, record it, answer it as the Reply says, repeat while
// keep-alive holds. Owned by the handlers in flight; closing the socket ends it.
class LoopbackServer::Impl::Session : public std::enable_shared_from_this<Session> {
public:
    Session(Impl& server, tcp::socket socket)
        : server_(server), socket_(std::move(socket)), timer_(socket_.get_executor()) {}

    ~Session() {
        boost::system::error_code ec;
        socket_.close(ec);
        server_.connection_closed();
    }

    void read() {
        parser_.emplace();
        parser_->body_limit((std::numeric_limits<std::uint64_t>::max)());
        parser_->header_limit(1024 * 1024);
        bhttp::async_read(socket_, buffer_, *parser_,
                          [self = shared_from_this()](boost::system::error_code ec, std::size_t) {
                              if (!ec) self->on_request();
                          });
    }

private:
    void on_request() {
        auto& message = parser_->get();
        RecordedRequest request;
        request.method = std::string(message.method_string());
        request.target = std::string(message.target());
        auto question = request.target.find('?');
        request.path = request.target.substr(0, question);
        if (question != std::string::npos) request.query = request.target.substr(question + 1);
        for (const auto& field : message) {
            request.headers.push_back({std::string(field.name_string()), std::string(field.value())});
        }
        request.body = std::move(message.body());
        keep_alive_ = message.keep_alive();
        version_ = message.version();
        parser_.reset();

        server_.record(request);
        reply_ = server_.answer(request);
        if (auto connection = find_header(reply_.headers, "Connection");
            connection && connection->find("close") != std::string_view::npos) {
            keep_alive_ = false;
        }

        if (reply_.delay.count() > 0) {
            timer_.expires_after(reply_.delay);
            timer_.async_wait([self = shared_from_this()](boost::system::error_code ec) {
                if (!ec) self->respond();
            });
        } else {
            respond();
        }
    }

    void respond() {
        switch (reply_.fault) {
            case Fault::none: return reply_.chunked || reply_.early_hints ? write_raw() : write_whole();
            case Fault::never_answer: return hold_silently();
            case Fault::truncate_body:
            case Fault::reset_mid_body: return write_half();
            case Fault::trickle: return trickle();
            case Fault::close_at_once: return close_gracefully();
            case Fault::hints_then_close: return hint_then_close();
        }
    }

    void write_whole() {
        response_.emplace();
        response_->version(version_);
        response_->result(static_cast<unsigned>(reply_.status));
        for (const auto& header : reply_.headers) {
            if (header_name_equals(header.name, "Content-Length")) continue;
            response_->insert(header.name, header.value);
        }
        response_->body() = std::move(reply_.body);
        response_->content_length(response_->body().size());
        response_->keep_alive(keep_alive_);
        bhttp::async_write(socket_, *response_, [self = shared_from_this()](boost::system::error_code ec, std::size_t) {
            self->response_.reset();
            if (ec) return;
            if (self->reply_.close_after) {
                self->half_close();
            } else if (self->keep_alive_) {
                self->read();
            } else {
                self->close_gracefully();
            }
        });
    }

    // The end of its sending side only (FIN), as a server timing out an idle connection sends
    // it; what the client still writes is read, recorded and answered into the void.
    void half_close() {
        boost::system::error_code ignored;
        socket_.shutdown(tcp::socket::shutdown_send, ignored);
        server_.connection_half_closed();
        read();
    }

    // Status line and headers as raw bytes, with the full body's Content-Length.
    std::string raw_head() const {
        std::string head = "HTTP/1.1 " + std::to_string(reply_.status) + " " +
                           std::string(bhttp::obsolete_reason(static_cast<bhttp::status>(reply_.status))) + "\r\n";
        for (const auto& header : reply_.headers) {
            if (header_name_equals(header.name, "Content-Length")) continue;
            head += header.name + ": " + header.value + "\r\n";
        }
        head += "Content-Length: " + std::to_string(reply_.body.size()) + "\r\n\r\n";
        return head;
    }

    // A whole answer written by hand: Beast's serializer writes neither interim answers nor
    // chunks of a chosen size.
    void write_raw() {
        raw_.clear();
        if (reply_.early_hints) raw_ += "HTTP/1.1 103 Early Hints\r\nLink: </style.css>; rel=preload\r\n\r\n";
        if (!reply_.chunked) {
            raw_ += raw_head() + reply_.body;
        } else {
            raw_ += "HTTP/1.1 " + std::to_string(reply_.status) + " " +
                    std::string(bhttp::obsolete_reason(static_cast<bhttp::status>(reply_.status))) + "\r\n";
            for (const auto& header : reply_.headers) raw_ += header.name + ": " + header.value + "\r\n";
            raw_ += "Transfer-Encoding: chunked\r\n\r\n";
            for (std::size_t at = 0; at < reply_.body.size(); at += 7) {
                auto chunk = reply_.body.substr(at, 7);
                char size_line[16];
                std::snprintf(size_line, sizeof size_line, "%zx\r\n", chunk.size());
                raw_ += size_line + chunk + "\r\n";
            }
            raw_ += "0\r\n\r\n";
        }
        asio::async_write(socket_, asio::buffer(raw_), [self = shared_from_this()](boost::system::error_code ec, std::size_t) {
            if (ec) return;
            if (self->keep_alive_) self->read();
            else self->close_gracefully();
        });
    }

    void hint_then_close() {
        raw_ = "HTTP/1.1 103 Early Hints\r\nLink: </style.css>; rel=preload\r\n\r\n";
        asio::async_write(socket_, asio::buffer(raw_), [self = shared_from_this()](boost::system::error_code ec, std::size_t) {
            if (!ec) self->close_gracefully();
        });
    }

    void hold_silently() {
        // Read and discard until the client goes away; the session ends with the connection.
        socket_.async_read_some(asio::buffer(scratch_), [self = shared_from_this()](boost::system::error_code ec, std::size_t) {
            if (!ec) self->hold_silently();
        });
    }

    void write_half() {
        raw_ = raw_head() + reply_.body.substr(0, reply_.body.size() / 2);
        asio::async_write(socket_, asio::buffer(raw_), [self = shared_from_this()](boost::system::error_code ec, std::size_t) {
            if (ec) return;
            if (self->reply_.fault == Fault::reset_mid_body) {
                boost::system::error_code ignored;
                self->socket_.set_option(asio::socket_base::linger(true, 0), ignored);
                self->socket_.close(ignored);  // RST
            } else {
                self->close_gracefully();  // FIN
            }
        });
    }

    void trickle() {
        raw_ = raw_head();
        sent_ = 0;
        asio::async_write(socket_, asio::buffer(raw_), [self = shared_from_this()](boost::system::error_code ec, std::size_t) {
            if (!ec) self->trickle_next();
        });
    }

    void trickle_next() {
        if (sent_ == reply_.body.size()) {
            if (keep_alive_) read();
            else close_gracefully();
            return;
        }
        timer_.expires_after(reply_.trickle_interval);
        timer_.async_wait([self = shared_from_this()](boost::system::error_code ec) {
            if (ec) return;
            asio::async_write(self->socket_, asio::buffer(&self->reply_.body[self->sent_], 1),
                              [self](boost::system::error_code ec, std::size_t) {
                                  if (ec) return;
                                  ++self->sent_;
                                  self->trickle_next();
                              });
        });
    }

    void close_gracefully() {
        boost::system::error_code ignored;
        socket_.shutdown(tcp::socket::shutdown_send, ignored);
        socket_.close(ignored);
    }

    Impl& server_;
    tcp::socket socket_;
    asio::steady_timer timer_;
    beast::flat_buffer buffer_;
    std::optional<bhttp::request_parser<bhttp::string_body>> parser_;
    std::optional<bhttp::response<bhttp::string_body>> response_;
    Reply reply_;
    std::string raw_;
    std::size_t sent_ = 0;
    bool keep_alive_ = true;
    unsigned version_ = 11;
    std::array<char, 4096> scratch_{};
};

void LoopbackServer::Impl::accept() {
    acceptor_.async_accept([this](boost::system::error_code ec, tcp::socket socket) {
        if (ec == asio::error::operation_aborted) return;
        if (!ec) {
            {
                std::lock_guard lock(mutex_);
                ++open_;
                ++accepted_;
            }
            changed_.notify_all();
            std::make_shared<Session>(*this, std::move(socket))->read();
            accept();
            return;
        }
        // Out of descriptors or similar: try again shortly rather than spin or stop.
        auto timer = std::make_shared<asio::steady_timer>(io_, std::chrono::milliseconds(10));
        timer->async_wait([this, timer](boost::system::error_code) { accept(); });
    });
}

LoopbackServer::LoopbackServer(Handler handler) : impl_(std::make_unique<Impl>(std::move(handler))) {}

LoopbackServer::~LoopbackServer() = default;

std::uint16_t LoopbackServer::port() const { return impl_->port_; }

std::string LoopbackServer::base_url() const { return "http://127.0.0.1:" + std::to_string(impl_->port_); }

std::vector<RecordedRequest> LoopbackServer::requests() const {
    std::lock_guard lock(impl_->mutex_);
    return impl_->requests_;
}

std::size_t LoopbackServer::request_count() const {
    std::lock_guard lock(impl_->mutex_);
    return impl_->requests_.size();
}

void LoopbackServer::clear_requests() {
    std::lock_guard lock(impl_->mutex_);
    impl_->requests_.clear();
}

bool LoopbackServer::wait_for_requests(std::size_t count, std::chrono::milliseconds limit) const {
    std::unique_lock lock(impl_->mutex_);
    return impl_->changed_.wait_for(lock, limit, [&] { return impl_->requests_.size() >= count; });
}

std::size_t LoopbackServer::open_connections() const {
    std::lock_guard lock(impl_->mutex_);
    return impl_->open_;
}

bool LoopbackServer::wait_for_open_connections(std::size_t count, std::chrono::milliseconds limit) const {
    std::unique_lock lock(impl_->mutex_);
    return impl_->changed_.wait_for(lock, limit, [&] { return impl_->open_ == count; });
}

bool LoopbackServer::wait_for_half_closed(std::size_t count, std::chrono::milliseconds limit) const {
    std::unique_lock lock(impl_->mutex_);
    return impl_->changed_.wait_for(lock, limit, [&] { return impl_->half_closed_ >= count; });
}

std::size_t LoopbackServer::accepted_connections() const {
    std::lock_guard lock(impl_->mutex_);
    return impl_->accepted_;
}

}  // namespace switchboard::testing
