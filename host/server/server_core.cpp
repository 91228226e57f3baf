#include "server/server_core.hpp"

#include <stdexcept>
#include <string>
#include <utility>

#include <boost/asio/dispatch.hpp>
#include <boost/asio/ip/address.hpp>
#include <boost/asio/post.hpp>
#include <fmt/format.h>

#include "server/http_session.hpp"

namespace switchboard::server {

namespace net = boost::asio;
using tcp = net::ip::tcp;
using boost::system::error_code;

namespace {

std::string why_not(const error_code& ec) {
    if (ec == net::error::address_in_use) {
        return "the address is already in use (another process listens there; stop it or choose another port)";
    }
    if (ec == net::error::access_denied) {
        return "permission denied (ports below 1024 need privileges; choose a port from 1024 up)";
    }
    if (ec == boost::system::errc::address_not_available) {
        return "the address is not available on this machine (use one of its own addresses, or 0.0.0.0)";
    }
    return ec.message();
}

}  // namespace

ServerCore::ServerCore(net::io_context& io, ServerOptions options, Handler handler, Logger& logger)
    : io_(io),
      options_(std::move(options)),
      handler_(std::move(handler)),
      logger_(&logger),
      strand_(net::make_strand(io)),
      acceptor_(strand_),
      grace_timer_(strand_),
      retry_timer_(strand_) {}

void ServerCore::listen() {
    const std::string where = fmt::format("{}:{}", options_.address, options_.port);
    auto fail = [&](const std::string& reason) {
        throw std::runtime_error(fmt::format("cannot listen on {}: {}", where, reason));
    };

    error_code ec;
    tcp::endpoint endpoint;
    net::ip::address address = net::ip::make_address(options_.address, ec);
    if (!ec) {
        endpoint = tcp::endpoint(address, options_.port);
    } else {
        tcp::resolver resolver(io_);
        auto results = resolver.resolve(options_.address, std::to_string(options_.port), ec);
        if (ec || results.empty()) {
            fail(fmt::format("bad address '{}' ({}); give an IP address or a resolvable host name",
                             options_.address, ec ? ec.message() : "no addresses"));
        }
        endpoint = results.begin()->endpoint();
    }

    if (acceptor_.open(endpoint.protocol(), ec)) fail(why_not(ec));
    if (acceptor_.set_option(net::socket_base::reuse_address(true), ec)) fail(why_not(ec));
    if (acceptor_.bind(endpoint, ec) || acceptor_.listen(net::socket_base::max_listen_connections, ec)) {
        error_code ignored;
        acceptor_.close(ignored);
        fail(why_not(ec));
    }
    port_.store(acceptor_.local_endpoint().port(), std::memory_order_release);
    net::post(strand_, [self = shared_from_this()] { self->accept(); });
}

void ServerCore::accept() {
    if (stopping() || !acceptor_.is_open()) return;
    const auto& loops = options_.loops;
    net::io_context& loop = loops.empty() ? io_ : *loops[next_loop_++ % loops.size()];
    acceptor_.async_accept(net::make_strand(loop), [self = shared_from_this()](const error_code& ec, tcp::socket socket) {
        self->on_accept(ec, std::move(socket));
    });
}

void ServerCore::on_accept(const error_code& ec, tcp::socket socket) {
    if (ec == net::error::operation_aborted || stopping()) {
        error_code ignored;
        socket.close(ignored);
        return;
    }
    if (ec) {
        // Typically out of file descriptors: back off briefly instead of spinning.
        log(LogLevel::warn, "", fmt::format("accepting a connection failed: {}; retrying in 100 ms", ec.message()));
        retry_timer_.expires_after(std::chrono::milliseconds(100));
        retry_timer_.async_wait([self = shared_from_this()](const error_code& wait_ec) {
            if (!wait_ec) self->accept();
        });
        return;
    }
    auto session = std::make_shared<HttpSession>(shared_from_this(), std::move(socket));
    {
        std::lock_guard lock(mutex_);
        sessions_.emplace(session.get(), session);
        open_.store(sessions_.size(), std::memory_order_release);
    }
    session->start();
    accept();
}

void ServerCore::stop(std::chrono::milliseconds grace, std::function<void()> done) {
    std::vector<std::weak_ptr<HttpSession>> sessions;
    {
        std::lock_guard lock(mutex_);
        if (done) {
            if (finished_) {
                net::post(io_, std::move(done));
            } else {
                done_.push_back(std::move(done));
            }
        }
        if (stopping_.exchange(true, std::memory_order_acq_rel)) return;
        for (const auto& [_, weak] : sessions_) sessions.push_back(weak);
    }

    net::dispatch(strand_, [self = shared_from_this(), grace] {
        error_code ignored;
        self->acceptor_.close(ignored);
        self->retry_timer_.cancel();
        {
            std::lock_guard lock(self->mutex_);
            self->acceptor_closed_ = true;
        }
        self->grace_timer_.expires_after(grace);
        self->grace_timer_.async_wait([self](const error_code& ec) {
            if (!ec) self->close_all();
        });
        self->maybe_finish();
    });
    for (const auto& weak : sessions) {
        if (auto session = weak.lock()) session->on_server_stopping();
    }
}

void ServerCore::abandon() {
    stop(std::chrono::milliseconds(0), {});
    std::unique_lock lock(logger_mutex_);
    logger_ = nullptr;
}

void ServerCore::close_all() {
    std::vector<std::weak_ptr<HttpSession>> sessions;
    {
        std::lock_guard lock(mutex_);
        for (const auto& [_, weak] : sessions_) sessions.push_back(weak);
    }
    for (const auto& weak : sessions) {
        if (auto session = weak.lock()) session->close_from_server();
    }
}

void ServerCore::forget(HttpSession* session, bool finish) noexcept {
    {
        std::lock_guard lock(mutex_);
        sessions_.erase(session);
        open_.store(sessions_.size(), std::memory_order_release);
    }
    if (finish) maybe_finish();
}

void ServerCore::maybe_finish() {
    std::vector<std::function<void()>> done;
    {
        std::lock_guard lock(mutex_);
        if (finished_ || !stopping() || !acceptor_closed_ || !sessions_.empty()) return;
        finished_ = true;
        done.swap(done_);
    }
    net::post(strand_, [self = shared_from_this()] { self->grace_timer_.cancel(); });
    for (auto& fn : done) net::post(io_, std::move(fn));
}

bool ServerCore::log_enabled(LogLevel level) const {
    std::shared_lock lock(logger_mutex_);
    return logger_ != nullptr && logger_->enabled(level);
}

void ServerCore::log(LogLevel level, std::string_view request_id, std::string_view message) {
    std::shared_lock lock(logger_mutex_);
    if (logger_ != nullptr && logger_->enabled(level)) logger_->log(level, request_id, message);
}

}  // namespace switchboard::server
