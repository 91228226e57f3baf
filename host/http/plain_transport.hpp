#pragma once

#include <cstddef>
#include <memory>
#include <optional>

#include <boost/asio/io_context.hpp>

#include "http/transport.hpp"

namespace switchboard::http {

// A Transport for plain-HTTP/1.1 upstreams (http:// URLs), on Boost.Beast and the host's Asio
// event loop: a fraction of libcurl's work per exchange, for the upstreams a host talks to
// without TLS (a local model server, a sidecar, a fake). It behaves as CurlTransport does for the
// requests it suits(): the same headers on the wire (Host, the caller's in order, Accept: */*
// unless given, Content-Length for a body), the same error kinds, messages and retryability, a
// keep-alive pool per origin (an idle connection is reused for up to 118 s; one the server
// closed is noticed before reuse, and a reused one that dies before answering is retried once
// on a fresh connection), TCP_NODELAY, no redirects followed. It sends no Accept-Encoding, so
// bodies arrive as sent. All its work runs on one strand, so any number of threads may run `io`.
// Thread-safe.
//
// Destroy it only once `io` has stopped or nothing is in flight: exchanges still in flight are
// then abandoned (their `done` is destroyed without being called).
class PlainTransport final : public Transport {
public:
    explicit PlainTransport(boost::asio::io_context& io);
    ~PlainTransport() override;
    PlainTransport(const PlainTransport&) = delete;
    PlainTransport& operator=(const PlainTransport&) = delete;

    // Whether this transport sends `request` as libcurl would: an http:// URL to an IP address or
    // localhost (nothing to resolve), no user info, no dot segment or zero-led port, and no
    // header it would have to interpret (Host, Content-Length, Transfer-Encoding,
    // Accept-Encoding, Expect, Connection). Proxies are not its business: a caller with a proxy
    // configured sends everything through libcurl.
    static bool suits(const HttpRequest& request);

    ExchangeId start(const HttpRequest& request, Done done) override;  // one it does not suit fails
    // start() for a request this transport suits (then `done` is moved from); nullopt, `done`
    // untouched, for one it does not. Reads the URL once where suits() then start() would twice.
    std::optional<ExchangeId> start_if_suited(const HttpRequest& request, Done& done);
    void cancel(ExchangeId id) override;

    std::size_t in_flight() const;  // exchanges started and not yet finished

private:
    struct Impl;
    std::shared_ptr<Impl> impl_;
};

}  // namespace switchboard::http
