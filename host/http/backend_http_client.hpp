#pragma once

#include <functional>
#include <string>

#include "config/config.hpp"
#include "http/transport.hpp"
#include "switchboard/http.hpp"

namespace switchboard::http {

// The HttpClient one backend's plugin gets: fills the request's unset limits from the backend's
// [backends.NAME.http] settings and applies the one retry policy of the host (see retry_policy.hpp)
// over a shared Transport. Waits are timers on `clock`, so tests drive them with a manual clock.
// `transport`, `clock` and `logger` must outlive every send in flight. Thread-safe.
class BackendHttpClient final : public HttpClient {
public:
    // `random01` returns values in [0, 1) for backoff jitter; tests inject a fixed one.
    BackendHttpClient(std::string backend, config::HttpSettings settings, Transport& transport,
                      Clock& clock, Logger& logger, std::function<double()> random01 = {});

    Task<Result<HttpResponse>> send(CallContext ctx, HttpRequest request) override;

    const config::HttpSettings& settings() const noexcept { return settings_; }

private:
    Task<Exchange> attempt(CallContext ctx, HttpRequest request);

    std::string backend_;
    config::HttpSettings settings_;
    Transport& transport_;
    Clock& clock_;
    Logger& logger_;
    std::function<double()> random01_;
};

}  // namespace switchboard::http
