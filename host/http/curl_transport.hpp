#pragma once

#include <cstddef>
#include <memory>

#include <boost/asio/io_context.hpp>

#include "http/transport.hpp"

namespace switchboard::http {

// The production Transport: one libcurl multi handle driven by the host's Asio event loop
// (CURLMOPT_SOCKETFUNCTION/TIMERFUNCTION), so no thread blocks per request however many are in
// flight. Connections are reused across exchanges; TLS peer and host verification stay on;
// proxies come from the standard environment variables (http_proxy, https_proxy, no_proxy);
// redirects are not followed. All curl calls run on one strand, so any number of threads may
// run `io`. Thread-safe.
//
// Destroy it only once `io` has stopped or nothing is in flight: exchanges still in flight are
// then abandoned (their `done` is destroyed without being called).
class CurlTransport final : public Transport {
public:
    explicit CurlTransport(boost::asio::io_context& io);
    ~CurlTransport() override;
    CurlTransport(const CurlTransport&) = delete;
    CurlTransport& operator=(const CurlTransport&) = delete;

    ExchangeId start(const HttpRequest& request, Done done) override;
    void cancel(ExchangeId id) override;

    std::size_t in_flight() const;  // exchanges started and not yet finished

private:
    struct Impl;
    std::shared_ptr<Impl> impl_;
};

}  // namespace switchboard::http
