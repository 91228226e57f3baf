#pragma once

#include <cstddef>

#include <boost/asio/io_context.hpp>

#include "http/curl_transport.hpp"
#include "http/plain_transport.hpp"

namespace switchboard::http {

// The production Transport on one event loop: PlainTransport for the requests it suits (plain
// http:// upstreams), CurlTransport for everything else (https://, URLs with user info, requests
// with headers only libcurl interprets) and for every request when the environment names a proxy
// (http_proxy, all_proxy or ALL_PROXY, which libcurl honours and PlainTransport does not).
// Thread-safe. Destroy it as a CurlTransport: once `io` has stopped or nothing is in flight.
class UpstreamTransport final : public Transport {
public:
    explicit UpstreamTransport(boost::asio::io_context& io);

    ExchangeId start(const HttpRequest& request, Done done) override;
    void cancel(ExchangeId id) override;

    std::size_t in_flight() const;  // exchanges started and not yet finished, on either

private:
    CurlTransport curl_;
    PlainTransport plain_;
    bool proxied_;
};

}  // namespace switchboard::http
