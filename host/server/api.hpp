#pragma once

#include <string>

#include "runtime/runtime.hpp"
#include "server/http_server.hpp"
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
//   POST /v1/embeddings  OpenAI-compatible; the request's model picks the service ([server.models],
//                        else the first embeddings service)
// Unknown paths are 404 and known paths with another method 405, in the OpenAI error envelope.
// Every answer to a call carries x-switchboard-backend, x-switchboard-fallback (when it fell
// back), x-switchboard-cost-usd and x-switchboard-overhead-ms (the time in the host: the whole
// answer less the time inside the backends' calls). `runtime` must be ok() and outlive the Api.
class Api {
public:
    explicit Api(runtime::Runtime& runtime);

    Task<Response> handle(Request request);

private:
    Task<Response> embeddings(Request request);
    Response healthz() const;
    Response readyz() const;
    Response status() const;
    std::string service_for_model(const std::string& model) const;

    runtime::Runtime& runtime_;
    ServiceMetrics metrics_;
};

}  // namespace switchboard::server
