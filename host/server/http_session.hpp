#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/message.hpp>
#include <boost/beast/http/empty_body.hpp>
#include <boost/beast/http/serializer.hpp>
#include <boost/beast/http/string_body.hpp>

#include "server/http_server.hpp"

namespace switchboard::server {

class ServerCore;

// One accepted connection: reads requests one after another (header, then body, each against
// its own deadline), hands each to the handler and writes the answer. Everything runs on the
// connection's strand. Kept alive by its pending operations and by a handler still running.
class HttpSession : public std::enable_shared_from_this<HttpSession> {
public:
    HttpSession(std::shared_ptr<ServerCore> server, boost::asio::ip::tcp::socket socket);
    ~HttpSession();
    HttpSession(const HttpSession&) = delete;
    HttpSession& operator=(const HttpSession&) = delete;

    // These three may be called from any thread.
    void start();
    void on_server_stopping();  // close unless a request is in flight
    void close_from_server();   // close now

private:
    enum class Phase { waiting, header, body, handling, writing, lingering, closed };
    enum class After { keep_alive, close, linger };

    void wait_for_request();
    void read_header(std::chrono::milliseconds timeout);
    void on_header(boost::beast::error_code ec);
    void read_body();
    void on_body(boost::beast::error_code ec);
    void call_handler();
    void on_handler_done(std::optional<Response> response, std::string failure);
    void reject(int status, std::string_view type, std::string_view message, After after);
    std::size_t body_limit() const;  // the route's, else the server's
    void send(Response response, After after);
    void send_streamed(Response response, After after);
    template <class Message>
    void set_head(Message& message, const Response& response, After after) const;
    void write_next_piece();
    void on_piece(std::optional<std::string> piece);
    void on_written(boost::beast::error_code ec);
    void linger();
    void drain();
    void close_now();
    bool cut_off_or_closed(const boost::beast::error_code& ec, std::string_view what,
                           std::chrono::milliseconds limit);
    void log_request(int status);

    std::shared_ptr<ServerCore> server_;
    std::string peer_;  // "127.0.0.1:53422"
    boost::beast::tcp_stream stream_;
    boost::asio::any_io_executor strand_;
    boost::beast::flat_buffer buffer_;
    std::optional<boost::beast::http::request_parser<boost::beast::http::string_body>> parser_;
    std::optional<boost::beast::http::response<boost::beast::http::string_body>> response_;
    // A streamed answer: its header, the serializer writing it, where the pieces come from, the
    // piece being written, and whether pieces go out as chunks (HTTP/1.1) or raw (HTTP/1.0).
    std::optional<boost::beast::http::response<boost::beast::http::empty_body>> stream_head_;
    std::optional<boost::beast::http::response_serializer<boost::beast::http::empty_body>> stream_serializer_;
    std::shared_ptr<BodySource> source_;
    std::string piece_;
    bool chunked_ = true;
    Phase phase_ = Phase::waiting;
    After after_write_ = After::keep_alive;
    bool stopping_ = false;
    bool keep_alive_ = true;
    unsigned version_ = 11;

    // The request being answered.
    std::string request_id_;
    std::string method_;
    std::string path_;
    const RouteOptions* route_ = nullptr;  // the route options the path chose, if any
    std::chrono::steady_clock::time_point started_{};
};

}  // namespace switchboard::server
