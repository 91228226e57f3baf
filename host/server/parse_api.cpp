#include "server/parse_api.hpp"

#include <algorithm>
#include <array>
#include <charconv>
#include <chrono>
#include <cstdio>
#include <optional>
#include <shared_mutex>
#include <utility>

#include <fmt/format.h>

#include "cost/money.hpp"
#include "router/router.hpp"
#include "server/call_headers.hpp"
#include "server/query.hpp"
#include "wire/llamaparse_api.hpp"
#include "wire/mime.hpp"
#include "wire/multipart_form.hpp"

namespace switchboard::server {
namespace {

using Steady = std::chrono::steady_clock;

constexpr std::array<std::string_view, 2> v1_prefixes{"/api/parsing", "/api/v1/parsing"};
constexpr std::string_view v2_prefix = "/api/v2/parse";
constexpr std::string_view files_prefix = "/api/v1/beta/files";
constexpr std::size_t default_page_size = 50;
constexpr std::size_t max_page_size = 1000;

bool under(std::string_view path, std::string_view prefix) {
    return path == prefix || (path.starts_with(prefix) && path[prefix.size()] == '/');
}

Response json_response(int status, std::string body) {
    Response response;
    response.status = status;
    response.body = std::move(body);
    return response;
}

Response detail(int status, std::string text) { return json_response(status, wire::DetailError{status, std::move(text)}.body()); }

Response error_response(const wire::DetailError& error) { return json_response(error.status, error.body()); }

Response not_found() { return detail(404, "Not Found"); }

Response method_not_allowed(std::string allow) {
    Response response = detail(405, "Method Not Allowed");
    response.headers.emplace_back("Allow", std::move(allow));
    return response;
}

// A refusal that says when to come back, as LlamaParse's 429s do.
Response retry_later(const Error& error) {
    Response response = detail(429, error.message);
    add_retry_after(response, error);
    return response;
}

std::optional<std::uint64_t> whole_number(std::string_view text) {
    std::uint64_t value = 0;
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (text.empty() || ec != std::errc{} || end != text.data() + text.size()) return std::nullopt;
    return value;
}

// x-switchboard-* of a job's finished call, as Api adds them to an embeddings answer.
void add_route_headers(Response& response, const ParseJob& job) {
    if (job.route) add_call_headers(response, job.route->backend, job.route->fallback_reason, job.route->cost);
}

std::string unknown_job(std::string_view id) {
    return "job '" + std::string(id) +
           "' is not known here: it never existed, its result expired ([server] job_ttl), or another client made it";
}

// A form part the route needs, read from the request's body.
std::optional<wire::MultipartForm> read_form(const Request& request, wire::DetailError& error) {
    wire::FormError problem;
    auto form = wire::MultipartForm::parse(request.header("content-type").value_or(""), request.body, problem);
    if (!form) {
        error.status = problem.status;
        error.detail = "bad multipart/form-data body: " + problem.message;
    }
    return form;
}

}  // namespace

struct ParseApi::Outlet {
    Outlet(std::shared_ptr<ParseJobs> jobs_in, Logger& audit_in, ServiceMetrics& metrics_in)
        : jobs(std::move(jobs_in)), audit(audit_in), metrics(metrics_in) {}

