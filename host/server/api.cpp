#include "server/api.hpp"

#include <array>

#include <boost/json.hpp>

#include "cost/money.hpp"
#include "wire/openai_api.hpp"

namespace switchboard::server {
namespace {

struct Route {
    std::string_view path;
    std::string_view method;
};

constexpr std::array<Route, 3> routes{{{"/healthz", "GET"}, {"/readyz", "GET"}, {"/v1/embeddings", "POST"}}};

Response json_response(int status, std::string body) {
    Response response;
    response.status = status;
    response.body = std::move(body);
    return response;
}

Response error_response(const wire::ApiError& error) { return json_response(error.status, error.body()); }

// What the router did with a call, as response headers.
template <class T>
void add_route_headers(Response& response, const router::Routed<T>& routed) {
    if (!routed.backend.empty()) response.headers.emplace_back("x-switchboard-backend", routed.backend);
    if (!routed.fallbacks.empty()) {
        response.headers.emplace_back("x-switchboard-fallback",
                                      std::string(router::fallback_reason(routed.fallbacks.back().error)));
    }
    response.headers.emplace_back("x-switchboard-cost-usd", cost::to_decimal(routed.cost));
}

}  // namespace

Api::Api(runtime::Runtime& runtime) : runtime_(runtime) {}

Task<Response> Api::handle(Request request) {
    for (const auto& route : routes) {
        if (route.path != request.path) continue;
        if (route.method != request.method) {
            wire::ApiError error;
            error.status = 405;
            error.message = "method " + request.method + " is not allowed on " + request.path + "; use " +
                            std::string(route.method);
            Response response = error_response(error);
            response.headers.emplace_back("Allow", std::string(route.method));
            co_return response;
        }
        if (request.path == "/healthz") co_return healthz();
        if (request.path == "/readyz") co_return readyz();
        auto answer = embeddings(std::move(request));
        co_return co_await std::move(answer);
    }
    wire::ApiError error;
    error.status = 404;
    error.message = "no route " + request.method + " " + request.path + " on this host";
    error.code = "unknown_url";
    co_return error_response(error);
}

Response Api::healthz() const { return json_response(200, R"({"status":"ok"})"); }

Response Api::readyz() const {
    boost::json::object checks;
    std::string failing;
    auto check = [&](std::string_view name, bool ok, const std::string& why) {
        checks[name] = ok ? boost::json::value("ok") : boost::json::value(why);
        if (!ok) failing += (failing.empty() ? "" : "; ") + why;
    };
    check("config", runtime_.ok(), "the config has errors");
    check("plugins", !runtime_.plugins().empty(), "no plugin was loaded");
    auto failure = runtime_.cost().ledger_failure();
    check("ledger", runtime_.cost().ledger_healthy(), failure.value_or("the spend ledger cannot be written"));
    boost::json::object body;
    body["status"] = failing.empty() ? "ready" : "not ready";
    body["checks"] = std::move(checks);
    return json_response(failing.empty() ? 200 : 503, boost::json::serialize(body));
}

std::string Api::service_for_model(const std::string& model) const {
    const auto& config = *runtime_.config();
    if (auto it = config.server.models.find(model); it != config.server.models.end()) return it->second;
    for (const auto& [name, service] : config.services) {
        if (service.capability == capability::embeddings) return name;
    }
    return {};
}

Task<Response> Api::embeddings(Request request) {
    wire::ApiError problem;
    auto parsed = wire::parse_openai_embeddings(request.body, problem);
    if (!parsed) co_return error_response(problem);
    auto call = std::move(parsed).value();
    const std::string service = service_for_model(call.request.model);
    if (service.empty()) {
        problem.status = 404;
        problem.message = "no embeddings service is configured on this host";
        problem.param = "model";
        problem.code = "model_not_found";
        co_return error_response(problem);
    }
    router::CallOptions options;
    options.request_id = request.request_id;
    options.client = "http";
    auto routing = runtime_.router().embed(service, std::move(call.request), std::move(options));
    auto routed = co_await std::move(routing);

    Response response;
    if (routed.result.ok()) {
        response = json_response(200, wire::to_openai_json(routed.result.value(), call.base64));
    } else {
        const Error& error = routed.result.error();
        response = error_response(wire::api_error_for(error));
        if (error.retry_after) {
            const auto seconds = (error.retry_after->count() + 999) / 1000;
            response.headers.emplace_back("Retry-After", std::to_string(seconds));
            response.headers.emplace_back("retry-after-ms", std::to_string(error.retry_after->count()));
        }
    }
    add_route_headers(response, routed);
    co_return response;
}

}  // namespace switchboard::server
