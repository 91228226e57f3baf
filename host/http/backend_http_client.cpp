#include "http/backend_http_client.hpp"

#include <algorithm>
#include <atomic>
#include <mutex>
#include <random>

#include <fmt/format.h>

#include "http/retry_policy.hpp"
#include "http/url_text.hpp"

namespace switchboard::http {
namespace {

using std::chrono::milliseconds;

std::string snippet(std::string_view body) {
    constexpr std::size_t kMax = 200;
    std::string text(body.substr(0, kMax));
    for (char& c : text) {
        if (c == '\n' || c == '\r' || c == '\t') c = ' ';
    }
    if (body.size() > kMax) text += "…";
    return text;
}

std::string ms_text(milliseconds d) { return fmt::format("{} ms", d.count()); }

std::optional<Error> default_classify(const HttpRequest& request, const HttpResponse& response) {
    std::string message =
        fmt::format("HTTP {} from {} {}", response.status, request.method, url_for_messages(request.url));
    if (!response.body.empty()) message += ": " + snippet(response.body);
    return error_for_status(response.status, std::move(message));
}

// The transport's exchange id, shared with the cancellation callback, which may run on another
// thread before start() has returned the id.
struct CancelLink {
    std::mutex mutex;
    Transport::ExchangeId id = 0;
    bool started = false;
    bool cancelled = false;
};

}  // namespace

BackendHttpClient::BackendHttpClient(std::string backend, config::HttpSettings settings,
                                     Transport& transport, Clock& clock, Logger& logger,
                                     std::function<double()> random01)
    : backend_(std::move(backend)),
      settings_(settings),
      transport_(transport),
      clock_(clock),
      logger_(logger),
      random01_(std::move(random01)) {
    if (!random01_) {
        auto engine = std::make_shared<std::mt19937_64>(std::random_device{}());
        auto mutex = std::make_shared<std::mutex>();
        random01_ = [engine, mutex] {
            std::lock_guard lock(*mutex);
            return std::uniform_real_distribution<double>(0.0, 1.0)(*engine);
        };
    }
}

// One exchange through the transport; cancelling ctx aborts it.
Task<Exchange> BackendHttpClient::attempt(CallContext ctx, HttpRequest request) {
    if (!ctx.cancellation) ctx.cancellation = std::make_shared<Cancellation>();  // nobody can cancel
    auto link = std::make_shared<CancelLink>();
    Transport* transport = &transport_;
    Cancellation::CallbackId callback = ctx.cancellation->on_cancel([link, transport] {
        std::lock_guard lock(link->mutex);
        link->cancelled = true;
        if (link->started) transport->cancel(link->id);
    });
    auto exchange_awaiter = await_callback<Exchange>([&](auto resume) {
        auto id = transport_.start(request, resume);
        std::lock_guard lock(link->mutex);
        link->id = id;
        link->started = true;
        if (link->cancelled) transport_.cancel(id);
    });
    Exchange exchange = co_await exchange_awaiter;
    ctx.cancellation->remove(callback);
    co_return exchange;
}

Task<Result<HttpResponse>> BackendHttpClient::send(CallContext ctx, HttpRequest request) {
    RetryPolicy policy(settings_);
    if (!request.connect_timeout) request.connect_timeout = settings_.connect_timeout;
    if (!request.max_response_bytes) request.max_response_bytes = settings_.max_response_bytes;
    const milliseconds attempt_timeout = request.timeout.value_or(settings_.timeout);
    const int max_attempts = request.retry ? std::max(1, settings_.max_attempts) : 1;

    Clock::time_point deadline = clock_.now() + settings_.deadline;
    if (ctx.deadline) deadline = std::min(deadline, *ctx.deadline);
    const std::string what = request.method + " " + url_for_messages(request.url);

    auto log = [&](LogLevel level, const std::string& message) {
        if (logger_.enabled(level)) logger_.log(level, ctx.request_id, message);
    };
    auto cancelled = [&] {
        return Error::make(ErrorKind::timeout, fmt::format("{} cancelled by the caller", what));
    };

    for (int attempt = 1;; ++attempt) {
        if (ctx.cancelled()) co_return cancelled();
        auto left = std::chrono::duration_cast<milliseconds>(deadline - clock_.now());
        if (left <= milliseconds(0)) {
            co_return Error::make(ErrorKind::timeout,
                                  fmt::format("{}: deadline passed before attempt {}", what, attempt));
        }
        request.timeout = std::min(attempt_timeout, left);

        log(LogLevel::debug, fmt::format("attempt {}/{}: {}", attempt, max_attempts, what));
        auto started = clock_.now();
        auto attempt_task = this->attempt(ctx, request);
        Exchange exchange = co_await std::move(attempt_task);
        Result<HttpResponse>& outcome = exchange.result;
        auto took = std::chrono::duration_cast<milliseconds>(clock_.now() - started);

        Error error;
        bool retry = false;
        if (outcome) {
            HttpResponse& response = outcome.value();
            response.attempts = attempt;
            std::optional<Error> failed = request.classify ? request.classify(response)
                                                           : default_classify(request, response);
            if (!failed) {
                log(LogLevel::debug, fmt::format("attempt {}/{}: {} -> {} in {}", attempt, max_attempts,
                                                 what, response.status, ms_text(took)));
                co_return std::move(outcome);
            }
            error = std::move(*failed);
            if (error.upstream_status == 0) error.upstream_status = response.status;
            if (!error.retry_after) error.retry_after = RetryPolicy::retry_after(response, clock_.wall_now());
            retry = RetryPolicy::upstream_says_retry(response).value_or(RetryPolicy::retryable(error.kind));
        } else {
            if (ctx.cancelled()) co_return cancelled();
            error = std::move(outcome).error();
            retry = exchange.retryable;  // connection-level failures only
        }

        auto give_up = [&](std::string why) -> Error {
            log(LogLevel::warn, fmt::format("attempt {}/{}: {} failed: {}; {}", attempt, max_attempts, what,
                                            describe(error), why));
            if (attempt > 1) error.message += fmt::format(" (after {} attempts)", attempt);
            return std::move(error);
        };
        if (!retry) co_return give_up("not retried");
        if (attempt >= max_attempts) co_return give_up("no attempts left");

        milliseconds wait = policy.backoff(attempt, random01_());
        if (error.retry_after) {
            if (*error.retry_after > settings_.retry_after_max) {
                co_return give_up(fmt::format("the upstream asked to wait {}, more than retry_after_max {}",
                                              ms_text(*error.retry_after), ms_text(settings_.retry_after_max)));
            }
            wait = *error.retry_after;
        }
        if (clock_.now() + wait >= deadline) {
            co_return give_up(fmt::format("waiting {} would pass the deadline", ms_text(wait)));
        }
        log(LogLevel::info, fmt::format("attempt {}/{}: {} failed: {}; retrying in {}", attempt, max_attempts,
                                        what, describe(error), ms_text(wait)));
        auto pause = sleep_for(clock_, wait, ctx);
        co_await pause;
    }
}

}  // namespace switchboard::http