    std::shared_mutex mutex;  // shared by each call reporting; ~ParseApi takes it alone to shut
    bool open = true;
    std::shared_ptr<ParseJobs> jobs;
    Logger& audit;
    ServiceMetrics& metrics;
};

struct ParseApi::Call {
    Request& request;
    const config::ClientSettings* client;
    std::string client_name;
    std::string service;
};

ParseApi::ParseApi(runtime::Runtime& runtime, Clock& clock, Logger& audit, ServiceMetrics& metrics,
                   ParseJobLimits limits)
    : runtime_(runtime), audit_(audit), metrics_(metrics) {
    limits.ttl = runtime.config()->server.job_ttl;
    jobs_ = std::make_shared<ParseJobs>(clock, limits);
    outlet_ = std::make_shared<Outlet>(jobs_, audit, metrics);
}

ParseApi::~ParseApi() {
    std::unique_lock lock(outlet_->mutex);
    outlet_->open = false;
}

bool ParseApi::owns(std::string_view path) {
    for (auto prefix : v1_prefixes) {
        if (under(path, prefix)) return true;
    }
    return under(path, v2_prefix) || under(path, files_prefix);
}

RouteOptions ParseApi::route_options() {
    RouteOptions options;
    options.applies = &ParseApi::owns;
    options.max_body_bytes = 300 * 1024 * 1024;
    options.error_body = [](std::string_view message) {
        wire::DetailError error;
        error.detail = std::string(message);
        return error.body();
    };
    return options;
}

std::size_t ParseApi::running() const { return jobs_->running(); }

std::string ParseApi::parse_service() const {
    const auto& config = *runtime_.config();
    if (!config.server.parse_service.empty()) return config.server.parse_service;
    for (const auto& [name, service] : config.services) {
        if (service.capability == capability::parse) return name;
    }
    return {};
}

Task<Response> ParseApi::handle(Request request, const config::ClientSettings* client) {
    const auto started = Steady::now();
    Call call{request, client, std::string(config::ClientSettings::name_of(client)), parse_service()};
    Response response = answer(call);
    char overhead[32];
    std::snprintf(overhead, sizeof overhead, "%.3f",
                  std::chrono::duration<double, std::milli>(Steady::now() - started).count());
    response.headers.emplace_back("x-switchboard-overhead-ms", overhead);
    co_return response;
}

Response ParseApi::answer(Call& call) {
    const std::string_view path = call.request.path;
    if (!owns(path)) return not_found();
    if (call.service.empty()) {
        return detail(503, "no parse service is configured on this host: add a service with capability \"parse\" "
                           "([services.NAME]) or name one in [server] parse_service");
    }
    if (call.client != nullptr && !call.client->services.empty() &&
        std::find(call.client->services.begin(), call.client->services.end(), call.service) ==
            call.client->services.end()) {
        return detail(403, "client '" + call.client->name + "' may not call service '" + call.service + "'");
    }
    for (auto prefix : v1_prefixes) {
        if (under(path, prefix)) return v1(call, path.substr(prefix.size()));
    }
    if (under(path, v2_prefix)) return v2(call, path.substr(v2_prefix.size()));
    return files(call, path.substr(files_prefix.size()));
}

Response ParseApi::v1(Call& call, std::string_view rest) {
    const std::string& method = call.request.method;
    if (rest == "/upload") {
        if (method != "POST") return method_not_allowed("POST");
        wire::DetailError error;
        auto form = read_form(call.request, error);
        if (!form) return error_response(error);
        auto submission = wire::parse_v1_upload(*form, error);
        if (!submission) return error_response(error);
        return submit(call, std::move(*submission), JobIdStyle::uuid);
    }
    if (!rest.starts_with("/job/")) return not_found();
    rest.remove_prefix(5);
    const auto slash = rest.find('/');
    const std::string id = percent_decoded(rest.substr(0, slash), false);
    std::string_view kind;
    if (slash != std::string_view::npos) {
        std::string_view tail = rest.substr(slash);
        if (!tail.starts_with("/result/")) return not_found();
        kind = tail.substr(8);
        if (kind != "markdown" && kind != "text" && kind != "json") return not_found();
    }
    if (id.empty()) return not_found();
    if (method != "GET") return method_not_allowed("GET");
    return job_answer(call, id, kind);
}

Response ParseApi::job_answer(Call& call, std::string_view id, std::string_view kind) {
    auto job = jobs_->find(id, call.client_name);
    if (!job) return detail(404, unknown_job(id));
    Response response;
    if (kind.empty()) {
        response = json_response(200, wire::v1_job_json(job->view));
    } else if (job->view.status == wire::JobStatus::succeeded) {
        response = json_response(200, wire::v1_result_json(kind, *job->result, job->page_separator));
    } else if (job->view.status == wire::JobStatus::failed) {
        auto error = wire::detail_error_for(*job->error);
        error.detail = "job '" + job->view.id + "' failed: " + error.detail;
        response = error_response(error);
    } else if (job->view.status == wire::JobStatus::cancelled) {
        response = detail(400, "job '" + job->view.id + "' was cancelled; it has no result");
    } else {
        response = detail(404, "job '" + job->view.id + "' has no result yet (PENDING); poll GET .../job/" +
                                   job->view.id + " until its status is SUCCESS");
    }
    add_route_headers(response, *job);
    return response;
}

Response ParseApi::v2(Call& call, std::string_view rest) {
    const Request& request = call.request;
    const std::string& method = request.method;
    wire::DetailError error;
    if (rest.empty()) {
        if (method == "POST") {
            auto submission = wire::parse_v2_create(request.body, error);
            if (!submission) return error_response(error);
            return submit(call, std::move(*submission), JobIdStyle::v2);
        }
        if (method != "GET") return method_not_allowed("GET, POST");
        std::size_t page_size = default_page_size;
        if (auto text = query_value(request.query, "page_size")) {
            auto number = whole_number(*text);
            if (!number || *number < 1 || *number > max_page_size) {
                return detail(400, "page_size must be a whole number from 1 to " + std::to_string(max_page_size) +
                                       "; got '" + *text + "'");
            }
            page_size = static_cast<std::size_t>(*number);
        }
        std::optional<std::uint64_t> before;
        if (auto token = query_value(request.query, "page_token"); token && !token->empty()) {
            before = whole_number(*token);
            if (!before) return detail(400, "page_token '" + *token + "' is not one this host gave out");
        }
        std::optional<wire::JobStatus> status;
        if (auto text = query_value(request.query, "status"); text && !text->empty()) {
            status = wire::v2_status_from(*text);
            if (!status) {
                return detail(400, "status must be PENDING, RUNNING, COMPLETED, FAILED or CANCELLED; got '" + *text + "'");
            }
        }
        std::vector<std::string> ids;
        for (const auto& value : query_values(request.query, "job_ids")) {
            std::string_view list = value;
            while (!list.empty()) {
                auto comma = list.find(',');
                if (comma != 0) ids.emplace_back(list.substr(0, comma));
                list = comma == std::string_view::npos ? std::string_view{} : list.substr(comma + 1);
            }
        }
        auto page = jobs_->list(call.client_name, status, ids, page_size, before);
        std::vector<wire::JobView> views;
        for (auto& job : page.jobs) views.push_back(std::move(job.view));
        std::optional<std::string> next;
        if (page.next) next = std::to_string(*page.next);
        return json_response(200, wire::v2_list_json(views, next, page.total));
    }
    if (rest == "/upload") {
        if (method != "POST") return method_not_allowed("POST");
        auto form = read_form(request, error);
        if (!form) return error_response(error);
        auto submission = wire::parse_v2_upload(*form, error);
        if (!submission) return error_response(error);
        return submit(call, std::move(*submission), JobIdStyle::v2);
    }
    rest.remove_prefix(1);
    const auto slash = rest.find('/');
    const std::string id = percent_decoded(rest.substr(0, slash), false);
    if (id.empty()) return not_found();
    if (slash != std::string_view::npos) {
        if (rest.substr(slash) != "/cancel") return not_found();
        if (method != "POST") return method_not_allowed("POST");
        auto [change, job] = jobs_->cancel(id, call.client_name);
        if (change == ParseJobs::Change::unknown) return detail(404, unknown_job(id));
        if (change == ParseJobs::Change::refused) {
            Response response = detail(400, "job '" + id + "' is already " +
                                                std::string(wire::v2_status_name(job->view.status)) +
                                                "; only a PENDING or RUNNING job can be cancelled");
            add_route_headers(response, *job);
            return response;
        }
        audit_.log(LogLevel::info, request.request_id,
                   fmt::format("client={} service={} job={} cancelled; its call runs on and its result will be "
                               "discarded",
                               call.client_name, job->service, id));
        return json_response(200, wire::v2_job_json(job->view, true));
    }
    if (method == "DELETE") {
        auto [change, job] = jobs_->remove(id, call.client_name);
        if (change == ParseJobs::Change::unknown) return detail(404, unknown_job(id));
        if (change == ParseJobs::Change::refused) {
            return detail(400, "job '" + id + "' is still " + std::string(wire::v2_status_name(job->view.status)) +
                                   "; cancel it first (POST /api/v2/parse/" + id + "/cancel)");
        }
        return json_response(200, wire::v2_deleted_json(job->view));
    }
    if (method != "GET") return method_not_allowed("GET, DELETE");
    auto expand = wire::v2_expansions(query_values(request.query, "expand"), error);
    if (!expand) return error_response(error);
    auto job = jobs_->find(id, call.client_name);
    if (!job) return detail(404, unknown_job(id));
    Response response = json_response(200, wire::v2_get_json(job->view, job->result.get(), *expand));
    add_route_headers(response, *job);
    return response;
}

Response ParseApi::files(Call& call, std::string_view rest) {
    const Request& request = call.request;
    const std::string& method = request.method;
    if (rest.empty()) {
        if (method != "POST") return method_not_allowed("POST");
        wire::DetailError error;
        auto form = read_form(request, error);
        if (!form) return error_response(error);
        const wire::FormPart* file = form->first("file");
        if (!file || !file->file_name) {
            return detail(400, "send the document as a multipart/form-data part named 'file' (with a filename)");
        }
        if (file->data.empty()) return detail(400, "the uploaded file '" + *file->file_name + "' is empty");
        StoredFile stored;
        stored.client = call.client_name;
        stored.view.name = *file->file_name;
        stored.view.project_id = query_value(request.query, "project_id").value_or("default");
        if (const auto* purpose = form->first("purpose")) stored.view.purpose = std::string(purpose->data);
        if (const auto* external = form->first("external_file_id")) {
            stored.view.external_file_id = std::string(external->data);
        }
        stored.mime_type = file->content_type.empty() || file->content_type == "application/octet-stream"
                               ? wire::mime_type_for(*file->file_name)
                               : file->content_type;
        stored.data = std::make_shared<const std::string>(file->data);
        auto kept = jobs_->store_file(std::move(stored));
        if (!kept) return retry_later(kept.error());
        return json_response(200, wire::file_json(kept.value().view));
    }
    const std::string id = percent_decoded(rest.substr(1), false);
    if (id.empty() || id.find('/') != std::string::npos) return not_found();
    if (method == "DELETE") {
        if (!jobs_->drop_file(id, call.client_name)) return detail(404, "file '" + id + "' is not known here");
        return json_response(204, "");
    }
    if (method != "GET") return method_not_allowed("GET, DELETE");
    auto stored = jobs_->file(id, call.client_name);
    if (!stored) return detail(404, "file '" + id + "' is not known here: it never existed, it expired ([server] "
                                    "job_ttl), or another client stored it");
    return json_response(200, wire::file_json(stored->view));
}

Response ParseApi::submit(Call& call, wire::ParseSubmission submission, JobIdStyle style) {
    const Request& request = call.request;
    ParseRequest& document = submission.request;
    if (!submission.file_id.empty()) {
        auto stored = jobs_->file(submission.file_id, call.client_name);
        if (!stored) {
            return detail(404, "file '" + submission.file_id + "' is not known here: store it with POST "
                               "/api/v1/beta/files first (files expire after [server] job_ttl)");
        }
        document.file_name = stored->view.name;
        document.mime_type = stored->mime_type;
        document.data = *stored->data;
    }
    const std::size_t bytes = document.data.size();
    ParseJob job;
    job.view.project_id = query_value(request.query, "project_id").value_or("default");
    job.view.tier = document.options.mode;
    job.view.name = document.file_name;
    job.client = call.client_name;
    job.service = call.service;
    job.request_id = request.request_id;
    job.page_separator = submission.page_separator;
    auto registered = jobs_->start(std::move(job), style, bytes);
    if (!registered) return retry_later(registered.error());
    const std::string id = registered.value().view.id;

    router::CallOptions options;
    options.request_id = request.request_id;
    options.client = call.client_name;
    auto routing = runtime_.router().parse(call.service, std::move(document), std::move(options));
    std::move(routing).start([outlet = outlet_, id, bytes, service = call.service, client = call.client_name,
                              began = Steady::now()](router::Routed<ParseResponse> routed) noexcept {
        std::shared_lock lock(outlet->mutex);
        if (!outlet->open) return;  // the routes are gone, and with them the job, its audit and metrics
        try {
            const bool ok = routed.result.ok();
            outlet->metrics.record(service, routed, ok ? &routed.result.value().usage : nullptr,
                                   Steady::now() - began);
            RouteFacts facts{routed.backend, std::string(routed.last_fallback_reason()), routed.cost};
            const std::string outcome = ok ? "ok" : std::string(to_string(routed.result.error().kind));
            auto job = outlet->jobs->finish(id, bytes, std::move(routed.result), facts);
            if (outlet->audit.enabled(LogLevel::info)) {
                outlet->audit.log(LogLevel::info, routed.request_id,
                                  fmt::format("client={} service={} backend={} outcome={} cost_usd={} job={} "
                                              "job_status={}",
                                              client, service, routed.backend.empty() ? "-" : routed.backend,
                                              outcome, cost::to_decimal(routed.cost), id,
                                              job ? wire::v2_status_name(job->view.status)
                                                  : std::string_view("DROPPED")));
            }
        } catch (...) {  // on_done must not throw; only memory can run out here
        }
    });

    wire::JobView view = registered.value().view;
    view.status = wire::JobStatus::pending;  // as LlamaParse answers an upload: queued
    if (style == JobIdStyle::uuid) {
        return json_response(200, wire::v1_job_json(view));
    }
    return json_response(200, wire::v2_job_json(view));
}

}  // namespace switchboard::server
