#include "http/upstream_transport.hpp"

#include <cstdlib>
#include <initializer_list>

namespace switchboard::http {

namespace {

bool proxy_configured() {
    for (const char* name : {"http_proxy", "all_proxy", "ALL_PROXY"}) {
        const char* value = std::getenv(name);
        if (value && *value) return true;
    }
    return false;
}

}  // namespace

UpstreamTransport::UpstreamTransport(boost::asio::io_context& io) : curl_(io), plain_(io), proxied_(proxy_configured()) {}

// An id names its transport in its lowest bit: 0 for libcurl, 1 for the plain one.
UpstreamTransport::ExchangeId UpstreamTransport::start(const HttpRequest& request, Done done) {
    if (!proxied_) {
        if (auto id = plain_.start_if_suited(request, done)) return *id * 2 + 1;
    }
    return curl_.start(request, std::move(done)) * 2;
}

void UpstreamTransport::cancel(ExchangeId id) {
    if (id % 2 == 1) plain_.cancel(id / 2);
    else curl_.cancel(id / 2);
}

std::size_t UpstreamTransport::in_flight() const { return curl_.in_flight() + plain_.in_flight(); }

}  // namespace switchboard::http
