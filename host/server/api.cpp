#include "server/api.hpp"

#include <algorithm>
#include <array>
#include <cctype>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <sstream>

#include <boost/json.hpp>
#include <fmt/format.h>
#include <openssl/crypto.h>
#include <openssl/sha.h>

#include "cost/money.hpp"
#include "cost/reports.hpp"
#include "ledger/export.hpp"
#include "server/call_headers.hpp"
#include "server/query.hpp"
#include "server/streamed_body.hpp"
#include "wire/llamaparse_api.hpp"
#include "wire/openai_api.hpp"

namespace switchboard::server {
namespace {

struct Route {
    std::string_view path;
    std::string_view method;
};

constexpr std::array<Route, 5> routes{{{"/healthz", "GET"},
                                       {"/readyz", "GET"},
                                       {"/metrics", "GET"},
                                       {"/v1/status", "GET"},
                                       {"/v1/embeddings", "POST"}}};

Response json_response(int status, std::string body) {
    Response response;
    response.status = status;
    response.body = std::move(body);
    return response;
}

Response error_response(const wire::ApiError& error) { return json_response(error.status, error.body()); }

// What the router did with a call, as response headers.
template <class T>
void add_route_headers(Response& response, const router::Routed<T>& routed,
                       std::chrono::steady_clock::time_point started) {
    // Time spent in the host: the whole answer, less the time inside the backends' calls.
    const auto total = std::chrono::steady_clock::now() - started;
    const auto overhead = std::max(std::chrono::nanoseconds{0}, total - routed.backend_time);
    char text[32];
    std::snprintf(text, sizeof text, "%.3f", std::chrono::duration<double, std::milli>(overhead).count());
    response.headers.emplace_back("x-switchboard-overhead-ms", text);
    add_call_headers(response, routed.backend, routed.last_fallback_reason(), routed.cost);
}

std::string sha256_hex(std::string_view text) {
    unsigned char digest[SHA256_DIGEST_LENGTH];
    SHA256(reinterpret_cast<const unsigned char*>(text.data()), text.size(), digest);
    static constexpr char hex[] = "0123456789abcdef";
    std::string out;
    for (unsigned char byte : digest) {
        out += hex[byte >> 4];
        out += hex[byte & 15];
    }
    return out;
}

wire::ApiError bad_request(std::string message, std::optional<std::string> param = std::nullopt) {
    wire::ApiError error;
    error.status = 400;
    error.message = std::move(message);
    error.param = std::move(param);
    return error;
}

wire::ApiError unauthorized(std::string message) {
    wire::ApiError error;
    error.status = 401;
    error.message = std::move(message);
    error.code = "invalid_api_key";
    return error;
}

}  // namespace

Api::Api(runtime::Runtime& runtime, Logger& audit)
    : runtime_(runtime), audit_(audit), parse_(runtime, runtime.clock(), audit, metrics_) {}

std::optional<const config::ClientSettings*> Api::authenticate(const Request& request) const {
    const auto& clients = runtime_.config()->server.clients;
    if (clients.empty()) return nullptr;
    auto header = request.header("authorization");
    if (!header || !header->starts_with("Bearer ") || header->size() <= 7) return std::nullopt;
    const std::string presented = sha256_hex(header->substr(7));
    const config::ClientSettings* match = nullptr;
    for (const auto& [name, client] : clients) {  // every client compared, in constant time each
        if (client.key_sha256.size() == presented.size() &&
            CRYPTO_memcmp(client.key_sha256.data(), presented.data(), presented.size()) == 0) {
            match = &client;
        }
    }
    if (match == nullptr) return std::nullopt;
    return match;
}

std::vector<RouteOptions> Api::route_options() { return {ParseApi::route_options()}; }

Task<Response> Api::handle(Request request) {
    if (request.path.starts_with("/admin/")) co_return admin(request);
    if (ParseApi::owns(request.path)) {
        auto client = authenticate(request);
        if (!client) {  // LlamaParse's own words, which its clients show
            co_return json_response(401, wire::DetailError{401, "Invalid authentication token"}.body());
        }
        auto answer = parse_.handle(std::move(request), *client);
        co_return co_await std::move(answer);
    }
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
        auto client = authenticate(request);
        if (!client) {
            co_return error_response(unauthorized(
                request.header("authorization")
                    ? "the API key is not valid for this host; check the key (it is never logged or echoed)"
                    : "this host needs an API key: send it as 'Authorization: Bearer KEY'"));
        }
        if (request.path == "/v1/status") co_return status(*client);
        if (request.path == "/metrics") {
            Response metrics = json_response(200, metrics_.render(runtime_));
            metrics.content_type = "text/plain; version=0.0.4; charset=utf-8";
            co_return metrics;
        }
        auto answer = embeddings(std::move(request), *client);
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

std::map<std::string, cost::CapForecast> Api::forecasts() const {
    const auto now = runtime_.clock().now();
    {
        std::lock_guard lock(forecasts_mutex_);
        if (forecasts_read_at_ && now - *forecasts_read_at_ < forecast_ttl) return forecasts_;
    }
    // Forecasts come from the ledger's rows, as `switchboard costs forecast` makes them.
    std::map<std::string, cost::CapForecast> read;
    try {
        const auto& config = *runtime_.config();
        ledger::Reader reader(config.cost.ledger);
        const auto report =
            cost::forecast_report(config, &reader, runtime_.cost().zone(), runtime_.clock().wall_now(), std::nullopt);
        for (const auto& cap : report.forecast.caps) read.emplace(cost::id_of(cap.key), cap);
    } catch (const ledger::LedgerError&) {
        // No ledger to read: caps are shown without a forecast; "ledger" in the status says why.
    }
    std::lock_guard lock(forecasts_mutex_);
    forecasts_read_at_ = now;
    forecasts_ = read;
    return read;
}

Response Api::status(const config::ClientSettings* client) const {
    using ledger::json_string;
    const auto& config = *runtime_.config();
    auto& policy = runtime_.cost();
    const auto& zone = policy.zone();
    std::string out = "{\"services\":{";
    bool first = true;
    for (const auto& [name, service] : config.services) {
        std::string real;
        for (const auto& backend : service.real) real += (real.empty() ? "" : ",") + json_string(backend);
        out += (first ? "" : ",") + json_string(name) + ":{\"capability\":" + json_string(service.capability) +
               ",\"mode\":" + json_string(config::to_string(runtime_.router().mode(name))) + ",\"real\":[" + real +
               "],\"mock\":" + (service.mock.empty() ? "null" : json_string(service.mock)) + "}";
        first = false;
    }
    out += "},\"backends\":{";
    std::map<std::string, cost::RateState> rates;
    for (auto& rate : policy.rates()) rates.emplace(rate.backend, rate);
    first = true;
    for (const auto& [name, health] : runtime_.health().snapshot_all()) {
        auto plugin = config.backends.find(name);
        out += (first ? "" : ",") + json_string(name) + ":{\"plugin\":" +
               json_string(plugin == config.backends.end() ? "" : plugin->second.plugin) +
               ",\"health\":" + json_string(health::to_string(health.state)) +
               ",\"circuit\":" + json_string(health::to_string(health.circuit)) +
               ",\"consecutive_failures\":" + std::to_string(health.consecutive_failures) +
               ",\"last_error\":" + (health.last_error ? json_string(describe(*health.last_error)) : "null") +
               ",\"upstream\":{";
        bool first_detail = true;
        for (const auto& [label, value] : runtime_.status_details(name)) {
            out += (first_detail ? "" : ",") + json_string(label) + ":" + json_string(value);
            first_detail = false;
        }
        out += "},\"rate_limit\":";
        if (auto rate = rates.find(name); rate != rates.end()) {
            const auto& r = rate->second;
            auto limit = [](const std::optional<std::int64_t>& value) {
                return value ? std::to_string(*value) : std::string("null");
            };
            out += "{\"rpm\":" + limit(r.requests_per_minute) + ",\"requests_left\":" +
                   std::to_string(static_cast<std::int64_t>(r.requests_available)) + ",\"tpm\":" +
                   limit(r.tokens_per_minute) + ",\"tokens_left\":" +
                   std::to_string(static_cast<std::int64_t>(r.tokens_available)) + "}";
        } else {
            out += "null";
        }
        out += "}";
        first = false;
    }

    const auto forecasts = this->forecasts();
    out += "},\"caps\":[";
    first = true;
    for (const auto& cap : policy.caps()) {
        if (cap.key.scope == cost::Scope::client && (client == nullptr || cap.key.name != client->name)) continue;
        const std::string id = cost::id_of(cap.key);
        auto forecast = forecasts.find(id);
        out += std::string(first ? "" : ",") + "{\"cap\":" + json_string(id) +
               ",\"spent_usd\":" + cost::to_decimal(cap.spent) + ",\"held_usd\":" + cost::to_decimal(cap.reserved) +
               ",\"limit_usd\":" + cost::to_decimal(cap.limit) +
               ",\"alert_percent\":" + std::to_string(cap.alert_percent) +
               ",\"resets_at\":" + json_string(zone.format(cap.resets_at)) + ",\"projected_usd\":" +
               (forecast == forecasts.end() ? "null" : cost::to_decimal(forecast->second.projected)) +
               ",\"reached_at\":" +
               (forecast == forecasts.end() || !forecast->second.reached_at
                    ? "null"
                    : json_string(zone.format(*forecast->second.reached_at))) +
               "}";
        first = false;
    }
    auto failure = policy.ledger_failure();
    out += "],\"ledger\":{\"path\":" + json_string(config.cost.ledger.string()) +
           ",\"healthy\":" + (policy.ledger_healthy() ? "true" : "false") +
           ",\"failure\":" + (failure ? json_string(*failure) : "null") + "}}";
    return json_response(200, std::move(out));
}

Response Api::admin(const Request& request) {
    const auto& config = *runtime_.config();
    if (config.server.admin_key_sha256.empty()) {
        wire::ApiError error;
        error.status = 403;
        error.message = "admin routes are off: set server.admin_key_sha256 to the SHA-256 of an admin key";
        error.code = "admin_disabled";
        return error_response(error);
    }
    auto header = request.header("authorization");
    const std::string presented = header && header->starts_with("Bearer ") ? sha256_hex(header->substr(7)) : "";
    if (presented.size() != config.server.admin_key_sha256.size() ||
        CRYPTO_memcmp(presented.data(), config.server.admin_key_sha256.data(), presented.size()) != 0) {
        return error_response(unauthorized("admin routes need the admin key: 'Authorization: Bearer ADMIN_KEY'"));
    }

    const std::string_view path = request.path;
    constexpr std::string_view services_prefix = "/admin/services/";
    if (path.starts_with(services_prefix) && path.ends_with("/mode")) {
        if (request.method != "POST") {
            Response response = error_response(bad_request("use POST to switch a service's mode"));
            response.status = 405;
            response.headers.emplace_back("Allow", "POST");
            return response;
        }
        const std::string service(path.substr(services_prefix.size(),
                                              path.size() - services_prefix.size() - std::string_view("/mode").size()));
        boost::system::error_code ec;
        auto body = boost::json::parse(request.body, ec);
        const auto* mode_value = !ec && body.is_object() ? body.get_object().if_contains("mode") : nullptr;
        auto mode = mode_value && mode_value->is_string() ? config::mode_from_string(mode_value->get_string())
                                                          : std::nullopt;
        if (!mode) return error_response(bad_request("send {\"mode\": \"mock\" | \"real\" | \"hybrid\"}", "mode"));
        Status switched = runtime_.router().set_mode(service, *mode);
        if (!switched) return error_response(wire::api_error_for(switched.error()));
        audit_.log(LogLevel::info, request.request_id,
                   fmt::format("admin: service {} switched to mode {}", service, config::to_string(*mode)));
        boost::json::object answer{{"service", service}, {"mode", config::to_string(*mode)}};
        return json_response(200, boost::json::serialize(answer));
    }

    if (request.method != "GET") {
        Response response = error_response(bad_request("admin cost routes answer GET"));
        response.status = 405;
        response.headers.emplace_back("Allow", "GET");
        return response;
    }
    const auto zone = cost::TimeZone::load(config.cost.timezone);
    const auto now = std::chrono::system_clock::now();
    ledger::Query query;
    try {
        if (auto since = query_value(request.query, "since")) query.since = cost::parse_time(*since, zone, now);
        if (auto until = query_value(request.query, "until")) query.until = cost::parse_time(*until, zone, now);
    } catch (const std::invalid_argument& e) {
        return error_response(bad_request(e.what()));
    }
    query.service = query_value(request.query, "service");
    const std::string format_text = query_value(request.query, "format").value_or(
        path == "/admin/costs/export" ? "csv" : "json");
    auto format = cost::report_format_from_string(format_text);
    if (!format || *format == cost::ReportFormat::table) {
        return error_response(bad_request("format must be json or csv", "format"));
    }
    // Calls that spent nothing are recorded without waiting: let the report see every call
    // answered before it.
    runtime_.ledger().flush();
    std::unique_ptr<ledger::Reader> reader;
    std::error_code exists;
    if (std::filesystem::exists(config.cost.ledger, exists)) {
        try {
            reader = std::make_unique<ledger::Reader>(config.cost.ledger);
        } catch (const ledger::LedgerError& e) {
            wire::ApiError error;
            error.status = 503;
            error.type = "server_error";
            error.message = e.what();
            return error_response(error);
        }
    }
    std::ostringstream out;
    if (path == "/admin/costs/summary") {
        auto by = cost::window_from_string(query_value(request.query, "by").value_or("day"));
        auto group = cost::group_by_from_string(query_value(request.query, "group").value_or("service"));
        if (!by) return error_response(bad_request("by must be hour, day or month", "by"));
        if (!group) return error_response(bad_request("group must be service, backend, model or client", "group"));
        cost::write_report(cost::summary_report(reader.get(), query, zone, *by, *group), zone, *format, out);
    } else if (path == "/admin/costs/forecast") {
        cost::write_report(cost::forecast_report(config, reader.get(), zone, now, query.service), zone, *format, out);
    } else if (path == "/admin/costs/export") {
        // Streamed: a year of rows is far more than an answer should hold in memory.
        Response response;
        if (*format == cost::ReportFormat::csv) response.content_type = "text/csv; charset=utf-8";
        const auto rows_format = *format == cost::ReportFormat::json ? ledger::Format::json : ledger::Format::csv;
        response.stream = std::make_shared<StreamedBody>(
            [reader = std::shared_ptr<ledger::Reader>(std::move(reader)), query, rows_format](std::ostream& body) {
                ledger::export_rows(reader.get(), query, rows_format, body);
            });
        return response;
    } else {
        wire::ApiError error;
        error.status = 404;
        error.message = "no admin route " + request.path;
        error.code = "unknown_url";
        return error_response(error);
    }
    Response response = json_response(200, std::move(out).str());
    if (*format == cost::ReportFormat::csv) response.content_type = "text/csv; charset=utf-8";
    return response;
}

std::string Api::service_for_model(const std::string& model) const {
    const auto& config = *runtime_.config();
    if (auto it = config.server.models.find(model); it != config.server.models.end()) return it->second;
    for (const auto& [name, service] : config.services) {
        if (service.capability == capability::embeddings) return name;
    }
    return {};
}

Task<Response> Api::embeddings(Request request, const config::ClientSettings* client) {
    const auto started = std::chrono::steady_clock::now();
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
    if (client != nullptr && !client->services.empty() &&
        std::find(client->services.begin(), client->services.end(), service) == client->services.end()) {
        problem.status = 403;
        problem.message = "client '" + client->name + "' may not call service '" + service + "'";
        problem.code = "service_not_allowed";
        co_return error_response(problem);
    }
    router::CallOptions options;
    options.request_id = request.request_id;
    options.client = std::string(config::ClientSettings::name_of(client));
    auto routing = runtime_.router().embed(service, std::move(call.request), std::move(options));
    auto routed = co_await std::move(routing);

    Response response;
    if (routed.result.ok()) {
        response = json_response(200, wire::to_openai_json(routed.result.value(), call.base64));
    } else {
        const Error& error = routed.result.error();
        response = error_response(wire::api_error_for(error));
        add_retry_after(response, error);
    }
    add_route_headers(response, routed, started);
    metrics_.record(service, routed, routed.result.ok() ? &routed.result.value().usage : nullptr,
                    std::chrono::steady_clock::now() - started);
    if (audit_.enabled(LogLevel::info)) {
        audit_.log(LogLevel::info, routed.request_id,
                   fmt::format("client={} service={} backend={} outcome={} cost_usd={} status={}",
                               config::ClientSettings::name_of(client), service,
                               routed.backend.empty() ? "-" : routed.backend,
                               routed.result.ok() ? "ok" : to_string(routed.result.error().kind),
                               cost::to_decimal(routed.cost), response.status));
    }
    co_return response;
}

}  // namespace switchboard::server
