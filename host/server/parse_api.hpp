#pragma once

#include <cstddef>
#include <memory>
#include <string>
#include <string_view>

#include "config/config.hpp"
#include "runtime/runtime.hpp"
#include "server/http_server.hpp"
#include "server/parse_jobs.hpp"
#include "server/service_metrics.hpp"
#include "switchboard/host_services.hpp"
#include "switchboard/task.hpp"

namespace switchboard::server {

// LlamaParse-compatible routes, both generations, so the official clients work by changing only
// their base URL:
//   v1, under /api/parsing and /api/v1/parsing:
//     POST upload                           multipart: `file` and option fields → {"id","status":"PENDING"}
//     GET  job/{id}                          {"id","status","error_code","error_message"}
//     GET  job/{id}/result/markdown|text|json   the result with job_metadata (404 until it is ready)
//   v2:
//     POST   /api/v2/parse/upload            multipart: `file` and `configuration` (JSON)
//     POST   /api/v2/parse                   JSON configuration with file_id
//     GET    /api/v2/parse/{id}?expand=…     the job, and text / markdown / items / metadata /
//                                            job_metadata / usage / markdown_full / text_full
//     POST   /api/v2/parse/{id}/cancel       GET    /api/v2/parse   (list, cursor pages)
//     DELETE /api/v2/parse/{id}
//   files (what @llamaindex/llama-cloud uploads a file_id's document with):
//     POST /api/v1/beta/files (multipart `file`, `purpose`), GET and DELETE /api/v1/beta/files/{id}
// Every job runs inside the host: router().parse(service, …) on [server] parse_service (else the
// first parse service), started detached, its result kept in ParseJobs until [server] job_ttl
// after it finished. A job is visible to the client that created it only. Cancel marks a job
// CANCELLED at once; its call cannot be interrupted, so it runs on, its result is discarded, and
// its cost stays what the ledger recorded. Each finished call is recorded in `metrics` and
// written to `audit` as one line; answers about a finished job carry its x-switchboard-backend,
// x-switchboard-fallback and x-switchboard-cost-usd, and every answer x-switchboard-overhead-ms.
// input_url and source_url are refused (400): the host does not fetch documents from addresses
// a caller names. Errors are FastAPI's {"detail": "..."}.
// `limits` bound the job store; its ttl is [server] job_ttl. `runtime` must be ok() and outlive
// every job's call (running() is 0, or the event loop running them has stopped); clock, audit
// and metrics need only outlive this object: a call that ends after it is gone (abandoned at a
// stop, finished while the host winds down) reports to none of them.
class ParseApi {
public:
    ParseApi(runtime::Runtime& runtime, Clock& clock, Logger& audit, ServiceMetrics& metrics,
             ParseJobLimits limits = {});
    ~ParseApi();  // waits for calls reporting their end at that moment
    ParseApi(const ParseApi&) = delete;
    ParseApi& operator=(const ParseApi&) = delete;

    // Whether `path` is one of these routes' (then handle() answers it, 404 and 405 included).
    static bool owns(std::string_view path);
    // For the server on these routes: LlamaParse's upload size (300 MB files, with room for the
    // multipart framing) and its FastAPI {"detail": ...} errors.
    static RouteOptions route_options();

    // `client` is who called (authenticated by the caller); nullptr when no clients are configured.
    Task<Response> handle(Request request, const config::ClientSettings* client);

    // Parse calls still running, cancelled jobs' included.
    std::size_t running() const;

private:
    struct Call;
    struct Outlet;  // where a job's detached call reports its end; shut when this object goes
    Response answer(Call& call);
    Response v1(Call& call, std::string_view rest);
    Response v2(Call& call, std::string_view rest);
    Response files(Call& call, std::string_view rest);
    Response submit(Call& call, wire::ParseSubmission submission, JobIdStyle style);
    Response job_answer(Call& call, std::string_view id, std::string_view result_kind);
    std::string parse_service() const;

    runtime::Runtime& runtime_;
    Logger& audit_;
    ServiceMetrics& metrics_;
    std::shared_ptr<ParseJobs> jobs_;
    std::shared_ptr<Outlet> outlet_;
};

}  // namespace switchboard::server
