#include "server/http_server.hpp"

#include <algorithm>

#include "server/server_core.hpp"

namespace switchboard::server {

namespace {

bool iequal(std::string_view a, std::string_view b) {
    auto lower = [](char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; };
    return a.size() == b.size() &&
           std::equal(a.begin(), a.end(), b.begin(), [&](char x, char y) { return lower(x) == lower(y); });
}

}  // namespace

std::optional<std::string_view> Request::header(std::string_view name) const {
    for (const auto& [key, value] : headers) {
        if (iequal(key, name)) return std::string_view(value);
    }
    return std::nullopt;
}

struct HttpServer::State {
    std::shared_ptr<ServerCore> core;
};

HttpServer::HttpServer(boost::asio::io_context& io, ServerOptions options, Handler handler, Logger& logger)
    : state_(std::make_shared<State>(
          State{std::make_shared<ServerCore>(io, std::move(options), std::move(handler), logger)})) {}

HttpServer::~HttpServer() { state_->core->abandon(); }

void HttpServer::start() { state_->core->listen(); }

std::uint16_t HttpServer::port() const noexcept { return state_->core->port(); }

void HttpServer::stop(std::chrono::milliseconds grace, std::function<void()> done) {
    state_->core->stop(grace, std::move(done));
}

std::size_t HttpServer::open_connections() const noexcept { return state_->core->open_connections(); }

}  // namespace switchboard::server
