#pragma once

#include <chrono>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "cost/forecast.hpp"
#include "runtime/runtime.hpp"
#include "server/http_server.hpp"
#include "server/parse_api.hpp"
#include "server/service_metrics.hpp"
#include "switchboard/task.hpp"

namespace switchboard::server {

// The routes `switchboard serve` answers, over a running host:
//   GET  /healthz        the process is alive (no checks)
//   GET  /readyz         config loaded, plugins started, ledger writable (503 with the reason otherwise)
//   GET  /metrics        Prometheus text format (see ServiceMetrics)
//   GET  /v1/status      per service its mode; per backend its health, circuit, last error, what
//                        its upstream last said and its rate-limit headroom; per cap spent, held,
//                        limit and forecast; the ledger's state
//   admin, with the admin key only ([server] admin_key_sha256):
//   POST /admin/services/NAME/mode   {"mode": "mock" | "real" | "hybrid"}: switch a service now
//   GET  /admin/costs/summary        ?by=hour|day|month&group=service|backend|model|client
//                                    &since=…&until=…&service=…&format=json|csv
//   GET  /admin/costs/forecast       ?service=…&format=json|csv
//   GET  /admin/costs/export         ?since=…&until=…&service=…&format=csv|json (every ledger row, streamed)
//   POST /v1/embeddings  OpenAI-compatible; the request's model picks the service ([server.models],
//                        else the first embeddings service)
//   /api/parsing/…, /api/v1/parsing/…, /api/v2/parse…, /api/v1/beta/files…: LlamaParse, both
//                        generations (see ParseApi); errors there are FastAPI's {"detail": "…"}
// Unknown paths are 404 and known paths with another method 405, in the OpenAI error envelope.
// With client keys configured ([server.clients]), every route but /healthz and /readyz needs
// `Authorization: Bearer KEY`; the key's SHA-256 is compared with each client's in constant time
// (401 invalid_api_key otherwise, 403 for a service the client may not call). Each call is
// written to `audit` as one line: request id, client, service, backend, outcome, cost; never a key.
// Every answer to a call carries x-switchboard-backend, x-switchboard-fallback (when it fell
// back), x-switchboard-cost-usd and x-switchboard-overhead-ms (the time in the host: the whole
// answer less the time inside the backends' calls). `runtime` must be ok() and outlive the Api.
class Api {
public:
    Api(runtime::Runtime& runtime, Logger& audit);

    Task<Response> handle(Request request);

    // What the server is to do apart from its defaults on these routes (LlamaParse's uploads).
    static std::vector<RouteOptions> route_options();

    // Parse jobs whose calls are still running (a graceful stop waits for them).
    std::size_t running_jobs() const { return parse_.running(); }

private:
    Task<Response> embeddings(Request request, const config::ClientSettings* client);
    Response healthz() const;
    Response readyz() const;
    // `client`'s view: other clients' caps are theirs to see (nullptr: no clients configured).
    Response status(const config::ClientSettings* client) const;
    // The caps' forecasts by cap id, read from the ledger at most every forecast_ttl: the status
    // page is polled, and each read is file I/O on an event loop.
    std::map<std::string, cost::CapForecast> forecasts() const;
    Response admin(const Request& request);
    std::string service_for_model(const std::string& model) const;
    // The client the request's bearer key belongs to ("" when no clients are configured), or nullopt.
    std::optional<const config::ClientSettings*> authenticate(const Request& request) const;

    runtime::Runtime& runtime_;
    Logger& audit_;
    ServiceMetrics metrics_;
    ParseApi parse_;

    static constexpr std::chrono::seconds forecast_ttl{5};
    mutable std::mutex forecasts_mutex_;  // guards what follows
    mutable std::optional<Clock::time_point> forecasts_read_at_;
    mutable std::map<std::string, cost::CapForecast> forecasts_;
};

}  // namespace switchboard::server
