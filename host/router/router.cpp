#include "router/router.hpp"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <utility>

#include <fmt/format.h>

#include "health/race_timeout.hpp"
#include "plugin/guard.hpp"
#include "router/request_id.hpp"

namespace switchboard::router {

namespace {

using config::Mode;

std::size_t index_of(Mode mode) { return static_cast<std::size_t>(mode); }

template <class... Args>
void log_line(Logger& logger, LogLevel level, std::string_view request_id, fmt::format_string<Args...> format,
              Args&&... args) {
    if (!logger.enabled(level)) return;
    logger.log(level, request_id, fmt::format(format, std::forward<Args>(args)...));
}

std::string count_of(std::size_t n, std::string_view noun) {
    return fmt::format("{} {}{}", n, noun, n == 1 ? "" : "s");
}

std::optional<Error> capability_mismatch(std::string_view service, std::string_view serves,
                                         std::string_view asked) {
    if (serves == asked) return std::nullopt;
    return Error::make(ErrorKind::bad_request,
                       fmt::format("service '{}' serves '{}', not '{}'", service, serves, asked));
}

// How a call to a backend of a service with `capability` is named in its errors.
std::string_view verb_of(std::string_view capability) {
    if (capability == capability::embeddings) return "embed";
    if (capability == capability::parse) return "parse";
    return "call";
}

// What the router needs to know about each kind of call. Each has: Request, Response,
// check() (the request fits the service), expect() (what a valid answer looks like, taken before
// the request is moved into the last attempt), invoke() and malformed().
struct Embed {
    using Request = EmbeddingsRequest;
    using Response = EmbeddingsResponse;
    static constexpr cost::CallKind kind = cost::CallKind::embeddings;

    static std::string requested(const Request& request) { return request.model; }
    static std::string served_model(const Response& response) { return response.model; }

    struct Expectation {
        std::size_t inputs = 0;
        std::optional<std::int32_t> dimensions;
    };

    static std::optional<Error> check(std::string_view service, std::string_view serves, Request& request) {
        if (auto mismatch = capability_mismatch(service, serves, capability::embeddings)) return mismatch;
        if (!request.inputs.empty() && !request.token_inputs.empty()) {
            return Error::make(ErrorKind::bad_request,
                               fmt::format("embeddings request to service '{}' has both inputs and "
                                           "token_inputs; send one or the other",
                                           service));
        }
        if (request.dimensions && *request.dimensions <= 0) {
            return Error::make(ErrorKind::bad_request,
                               fmt::format("embeddings request to service '{}' asks for {} dimensions; "
                                           "dimensions must be at least 1",
                                           service, *request.dimensions));
        }
        return std::nullopt;
    }

    static Expectation expect(const Request& request) {
        return {request.inputs.empty() ? request.token_inputs.size() : request.inputs.size(),
                request.dimensions};
    }

    static Task<Result<Response>> invoke(ServiceInterface& service, CallContext ctx, Request request) {
        return service.embed(std::move(ctx), std::move(request));
    }

    static std::optional<std::string> malformed(const Expectation& expected, const Response& response) {
        const auto& vectors = response.vectors;
        if (vectors.size() != expected.inputs) {
            return fmt::format("{} for {}", count_of(vectors.size(), "vector"),
                               count_of(expected.inputs, "input"));
        }
        if (vectors.empty()) return std::nullopt;
        const std::size_t width = vectors.front().size();
        if (width == 0) return "vector 0 is empty";
        for (std::size_t i = 1; i < vectors.size(); ++i) {
            if (vectors[i].size() != width) {
                return fmt::format("vector {} has {} but vector 0 has {}", i,
                                   count_of(vectors[i].size(), "value"), width);
            }
        }
        if (expected.dimensions && width != static_cast<std::size_t>(*expected.dimensions)) {
            return fmt::format("vectors have {} but {} were requested", count_of(width, "value"),
                               count_of(static_cast<std::size_t>(*expected.dimensions), "dimension"));
        }
        for (std::size_t i = 0; i < vectors.size(); ++i) {
            auto bad =
                std::find_if(vectors[i].begin(), vectors[i].end(), [](float v) { return !std::isfinite(v); });
            if (bad != vectors[i].end()) {
                return fmt::format("vector {} holds {} at index {}", i, *bad, bad - vectors[i].begin());
            }
        }
        return std::nullopt;
    }
};

struct Parse {
    using Request = ParseRequest;
    using Response = ParseResponse;
    static constexpr cost::CallKind kind = cost::CallKind::parse;

