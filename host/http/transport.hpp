#pragma once

#include <cstdint>
#include <functional>

#include "switchboard/http.hpp"

namespace switchboard::http {

// What one exchange ended with. An error only when no complete response arrived; a complete
// response of any status is a success here (classifying it is the retry layer's job).
struct Exchange {
    Result<HttpResponse> result = Error::make(ErrorKind::internal, "exchange never finished");
    bool retryable = false;  // for errors: a connection-level failure another attempt may cure
};

// One HTTP exchange at a time per call, no retries, no policy: the layer under BackendHttpClient.
// Thread-safe. Implementations: CurlTransport (libcurl on the host's event loop) and scripted
// fakes in tests.
class Transport {
public:
    using ExchangeId = std::uint64_t;
    using Done = std::function<void(Exchange)>;

    virtual ~Transport() = default;

    // Starts one exchange. `request` has connect_timeout, timeout and max_response_bytes set.
    // `done` runs exactly once, on a host thread, never inline inside start().
    //   transport errors: unavailable (connect/resolve/TLS failure; retryable),
    //   timeout (request.timeout passed; retryable), upstream_error (truncated body, reset
    //   mid-body, empty reply: retryable; body over max_response_bytes: not retryable),
    //   timeout "cancelled" after cancel() (not retryable).
    virtual ExchangeId start(const HttpRequest& request, Done done) = 0;

    // Aborts an exchange still in flight: its `done` then runs with a "cancelled" timeout error.
    // Unknown or finished ids are ignored. Never runs `done` inline.
    virtual void cancel(ExchangeId id) = 0;
};

}  // namespace switchboard::http
