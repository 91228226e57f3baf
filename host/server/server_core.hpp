#pragma once

#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <shared_mutex>
#include <string_view>
#include <unordered_map>
#include <vector>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>

#include "server/http_server.hpp"

namespace switchboard::server {

class HttpSession;

// What an HttpServer shares with its connections: the acceptor, the registry of live sessions,
// and the stop sequence. Sessions hold it by shared_ptr, so it outlives the HttpServer facade.
class ServerCore : public std::enable_shared_from_this<ServerCore> {
public:
    ServerCore(boost::asio::io_context& io, ServerOptions options, Handler handler, Logger& logger);

    void listen();
    void stop(std::chrono::milliseconds grace, std::function<void()> done);
    // The facade is going away: close everything and stop using its logger.
    void abandon();

    std::uint16_t port() const noexcept { return port_.load(std::memory_order_acquire); }
    std::size_t open_connections() const noexcept { return open_.load(std::memory_order_acquire); }

    const ServerOptions& options() const noexcept { return options_; }
    const Handler& handler() const noexcept { return handler_; }
    bool stopping() const noexcept { return stopping_.load(std::memory_order_acquire); }
    bool log_enabled(LogLevel level) const;
    void log(LogLevel level, std::string_view request_id, std::string_view message);

    // A session closed its socket. `finish`: may complete a stop (false from a destructor).
    void forget(HttpSession* session, bool finish = true) noexcept;

private:
    void accept();
    void on_accept(const boost::system::error_code& ec, boost::asio::ip::tcp::socket socket);
    void close_all();
    void maybe_finish();

    boost::asio::io_context& io_;
    const ServerOptions options_;
    const Handler handler_;

    mutable std::shared_mutex logger_mutex_;
    Logger* logger_;  // null once abandoned

    boost::asio::strand<boost::asio::io_context::executor_type> strand_;  // acceptor and timers
    boost::asio::ip::tcp::acceptor acceptor_;
    boost::asio::steady_timer grace_timer_;
    boost::asio::steady_timer retry_timer_;
    std::size_t next_loop_ = 0;  // the loop the next connection goes to (on the strand)
    std::atomic<std::uint16_t> port_{0};
    std::atomic<bool> stopping_{false};
    std::atomic<std::size_t> open_{0};

    std::mutex mutex_;  // guards what follows
    std::unordered_map<HttpSession*, std::weak_ptr<HttpSession>> sessions_;
    bool acceptor_closed_ = false;
    bool finished_ = false;
    std::vector<std::function<void()>> done_;
};

}  // namespace switchboard::server