    static std::string requested(const Request& request) { return request.options.mode; }
    static std::string served_model(const Response&) { return {}; }

    struct Expectation {};

    static std::optional<Error> check(std::string_view service, std::string_view serves, Request&) {
        return capability_mismatch(service, serves, capability::parse);
    }

    static Expectation expect(const Request&) { return {}; }

    static Task<Result<Response>> invoke(ServiceInterface& service, CallContext ctx, Request request) {
        return service.parse(std::move(ctx), std::move(request));
    }

    static std::optional<std::string> malformed(const Expectation&, const Response& response) {
        for (std::size_t i = 0; i < response.pages.size(); ++i) {
            if (response.pages[i].page < 1) {
                return fmt::format("page {} of the result is numbered {}; page numbers start at 1", i,
                                   response.pages[i].page);
            }
        }
        return std::nullopt;
    }
};

struct Json {
    using Request = JsonRequest;
    using Response = JsonResponse;
    static constexpr cost::CallKind kind = cost::CallKind::json;

    static std::string requested(const Request&) { return {}; }
    static std::string served_model(const Response&) { return {}; }

    struct Expectation {};

    static std::optional<Error> check(std::string_view service, std::string_view serves, Request& request) {
        bool json_service = serves != capability::embeddings && serves != capability::parse;
        if (json_service && request.operation.empty()) request.operation = std::string(serves);
        if (json_service && request.operation == serves) return std::nullopt;
        return Error::make(ErrorKind::bad_request,
                           fmt::format("service '{}' serves '{}', not '{}'", service, serves,
                                       request.operation.empty() ? "a JSON operation" : request.operation));
    }

    static Expectation expect(const Request&) { return {}; }

    static Task<Result<Response>> invoke(ServiceInterface& service, CallContext ctx, Request request) {
        return service.call(std::move(ctx), std::move(request));
    }

