#include "openai_embeddings/openai_embeddings.hpp"

#include <memory>
#include <utility>

#include "openai_embeddings/fan_out.hpp"
#include "openai_embeddings/openai_errors.hpp"

namespace switchboard::openai {
namespace {

bool debug_enabled(Logger* logger) { return logger && logger->enabled(LogLevel::debug); }

std::string batch_label(std::size_t number, std::size_t of, const Batch& batch) {
    std::string inputs = std::to_string(batch.size()) + (batch.size() == 1 ? " input" : " inputs");
    if (of == 1) return inputs;
    return "batch " + std::to_string(number) + "/" + std::to_string(of) + ", " + inputs;
}

}  // namespace

PluginInfo OpenAIEmbeddings::info() const {
    PluginInfo info;
    info.name = std::string(plugin_name);
    info.version = "1.0.0";
    info.capabilities = {std::string(capability::embeddings)};
    info.api_key_prefix = "sk-";
    info.api_key_env = "OPENAI_API_KEY";
    info.settings_from_env = {{"base_url", "OPENAI_BASE_URL"}};
    return info;
}

Status OpenAIEmbeddings::start(const HostServices& host, const BackendConfig& config) {
    if (!host.http) {
        return Error::make(ErrorKind::internal, std::string(plugin_name) + " backend '" + config.backend +
                                                    "' needs the host's HTTP client (HostServices::http is null)");
    }
    auto settings = OpenAISettings::from(config.settings);
    if (!settings) return std::move(settings).error();
    settings_ = std::move(settings).value();
    backend_ = config.backend;
    api_key_ = config.api_key;
    http_ = host.http;
    logger_ = host.logger;
    if (debug_enabled(logger_)) {
        logger_->log(LogLevel::debug, "",
                     std::string(plugin_name) + " started: " + settings_.base_url + ", model '" + settings_.model +
                         "', encoding " + std::string(to_string(settings_.encoding_format)) + ", batches of at most " +
                         std::to_string(settings_.max_batch_inputs) + " inputs and " +
                         std::to_string(settings_.max_batch_tokens) + " tokens, " +
                         std::to_string(settings_.batch_concurrency) + " at a time, key " +
                         (api_key_.empty() ? "missing" : api_key_.redacted()));
    }
    return {};
}

Task<Result<EmbeddingsResponse>> OpenAIEmbeddings::embed(CallContext ctx, EmbeddingsRequest request) {
    if (auto error = not_ready(ctx)) co_return std::move(*error);
    if (auto error = invalid_request(ctx, request)) co_return std::move(*error);
    std::string model = request.model.empty() ? settings_.model : request.model;
    auto batches = plan_batches(estimate_tokens(request), settings_.max_batch_inputs, settings_.max_batch_tokens);

    if (batches.size() == 1) {
        auto call = send_batch(ctx, request, batches.front(), model, batch_label(1, 1, batches.front()));
        auto answer = co_await std::move(call);
        if (!answer) co_return std::move(answer).error();
        co_return EmbeddingsResponse{std::move(answer->vectors), std::move(answer->model), answer->usage};
    }

    if (ctx.logger && ctx.logger->enabled(LogLevel::debug)) {
        ctx.log(LogLevel::debug, std::to_string(batches.size()) + " batches for " +
                                     std::to_string(batches.back().end) + " inputs, " +
                                     std::to_string(settings_.batch_concurrency) + " at a time");
    }
    // The batches share a cancellation of their own: the caller's cancels it, and so does the
    // first failed batch, which aborts the others in flight.
    auto batch_cancellation = std::make_shared<Cancellation>();
    Cancellation::CallbackId link = 0;
    if (ctx.cancellation) link = ctx.cancellation->on_cancel([batch_cancellation] { batch_cancellation->cancel(); });
    CallContext batch_ctx = ctx;
    batch_ctx.cancellation = batch_cancellation;

    const std::size_t count = batches.size();
    auto job = [this, &request, &batches, &model, &batch_ctx, count](std::size_t i) {
        return send_batch(batch_ctx, request, batches[i], model, batch_label(i + 1, count, batches[i]));
    };
    auto all = fan_out<EmbeddingsAnswer>(count, settings_.batch_concurrency, std::move(job),
                                         [batch_cancellation] { batch_cancellation->cancel(); });
    auto answers = co_await std::move(all);
    if (link != 0) ctx.cancellation->remove(link);
    if (!answers) co_return std::move(answers).error();

    EmbeddingsResponse response;
    response.vectors.reserve(batches.back().end);
    response.model = answers->front().model;
    for (auto& answer : answers.value()) {
        for (auto& vector : answer.vectors) response.vectors.push_back(std::move(vector));
        response.usage.prompt_tokens += answer.usage.prompt_tokens;
        response.usage.total_tokens += answer.usage.total_tokens;
    }
    co_return response;
}

Task<Result<EmbeddingsAnswer>> OpenAIEmbeddings::send_batch(CallContext ctx, const EmbeddingsRequest& request,
                                                            Batch batch, std::string model, std::string label) {
    HttpRequest upstream = upstream_request("POST", "/embeddings", ctx, std::move(label));
    upstream.body = embeddings_body(request, batch, model, settings_.encoding_format);
    auto sent = http_->send(ctx, std::move(upstream));
    Result<HttpResponse> response = co_await std::move(sent);
    if (!response) {
        Error error = std::move(response).error();
        error.message = scrub(std::move(error.message));
        co_return error;
    }
    remember(response.value());
    auto answer = parse_embeddings(response->body, batch.size(), request.dimensions, api_key_);
    if (!answer) {
        co_return Error::make(ErrorKind::upstream_error,
                              scrub("OpenAI answer to POST /embeddings " + answer.error().message) +
                                  context(ctx.request_id, response->header("x-request-id")),
                              response->status);
    }
    co_return answer;
}

Task<Status> OpenAIEmbeddings::health(CallContext ctx) {
    if (auto error = not_ready(ctx)) co_return std::move(*error);
    HttpRequest probe = upstream_request("GET", "/models", ctx, "health probe");
    probe.retry = false;  // a probe reports the state now; the health monitor counts failures
    auto sent = http_->send(ctx, std::move(probe));
    Result<HttpResponse> response = co_await std::move(sent);
    if (!response) {
        Error error = std::move(response).error();
        error.message = scrub(std::move(error.message));
        co_return error;
    }
    remember(response.value());
    co_return Status{};
}

std::vector<std::pair<std::string, std::string>> OpenAIEmbeddings::status_details() const {
    std::lock_guard lock(facts_mutex_);
    std::vector<std::pair<std::string, std::string>> details;
    auto add = [&](const char* label, const std::string& value) {
        if (!value.empty()) details.emplace_back(label, value);
    };
    add("upstream request id", facts_.request_id);
    add("requests remaining", facts_.remaining_requests);
    add("tokens remaining", facts_.remaining_tokens);
    add("requests reset in", facts_.reset_requests);
    add("tokens reset in", facts_.reset_tokens);
    add("requests limit", facts_.limit_requests);
    add("tokens limit", facts_.limit_tokens);
    return details;
}

HttpRequest OpenAIEmbeddings::upstream_request(std::string method, std::string_view path, const CallContext& ctx,
                                               std::string label) const {
    HttpRequest request;
    request.url = settings_.base_url + std::string(path);
    request.headers.push_back({"Authorization", "Bearer " + api_key_.reveal()});
    if (method == "POST") request.headers.push_back({"Content-Type", "application/json"});
    if (!settings_.organization.empty()) request.headers.push_back({"OpenAI-Organization", settings_.organization});
    if (!settings_.project.empty()) request.headers.push_back({"OpenAI-Project", settings_.project});

    std::string call = method + " " + std::string(path);
    request.method = std::move(method);
    request.classify = [this, call = std::move(call), label = std::move(label), request_id = ctx.request_id,
                        logger = ctx.logger](const HttpResponse& response) noexcept -> std::optional<Error> {
        try {
            remember(response);
            auto upstream_id = response.header("x-request-id");
            if (debug_enabled(logger)) {
                logger->log(LogLevel::debug, request_id,
                            call + " (" + label + "): " + std::to_string(response.status) + ", x-request-id " +
                                std::string(upstream_id.value_or("none")));
            }
            auto error = classify_answer(response, call, api_key_);
            if (error) error->message += context(request_id, upstream_id);
            return error;
        } catch (...) {
            return error_for_status(response.status, "OpenAI " + std::to_string(response.status) + " on " + call);
        }
    };
    return request;
}

std::optional<Error> OpenAIEmbeddings::not_ready(const CallContext& ctx) const {
    if (!http_) {
        return Error::make(ErrorKind::internal, std::string(plugin_name) + " was called before start() (request " +
                                                    ctx.request_id + ")");
    }
    if (api_key_.empty()) {
        return Error::make(ErrorKind::auth, "no API key for backend '" + backend_ +
                                                "': set OPENAI_API_KEY or api_key in [backends." + backend_ + "]");
    }
    return std::nullopt;
}

std::optional<Error> OpenAIEmbeddings::invalid_request(const CallContext& ctx, const EmbeddingsRequest& request) const {
    std::string problem;
    if (request.inputs.empty() && request.token_inputs.empty()) {
        problem = "the request has no inputs; send at least one text or token array";
    } else if (!request.inputs.empty() && !request.token_inputs.empty()) {
        problem = "the request sets both inputs and token_inputs; send one of them";
    } else if (request.dimensions && *request.dimensions < 1) {
        problem = "dimensions must be at least 1, got " + std::to_string(*request.dimensions);
    } else {
        for (std::size_t i = 0; i < request.inputs.size() && problem.empty(); ++i) {
            if (request.inputs[i].empty()) problem = "input " + std::to_string(i) + " is empty, which OpenAI refuses";
        }
        for (std::size_t i = 0; i < request.token_inputs.size() && problem.empty(); ++i) {
            if (request.token_inputs[i].empty()) {
                problem = "token input " + std::to_string(i) + " is empty, which OpenAI refuses";
            }
        }
    }
    if (problem.empty()) return std::nullopt;
    return Error::make(ErrorKind::bad_request, problem + context(ctx.request_id, std::nullopt));
}

std::string OpenAIEmbeddings::context(std::string_view request_id, std::optional<std::string_view> upstream_id) const {
    std::string text = " (backend '" + backend_ + "', request " + std::string(request_id);
    if (upstream_id && !upstream_id->empty()) {
        text += ", x-request-id " + snippet(scrub(std::string(*upstream_id)), 100);
    }
    return text + ")";
}

std::string OpenAIEmbeddings::scrub(std::string text) const { return redact(std::move(text), api_key_); }

void OpenAIEmbeddings::remember(const HttpResponse& response) const {
    std::lock_guard lock(facts_mutex_);
    // Each answer replaces them all: a header the latest answer did not send is no longer known.
    auto keep = [&](std::string& field, std::string_view header) {
        auto value = response.header(header);
        field = value ? snippet(scrub(std::string(*value)), 100) : std::string();
    };
    keep(facts_.request_id, "x-request-id");
    keep(facts_.limit_requests, "x-ratelimit-limit-requests");
    keep(facts_.limit_tokens, "x-ratelimit-limit-tokens");
    keep(facts_.remaining_requests, "x-ratelimit-remaining-requests");
    keep(facts_.remaining_tokens, "x-ratelimit-remaining-tokens");
    keep(facts_.reset_requests, "x-ratelimit-reset-requests");
    keep(facts_.reset_tokens, "x-ratelimit-reset-tokens");
}

}  // namespace switchboard::openai
