#include "server/http_session.hpp"

#include <algorithm>
#include <exception>
#include <utility>

#include <boost/asio/defer.hpp>
#include <boost/asio/dispatch.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/string.hpp>
#include <boost/beast/http/chunk_encode.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/write.hpp>
#include <fmt/format.h>

#include "router/request_id.hpp"
#include "server/server_core.hpp"

namespace switchboard::server {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using beast::error_code;

namespace {

constexpr std::string_view kContinue = "HTTP/1.1 100 Continue\r\n\r\n";
constexpr std::chrono::milliseconds kMaxLinger{2000};

bool sane_request_id(std::string_view id) {
    if (id.empty() || id.size() > 128) return false;
    return std::all_of(id.begin(), id.end(), [](char c) {
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' || c == '_' ||
               c == ':' || c == '-';
    });
}

std::string json_escape(std::string_view text) {
    std::string out;
    out.reserve(text.size());
    for (char c : text) {
        switch (c) {
            case '"': out += "\\\""; break;
            case '\\': out += "\\\\"; break;
            case '\n': out += "\\n"; break;
            case '\r': out += "\\r"; break;
            case '\t': out += "\\t"; break;
            default:
                if (static_cast<unsigned char>(c) < 0x20) {
                    out += fmt::format("\\u{:04x}", static_cast<unsigned>(c));
                } else {
                    out += c;
                }
        }
    }
    return out;
}

// The OpenAI error envelope.
Response error_response(int status, std::string_view type, std::string_view message) {
    Response response;
    response.status = status;
    response.body = fmt::format(R"({{"error":{{"message":"{}","type":"{}","param":null,"code":null}}}})",
                                json_escape(message), type);
    return response;
}

Response internal_error(std::string_view request_id) {
    return error_response(500, "server_error", fmt::format("internal error in the host (request {})", request_id));
}

std::string describe(const net::ip::tcp::socket& socket) {
    error_code ec;
    auto endpoint = socket.remote_endpoint(ec);
    if (ec) return "unknown peer";
    if (endpoint.address().is_v6()) return fmt::format("[{}]:{}", endpoint.address().to_string(), endpoint.port());
    return fmt::format("{}:{}", endpoint.address().to_string(), endpoint.port());
}

struct Outcome {
    std::optional<Response> response;
    std::string failure;  // why there is no response
};

// Runs the handler's task and turns an escaping exception into a value: a detached Task whose
// body throws would terminate the process.
Task<Outcome> guarded(Task<Response> task) {
    std::string failure;
    try {
        Response response = co_await task;
        co_return Outcome{std::move(response), {}};
    } catch (const std::exception& e) {
        failure = e.what();
    } catch (...) {
        failure = "exception of unknown type";
    }
    co_return Outcome{std::nullopt, std::move(failure)};
}

}  // namespace

HttpSession::HttpSession(std::shared_ptr<ServerCore> server, net::ip::tcp::socket socket)
    : server_(std::move(server)), peer_(describe(socket)), stream_(std::move(socket)), strand_(stream_.get_executor()) {}

HttpSession::~HttpSession() {
    if (phase_ != Phase::closed) server_->forget(this, false);
}

void HttpSession::start() {
    net::dispatch(strand_, [self = shared_from_this()] { self->read_header(self->server_->options().header_timeout); });
}

void HttpSession::on_server_stopping() {
    net::post(strand_, [self = shared_from_this()] {
        self->stopping_ = true;
        if (self->phase_ != Phase::handling && self->phase_ != Phase::writing) self->close_now();
    });
}

void HttpSession::close_from_server() {
    net::post(strand_, [self = shared_from_this()] { self->close_now(); });
}

void HttpSession::wait_for_request() {
    phase_ = Phase::waiting;
    parser_.reset();
    if (buffer_.size() > 0) {
        read_header(server_->options().header_timeout);
        return;
    }
    stream_.expires_after(server_->options().idle_timeout);
    stream_.async_read_some(buffer_.prepare(4096), [self = shared_from_this()](error_code ec, std::size_t n) {
        if (self->phase_ == Phase::closed) return;
        if (ec) {
            if (ec == beast::error::timeout) {
                self->server_->log(LogLevel::debug, "",
                                   fmt::format("closing the connection from {}: idle for {} ms", self->peer_,
                                               self->server_->options().idle_timeout.count()));
            }
            self->close_now();
            return;
        }
        self->buffer_.commit(n);
        self->read_header(self->server_->options().header_timeout);
    });
}

void HttpSession::read_header(std::chrono::milliseconds timeout) {
    phase_ = Phase::header;
    parser_.emplace();
    const std::size_t max_header = server_->options().max_header_bytes;
    parser_->header_limit(static_cast<std::uint32_t>(std::min<std::size_t>(max_header, UINT32_MAX)));
    parser_->body_limit(boost::none);  // Content-Length is checked by hand once the header is in
    stream_.expires_after(timeout);
    http::async_read_header(stream_, buffer_, *parser_,
                            [self = shared_from_this()](error_code ec, std::size_t) { self->on_header(ec); });
}

void HttpSession::on_header(error_code ec) {
    if (phase_ == Phase::closed) return;
    started_ = std::chrono::steady_clock::now();
    const auto& header = parser_->get();
    auto given_id = header.find("x-request-id");
    request_id_ = given_id != header.end() && sane_request_id(given_id->value()) ? std::string(given_id->value())
                                                                                 : router::new_request_id();
    version_ = header.version() == 10 ? 10 : 11;
    method_ = "-";
    path_ = "-";
    route_ = nullptr;

    const ServerOptions& options = server_->options();
    if (ec == http::error::header_limit) {
        reject(431, "invalid_request_error",
               fmt::format("the request header is larger than the limit of {} bytes; send fewer or shorter headers",
                           options.max_header_bytes),
               After::linger);
        return;
    }
    if (cut_off_or_closed(ec, "the request header did not arrive", options.header_timeout)) return;
    if (ec) {
        reject(400, "invalid_request_error", fmt::format("malformed HTTP request: {}", ec.message()), After::linger);
        return;
    }

    method_ = std::string(header.method_string());
    std::string_view target = header.target();
    path_ = std::string(target.substr(0, target.find('?')));
    for (const auto& route : options.routes) {
        if (route.applies && route.applies(path_)) {
            route_ = &route;
            break;
        }
    }

    auto length = parser_->content_length();
    if (length && *length > body_limit()) {
        reject(413, "invalid_request_error",
               fmt::format("the request body is {} bytes, over the limit of {} bytes; send a smaller body", *length,
                           body_limit()),
               After::linger);
        return;
    }
    parser_->body_limit(body_limit());
    if (parser_->is_done()) {
        call_handler();
        return;
    }
    auto expect = header.find(http::field::expect);
    if (expect != header.end() && beast::iequals(expect->value(), "100-continue")) {
        phase_ = Phase::body;
        stream_.expires_after(options.body_timeout);
        net::async_write(stream_, net::buffer(kContinue.data(), kContinue.size()),
                         [self = shared_from_this()](error_code write_ec, std::size_t) {
                             if (self->phase_ == Phase::closed) return;
                             if (write_ec) {
                                 self->close_now();
                                 return;
                             }
                             self->read_body();
                         });
        return;
    }
    read_body();
}

void HttpSession::read_body() {
    phase_ = Phase::body;
    stream_.expires_after(server_->options().body_timeout);
    http::async_read(stream_, buffer_, *parser_,
                     [self = shared_from_this()](error_code ec, std::size_t) { self->on_body(ec); });
}

void HttpSession::on_body(error_code ec) {
    if (phase_ == Phase::closed) return;
    const ServerOptions& options = server_->options();
    if (ec == http::error::body_limit) {
        reject(413, "invalid_request_error",
               fmt::format("the request body is over the limit of {} bytes; send a smaller body", body_limit()),
               After::linger);
        return;
    }
    if (cut_off_or_closed(ec, "the request body did not arrive", options.body_timeout)) return;
    if (ec) {
        reject(400, "invalid_request_error", fmt::format("malformed HTTP request: {}", ec.message()), After::linger);
        return;
    }
    call_handler();
}

bool HttpSession::cut_off_or_closed(const error_code& ec, std::string_view what, std::chrono::milliseconds limit) {
    if (!ec) return false;
    if (ec == beast::error::timeout) {
        server_->log(LogLevel::warn, phase_ == Phase::body ? std::string_view(request_id_) : std::string_view(),
                     fmt::format("cut off the connection from {}: {} within {} ms", peer_, what, limit.count()));
        close_now();
        return true;
    }
    // The peer went away (or the socket was closed under us); nobody is left to answer.
    if (ec.category() != http::make_error_code(http::error::end_of_stream).category() ||  // not a parse error
        ec == http::error::end_of_stream || ec == http::error::partial_message) {
        close_now();
        return true;
    }
    return false;
}

void HttpSession::call_handler() {
    phase_ = Phase::handling;
    stream_.expires_never();
    auto message = parser_->release();
    parser_.reset();
    keep_alive_ = message.keep_alive();

    Request request;
    request.method = method_;
    request.target = std::string(message.target());
    request.path = path_;
    if (auto mark = request.target.find('?'); mark != std::string::npos) request.query = request.target.substr(mark + 1);
    for (const auto& field : message) request.headers.emplace_back(field.name_string(), field.value());
    request.body = std::move(message.body());
    request.request_id = request_id_;
    request.peer = peer_;

    Task<Response> task;
    try {
        task = server_->handler()(std::move(request));
    } catch (const std::exception& e) {
        on_handler_done(std::nullopt, e.what());
        return;
    } catch (...) {
        on_handler_done(std::nullopt, "exception of unknown type");
        return;
    }
    if (!task.valid()) {
        on_handler_done(std::nullopt, "the handler returned an empty task");
        return;
    }
    guarded(std::move(task)).start([self = shared_from_this()](Outcome outcome) {
        net::defer(self->strand_, [self, outcome = std::move(outcome)]() mutable {
            self->on_handler_done(std::move(outcome.response), std::move(outcome.failure));
        });
    });
}

void HttpSession::on_handler_done(std::optional<Response> response, std::string failure) {
    if (!response) {
        server_->log(LogLevel::error, request_id_,
                     fmt::format("the handler failed on {} {}: {}", method_, path_, failure));
        response = internal_error(request_id_);
    }
    send(std::move(*response), keep_alive_ && !stopping_ && !server_->stopping() ? After::keep_alive : After::close);
}

std::size_t HttpSession::body_limit() const {
    return route_ != nullptr ? route_->max_body_bytes : server_->options().max_body_bytes;
}

void HttpSession::reject(int status, std::string_view type, std::string_view message, After after) {
    if (route_ != nullptr && route_->error_body) {
        Response response;
        response.status = status;
        response.body = route_->error_body(message);
        send(std::move(response), after);
        return;
    }
    send(error_response(status, type, message), after);
}

// The status line and header fields every answer carries: the handler's headers less the framing
// ones (the body's length or chunks, and the connection's fate, are the session's to say).
template <class Message>
void HttpSession::set_head(Message& message, const Response& response, After after) const {
    message.version(version_);
    message.result(static_cast<unsigned>(response.status));
    for (const auto& [name, value] : response.headers) message.insert(name, value);
    message.erase(http::field::content_length);
    message.erase(http::field::transfer_encoding);
    message.erase(http::field::connection);
    message.set(http::field::server, "switchboard");
    if (!response.content_type.empty()) message.set(http::field::content_type, response.content_type);
    message.set("x-request-id", request_id_);
    message.keep_alive(after == After::keep_alive);
}

void HttpSession::send(Response response, After after) {
    if (phase_ == Phase::closed) {
        server_->log(LogLevel::debug, request_id_,
                     fmt::format("{} {} {}: the connection closed before the answer was ready", method_, path_,
                                 response.status));
        return;
    }
    if (response.stream && response.status >= 200 && response.status <= 599) {
        send_streamed(std::move(response), after);
        return;
    }
    auto build = [&](Response& r) {
        auto& message = response_.emplace();
        set_head(message, r, after);
        message.body() = std::move(r.body);
        message.prepare_payload();
    };
    int status = response.status;
    try {
        if (status < 200 || status > 599) throw std::invalid_argument(fmt::format("status {} is not allowed", status));
        build(response);
    } catch (const std::exception& e) {
        server_->log(LogLevel::error, request_id_,
                     fmt::format("the handler's answer to {} {} cannot be sent: {}", method_, path_, e.what()));
        Response fallback = internal_error(request_id_);
        status = fallback.status;
        build(fallback);
    }
    log_request(status);

    phase_ = Phase::writing;
    after_write_ = after;
    stream_.expires_after(server_->options().body_timeout);
    http::async_write(stream_, *response_,
                      [self = shared_from_this()](error_code ec, std::size_t) { self->on_written(ec); });
}

// The header first, then each piece as the source makes it: chunks for HTTP/1.1, raw bytes and a
// close for HTTP/1.0, which has no chunks.
void HttpSession::send_streamed(Response response, After after) {
    chunked_ = version_ >= 11;
    if (!chunked_) after = After::close;
    try {
        auto& head = stream_head_.emplace();
        set_head(head, response, after);
        if (chunked_) {
            head.chunked(true);
        } else {
            head.set(http::field::connection, "close");  // the close is what ends the body
        }
    } catch (const std::exception& e) {  // a header Beast refuses (too long): as send() answers it
        stream_head_.reset();
        server_->log(LogLevel::error, request_id_,
                     fmt::format("the handler's answer to {} {} cannot be sent: {}", method_, path_, e.what()));
        send(internal_error(request_id_), after);
        return;
    }
    auto& head = *stream_head_;
    source_ = std::move(response.stream);
    log_request(response.status);

    phase_ = Phase::writing;
    after_write_ = after;
    auto& serializer = stream_serializer_.emplace(head);
    stream_.expires_after(server_->options().body_timeout);
    http::async_write_header(stream_, serializer, [self = shared_from_this()](error_code ec, std::size_t) {
        if (self->phase_ == Phase::closed) return;
        if (ec) {
            self->on_written(ec);
            return;
        }
        self->write_next_piece();
    });
}

void HttpSession::write_next_piece() {
    source_->next([self = shared_from_this()](std::optional<std::string> piece) {
        net::post(self->strand_, [self, piece = std::move(piece)]() mutable { self->on_piece(std::move(piece)); });
    });
}

void HttpSession::on_piece(std::optional<std::string> piece) {
    if (phase_ == Phase::closed) return;
    if (!piece) {
        server_->log(LogLevel::error, request_id_,
                     fmt::format("the answer to {} {} failed part-way; closing the connection so the client sees "
                                 "it cut short",
                                 method_, path_));
        close_now();
        return;
    }
    piece_ = std::move(*piece);
    stream_.expires_after(server_->options().body_timeout);
    auto on_done = [self = shared_from_this(), last = piece_.empty()](error_code ec, std::size_t) {
        if (self->phase_ == Phase::closed) return;
        if (ec || last) {
            self->on_written(ec);
            return;
        }
        self->write_next_piece();
    };
    if (!chunked_) {
        if (piece_.empty()) {
            on_done(error_code{}, 0);
        } else {
            net::async_write(stream_, net::buffer(piece_), std::move(on_done));
        }
    } else if (piece_.empty()) {
        net::async_write(stream_, http::make_chunk_last(), std::move(on_done));
    } else {
        net::async_write(stream_, http::make_chunk(net::buffer(piece_)), std::move(on_done));
    }
}

void HttpSession::on_written(error_code ec) {
    if (phase_ == Phase::closed) return;
    response_.reset();
    stream_serializer_.reset();
    stream_head_.reset();
    source_.reset();
    piece_.clear();
    if (ec) {
        if (ec == beast::error::timeout) {
            server_->log(LogLevel::warn, request_id_,
                         fmt::format("cut off the connection from {}: the answer was not taken within {} ms", peer_,
                                     server_->options().body_timeout.count()));
        }
        close_now();
        return;
    }
    if (after_write_ == After::linger) {
        linger();
        return;
    }
    if (after_write_ == After::close || stopping_ || server_->stopping()) {
        error_code ignored;
        stream_.socket().shutdown(net::socket_base::shutdown_send, ignored);
        close_now();
        return;
    }
    wait_for_request();
}

// After refusing a request whose rest was never read: say we are done sending, then read and
// drop what the client still sends for a short while, so closing does not reset the connection
// under the answer before the client has read it.
void HttpSession::linger() {
    phase_ = Phase::lingering;
    error_code ignored;
    stream_.socket().shutdown(net::socket_base::shutdown_send, ignored);
    stream_.expires_after(std::min(server_->options().body_timeout, kMaxLinger));
    buffer_.consume(buffer_.size());
    drain();
}

void HttpSession::drain() {
    stream_.async_read_some(buffer_.prepare(16 * 1024), [self = shared_from_this()](error_code ec, std::size_t) {
        if (self->phase_ == Phase::closed) return;
        if (ec) {
            self->close_now();
            return;
        }
        self->drain();
    });
}

void HttpSession::close_now() {
    if (phase_ == Phase::closed) return;
    phase_ = Phase::closed;
    source_.reset();  // stops a streamed answer's producer
    error_code ignored;
    stream_.socket().shutdown(net::socket_base::shutdown_both, ignored);
    stream_.close();
    server_->forget(this);
}

void HttpSession::log_request(int status) {
    if (!server_->log_enabled(LogLevel::debug)) return;
    double ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - started_).count();
    server_->log(LogLevel::debug, request_id_, fmt::format("{} {} {} {:.1f} ms", method_, path_, status, ms));
}

}  // namespace switchboard::server