    static std::optional<std::string> malformed(const Expectation&, const Response&) { return std::nullopt; }
};

}  // namespace

std::string_view fallback_reason(const Error& error) noexcept {
    return error.kind == ErrorKind::budget_exceeded ? std::string_view("budget") : to_string(error.kind);
}

Router::Router(const config::Config& config, std::map<std::string, Backend> backends,
               health::HealthMonitor& health, Clock& clock, Logger& logger, cost::CostPolicy* cost)
    : health_(health), clock_(clock), logger_(logger), cost_(cost), default_mode_(config.host.default_mode) {
    for (auto& [name, backend] : backends) backends_.emplace(name, std::move(backend));

    auto make_target = [this](const std::string& name, std::string_view capability) -> Target {
        auto it = backends_.find(name);
        return {name, it == backends_.end() ? nullptr : &it->second,
                fmt::format("backend '{}' {}", name, verb_of(capability))};
    };
    for (const auto& [name, settings] : config.services) {
        Route& route = routes_.try_emplace(name).first->second;
        route.settings = settings;
        route.settings.name = name;
        route.targets.reserve(settings.real.size() + 1);
        for (const auto& backend : settings.real) {
            route.targets.push_back(make_target(backend, settings.capability));
        }
        if (!settings.mock.empty()) route.targets.push_back(make_target(settings.mock, settings.capability));
        // Pointers into targets, which does not change from here on.
        for (std::size_t i = 0; i < settings.real.size(); ++i) {
            route.by_mode[index_of(Mode::real)].push_back(&route.targets[i]);
            route.by_mode[index_of(Mode::hybrid)].push_back(&route.targets[i]);
        }
        if (!settings.mock.empty()) {
            route.by_mode[index_of(Mode::mock)].push_back(&route.targets.back());
            route.by_mode[index_of(Mode::hybrid)].push_back(&route.targets.back());
        }
        if (settings.mode) route.mode.store(static_cast<int>(*settings.mode));
        for (const auto& target : route.targets) {
            if (target.backend == nullptr) {
                log_line(logger_, LogLevel::warn, "",
                         "service '{}' names backend '{}', which is not running; its calls skip it", name,
                         target.name);
            }
        }
    }
}

Task<Routed<EmbeddingsResponse>> Router::embed(std::string service, EmbeddingsRequest request,
                                               CallOptions options) {
    return contain<Embed>(std::move(service), std::move(request), std::move(options));
}

Task<Routed<ParseResponse>> Router::parse(std::string service, ParseRequest request, CallOptions options) {
    return contain<Parse>(std::move(service), std::move(request), std::move(options));
}

Task<Routed<JsonResponse>> Router::call(std::string service, JsonRequest request, CallOptions options) {
    return contain<Json>(std::move(service), std::move(request), std::move(options));
}

template <class Operation>
Task<Routed<typename Operation::Response>> Router::contain(std::string service,
                                                           typename Operation::Request request,
                                                           CallOptions options) {
    using Response = typename Operation::Response;
    if (options.request_id.empty()) options.request_id = new_request_id();
    const std::string request_id = options.request_id;
    const std::optional<Mode> mode_override = options.mode;
    const std::string client = options.client;
    const auto started = clock_.now();
    const auto started_wall = clock_.wall_now();
    std::optional<Attempted<Response>> attempted;
    std::optional<Error> failure;
    try {
        std::string requested = Operation::requested(request);
        auto routed = route<Operation>(service, std::move(request), std::move(options));
        attempted.emplace(co_await std::move(routed));
        if (cost_ != nullptr) {
            auto recorded = record<Operation>(*attempted, service, client, std::move(requested), started, started_wall);
            co_await recorded;
        }
    } catch (...) {
        failure = plugin::escaped_exception("the router");
    }
    if (failure) {
        log_line(logger_, LogLevel::error, request_id, "{}", failure->message);
        if (attempted && attempted->routed.result.ok()) co_return std::move(attempted->routed);  // served; only recording failed
        co_return Routed<Response>{std::move(*failure), {}, {}, request_id, mode_override.value_or(this->mode(service))};
    }
    co_return std::move(attempted->routed);
}

template <class Operation>
Task<void> Router::record(Attempted<typename Operation::Response>& attempted, const std::string& service,
                          const std::string& client, std::string requested, Clock::time_point started,
                          std::chrono::system_clock::time_point started_wall) {
    auto& routed = attempted.routed;
    cost::FinishedCall call;
    call.kind = Operation::kind;
    call.request_id = routed.request_id;
    call.client = client;
    call.service = service;
    call.mode = std::string(config::to_string(routed.mode));
    call.backend = routed.backend;
    call.fallback_reason = std::string(routed.last_fallback_reason());
    call.requested = std::move(requested);
    if (routed.result.ok()) {
        call.usage = &routed.result.value().usage;
        call.served_model = Operation::served_model(routed.result.value());
        call.outcome = "ok";
    } else {
        call.outcome = std::string(to_string(routed.result.error().kind));
    }
    call.started = started_wall;
    call.latency = clock_.now() - started;
    call.admission = std::move(attempted.admission);
    call.maybe_billed = std::move(attempted.maybe_billed);
    auto finishing = cost_->finish(std::move(call));
    cost::CallCost costs = co_await finishing;
    routed.cost = costs.cost;
    routed.shadow_cost = costs.shadow_cost;
}

template <class Operation>
Task<Router::Attempted<typename Operation::Response>> Router::route(const std::string& service,
                                                                    typename Operation::Request request,
                                                                    CallOptions options) {
    using Response = typename Operation::Response;
    using Attempt = Attempted<Response>;
    std::string request_id = std::move(options.request_id);

    const Route* found = find(service);
    if (found == nullptr) {
        Error error = unknown_service(service);
        log_line(logger_, LogLevel::info, request_id, "{}", error.message);
        co_return Attempt{Routed<Response>{std::move(error), {}, {}, std::move(request_id),
                                           options.mode.value_or(default_mode_.load())},
                          std::nullopt};
    }
    const Route& route = *found;
    const Mode mode = options.mode.value_or(mode_of(route));
    if (auto problem = Operation::check(service, route.settings.capability, request)) {
        log_line(logger_, LogLevel::info, request_id, "{}", problem->message);
        co_return Attempt{Routed<Response>{std::move(*problem), {}, {}, std::move(request_id), mode}, std::nullopt};
    }

    const auto expectation = Operation::expect(request);
    const auto& targets = route.by_mode[index_of(mode)];
    const auto timeout = route.settings.fallback_timeout;
    std::vector<FallbackStep> fallbacks;
    std::vector<cost::BilledAttempt> maybe_billed;
    std::chrono::nanoseconds backend_time{0};
    for (std::size_t i = 0; i < targets.size(); ++i) {
        const Target& target = *targets[i];
        const bool last = i + 1 == targets.size();
        const std::string_view next =
            last ? std::string_view("none") : std::string_view(targets[i + 1]->name);

        if (target.backend == nullptr) {
            fallbacks.push_back({target.name, Error::make(ErrorKind::unavailable,
                                                          fmt::format("backend '{}' is not running; the "
                                                                      "startup log says why it did not start",
                                                                      target.name))});
            log_line(logger_, LogLevel::warn, request_id,
                     "service '{}': skipping backend '{}', which is not running; next: {}", service,
                     target.name, next);
            continue;
        }
        bool trial = false;  // this call holds the backend's half-open trial
        if (auto refusal = health_.try_admit(target.name, &trial)) {
            log_line(logger_, LogLevel::info, request_id, "service '{}': skipping backend '{}': {}; next: {}",
                     service, target.name, refusal->message, next);
            fallbacks.push_back({target.name, std::move(*refusal)});
            continue;
        }
        std::optional<cost::Admission> admission;
        if (cost_ != nullptr) {
            auto admitted = cost_->admit(service, target.name, request, options.client);
            if (!admitted) {
                if (trial) health_.abandon_trial(target.name);
                Error refusal = std::move(admitted).error();
                if (!is_availability_failure(refusal.kind)) {
                    log_line(logger_, LogLevel::info, request_id, "service '{}': backend '{}' cannot take this call: {}",
                             service, target.name, describe(refusal));
                    Routed<Response> routed{std::move(refusal), target.name, std::move(fallbacks),
                                            std::move(request_id), mode};
                    routed.backend_time = backend_time;
                    co_return Attempt{std::move(routed), std::nullopt, std::move(maybe_billed)};
                }
                // info, not warn: at a cap every call says this; the cap's alerts are the warnings.
                log_line(logger_, LogLevel::info, request_id, "service '{}': skipping backend '{}': {}; next: {}",
                         service, target.name, describe(refusal), next);
                fallbacks.push_back({target.name, std::move(refusal)});
                continue;
            }
            admission = std::move(admitted).value();
        }

        log_line(logger_, LogLevel::debug, request_id,
                 "service '{}' (mode {}): calling backend '{}' (attempt {} of {})", service, config::to_string(mode),
                 target.name, i + 1, targets.size());
        const auto started = clock_.now();
        CallContext ctx;
        ctx.request_id = request_id;
        ctx.deadline = started + timeout;
        ctx.logger = target.backend->logger != nullptr ? target.backend->logger : &logger_;
        auto cancellation = ctx.cancellation;
        // The last attempt takes the request; earlier ones copy it, since a fallback needs it again.
        auto call = plugin::guarded<Response>(
            target.label, target.backend->service, clock_,
            [ctx = std::move(ctx), attempt = last ? std::move(request) : request](ServiceInterface& instance) mutable {
                return Operation::invoke(instance, std::move(ctx), std::move(attempt));
            });
        // By value: the timer may fire after this coroutine (and even the router) is gone.
        auto on_timeout = [backend = target.name, service_name = route.settings.name, timeout] {
            return Error::make(ErrorKind::timeout,
                               fmt::format("backend '{}' did not answer within {} ms (fallback_timeout of "
                                           "service '{}'); the call was cancelled",
                                           backend, timeout.count(), service_name));
        };
        // A named awaiter: GCC 12 mishandles non-trivial temporaries inside a co_await expression.
        auto answer = health::race_timeout<Response>(target.label, clock_, timeout, std::move(cancellation),
                                                     std::move(call), std::move(on_timeout));
        Result<Response> result = co_await answer;
        backend_time += clock_.now() - started;
        // budget_exceeded is the host's own verdict; from a plugin it is the upstream's quota.
        if (!result.ok() && result.error().kind == ErrorKind::budget_exceeded) result.error().kind = ErrorKind::quota;

        if (result.ok()) {
            if (auto problem = Operation::malformed(expectation, result.value())) {
                result = Error::make(
                    ErrorKind::upstream_error,
                    fmt::format("backend '{}' returned a malformed result: {}", target.name, *problem));
            }
        }
        if (result.ok()) {
            health_.record_success(target.name, request_id);
            log_line(logger_, LogLevel::debug, request_id, "service '{}': backend '{}' served in {} ms",
                     service, target.name,
                     std::chrono::duration_cast<std::chrono::milliseconds>(clock_.now() - started).count());
            Routed<Response> routed{std::move(result), target.name, std::move(fallbacks), std::move(request_id), mode};
            routed.backend_time = backend_time;
            co_return Attempt{std::move(routed), std::move(admission), std::move(maybe_billed)};
        }

        Error& error = result.error();
        health_.record_failure(target.name, error, request_id);
        if (!is_availability_failure(error.kind)) {
            log_line(logger_, error.kind == ErrorKind::internal ? LogLevel::error : LogLevel::debug,
                     request_id, "service '{}': backend '{}' answered {} (not a reason to fall back)",
                     service, target.name, describe(error));
            Routed<Response> routed{std::move(result), target.name, std::move(fallbacks), std::move(request_id), mode};
            routed.backend_time = backend_time;
            co_return Attempt{std::move(routed), std::move(admission), std::move(maybe_billed)};
        }
        log_line(logger_, LogLevel::warn, request_id, "service '{}': backend '{}' failed ({}); next: {}",
                 service, target.name, describe(error), next);
        // A timed-out call may still finish upstream, and a garbled answer was billed all the same.
        const bool may_have_billed = error.kind == ErrorKind::timeout || error.kind == ErrorKind::upstream_error;
        if (admission && may_have_billed) {
            maybe_billed.push_back({std::move(*admission), target.name, std::string(to_string(error.kind))});
        }
        fallbacks.push_back({target.name, std::move(error)});
    }

    Error error = no_backend_left(route, mode, request_id, fallbacks);
    log_line(logger_, LogLevel::warn, request_id, "{}", error.message);
    Routed<Response> routed{std::move(error), {}, std::move(fallbacks), std::move(request_id), mode};
    routed.backend_time = backend_time;
    co_return Attempt{std::move(routed), std::nullopt, std::move(maybe_billed)};
}

Status Router::set_mode(std::string_view service, Mode mode) {
    auto it = routes_.find(service);
    if (it == routes_.end()) return unknown_service(service);
    Route& route = it->second;
    if (route.by_mode[index_of(mode)].empty()) {
        return Error::make(
            ErrorKind::bad_request,
            fmt::format("service '{}' has no {}, so it cannot switch to mode {}", service,
                        mode == Mode::mock ? "mock backend" : "real backends", config::to_string(mode)));
    }
    Mode before = mode_of(route);
    route.mode.store(static_cast<int>(mode));
    log_line(logger_, LogLevel::info, "", "service '{}': mode switched from {} to {}", service,
             config::to_string(before), config::to_string(mode));
    return {};
}

void Router::set_default_mode(Mode mode) {
    Mode before = default_mode_.exchange(mode);
    log_line(logger_, LogLevel::info, "",
             "default mode switched from {} to {} (for services without their own mode)", config::to_string(before),
             config::to_string(mode));
}

Mode Router::mode(std::string_view service) const {
    const Route* route = find(service);
    return route == nullptr ? default_mode_.load() : mode_of(*route);
}

std::vector<std::string> Router::services() const {
    std::vector<std::string> names;
    names.reserve(routes_.size());
    for (const auto& [name, route] : routes_) names.push_back(name);
    return names;
}

const Router::Route* Router::find(std::string_view service) const {
    auto it = routes_.find(service);
    return it == routes_.end() ? nullptr : &it->second;
}

Mode Router::mode_of(const Route& route) const {
    int mode = route.mode.load(std::memory_order_relaxed);
    return mode < 0 ? default_mode_.load(std::memory_order_relaxed) : static_cast<Mode>(mode);
}

Error Router::unknown_service(std::string_view service) const {
    std::string known;
    for (const auto& [name, route] : routes_) known += (known.empty() ? "" : ", ") + name;
    return Error::make(ErrorKind::bad_request,
                       known.empty()
                           ? fmt::format("unknown service '{}': no services are configured", service)
                           : fmt::format("unknown service '{}' (known: {})", service, known));
}

Error Router::no_backend_left(const Route& route, Mode mode, const std::string& request_id,
                              const std::vector<FallbackStep>& fallbacks) const {
    const std::string& name = route.settings.name;
    if (fallbacks.empty()) {
        return Error::make(
            ErrorKind::unavailable,
            mode == Mode::mock
                ? fmt::format("service '{}' has no mock backend, so it cannot run in mode mock; "
                              "set services.{}.mock or switch the service to real",
                              name, name)
                : fmt::format("service '{}' has no real backends, so it cannot run in mode {}; "
                              "list them in services.{}.real or switch the service to mock",
                              name, config::to_string(mode), name));
    }
    std::string message = fmt::format("service '{}' (mode {}, request {}): no backend could serve: ", name,
                                      config::to_string(mode), request_id);
    std::optional<std::chrono::milliseconds> retry_after;
    for (std::size_t i = 0; i < fallbacks.size(); ++i) {
        const auto& step = fallbacks[i];
        message += fmt::format("{}'{}': {}", i == 0 ? "" : "; ", step.backend, describe(step.error));
        if (step.error.retry_after && (!retry_after || *step.error.retry_after < *retry_after)) {
            retry_after = step.error.retry_after;
        }
    }
    if (mode == Mode::real && !route.settings.mock.empty()) {
        message += fmt::format(". Mode real never falls back to the mock '{}'; mode hybrid does",
                               route.settings.mock);
    }
    // Backends that all failed the same way fail the call that way (a rate limit stays a rate
    // limit); different reasons add up to unavailable. A skipped backend (not running, circuit
    // open) counts as unavailable.
    const ErrorKind kind = fallbacks.front().error.kind;
    const bool same_kind = std::all_of(fallbacks.begin(), fallbacks.end(),
                                       [kind](const FallbackStep& step) { return step.error.kind == kind; });
    Error error = same_kind ? Error::make(kind, std::move(message), fallbacks.back().error.upstream_status)
                            : Error::make(ErrorKind::unavailable, std::move(message));
    error.retry_after = retry_after;
    return error;
}

}  // namespace switchboard::router
