#include "llamaparse/llamaparse.hpp"

#include <charconv>
#include <cmath>

#include "llamaparse/json_fields.hpp"
#include "llamaparse/poll_schedule.hpp"
#include "llamaparse/v1_protocol.hpp"
#include "llamaparse/v2_protocol.hpp"

namespace switchboard::llamaparse {
namespace {

// A cancel request must not hold up a call that is being given up for long.
constexpr std::chrono::milliseconds cancel_timeout{10'000};

// "12", "1.5": seconds for messages.
std::string seconds(Clock::duration duration) {
    double value = std::round(std::chrono::duration<double>(duration).count() * 1000.0) / 1000.0;
    char buffer[32];
    auto [end, ec] = std::to_chars(buffer, buffer + sizeof buffer, value);
    return ec == std::errc{} ? std::string(buffer, end) : "?";
}

// Poll failures that say "not now" rather than "never": the host has already retried them, and
// the job upstream is unaffected, so the next poll may well succeed (as the official clients keep
// polling through such answers). An upstream_error (a body over max_response_bytes, one cut short
// on every attempt, an unexpected status) is no such failure: it ends the call.
bool keeps_polling(ErrorKind kind) {
    return kind == ErrorKind::unavailable || kind == ErrorKind::timeout || kind == ErrorKind::rate_limited;
}

Error job_error(std::string message) { return Error::make(ErrorKind::upstream_error, std::move(message)); }

}  // namespace

PluginInfo LlamaParse::info() const {
    PluginInfo info;
    info.name = std::string(plugin_name);
    info.version = "1.0.0";
    info.capabilities = {std::string(capability::parse)};
    info.api_key_prefix = "llx-";
    info.api_key_env = "LLAMA_CLOUD_API_KEY";
    info.settings_from_env = {{"base_url", "LLAMA_CLOUD_BASE_URL"}};
    return info;
}

Status LlamaParse::start(const HostServices& host, const BackendConfig& config) {
    auto settings = read_settings(config.settings);
    if (!settings) return std::move(settings).error();
    if (!host.http || !host.clock) {
        return Error::make(ErrorKind::internal, "llamaparse backend '" + config.backend +
                                                    "' needs the host's HTTP client and clock (HostServices::" +
                                                    (host.http ? "clock" : "http") + " is null)");
    }
    backend_ = config.backend;
    settings_ = std::move(settings).value();
    has_key_ = !config.api_key.empty();
    clock_ = host.clock;
    logger_ = host.logger;
    upstream_ = std::make_unique<UpstreamClient>(*host.http, backend_, settings_.base_url, settings_.scope(),
                                                 config.api_key);
    if (logger_ && logger_->enabled(LogLevel::debug)) {
        logger_->log(LogLevel::debug, "",
                     "llamaparse started: api " + std::string(settings_.api == Api::v2 ? "v2" : "v1") + ", " +
                         settings_.base_url + (has_key_ ? "" : ", no API key (every call will fail with auth)"));
    }
    return {};
}

std::optional<Error> LlamaParse::missing_key() const {
    if (!upstream_) return Error::make(ErrorKind::internal, "llamaparse backend called before start() succeeded");
    if (has_key_) return std::nullopt;
    return Error::make(ErrorKind::auth, "no API key for backend '" + backend_ + "': set LLAMA_CLOUD_API_KEY or api_key in [backends." +
                                            backend_ + "]");
}

Error LlamaParse::with_context(Error error, const CallContext& ctx) const {
    error.message = upstream_->redact(std::move(error.message) + upstream_->context(ctx));
    return error;
}

void LlamaParse::note_job(const std::string& id, const std::string& status) {
    std::lock_guard lock(mutex_);
    last_job_id_ = id;
    last_job_status_ = status;
}

std::vector<std::pair<std::string, std::string>> LlamaParse::status_details() const {
    std::vector<std::pair<std::string, std::string>> details;
    {
        std::lock_guard lock(mutex_);
        if (!last_job_id_.empty()) {
            details.emplace_back("last job", last_job_id_);
            details.emplace_back("last job status", last_job_status_);
        }
    }
    if (upstream_) {
        for (auto& fact : upstream_->upstream_facts()) details.push_back(std::move(fact));
    }
    return details;
}

Task<Status> LlamaParse::health(CallContext ctx) {
    if (auto error = missing_key()) co_return std::move(*error);
    Call probe;
    probe.path = std::string(v2::list_path);
    probe.query = {{"page_size", "1"}};
    probe.retry = false;
    auto sending = upstream_->send(ctx, std::move(probe));
    auto answer = co_await std::move(sending);
    if (!answer.ok()) co_return std::move(answer).error();
    co_return Status{};
}

Task<Result<ParseResponse>> LlamaParse::parse(CallContext ctx, ParseRequest request) {
    if (auto error = missing_key()) co_return std::move(*error);
    if (settings_.api == Api::v1) {
        auto call = parse_v1(std::move(ctx), std::move(request));
        co_return co_await std::move(call);
    }
    auto call = parse_v2(std::move(ctx), std::move(request));
    co_return co_await std::move(call);
}

Task<Result<std::string>> LlamaParse::create_job(CallContext ctx, Call call) {
    const std::string where = call.where();
    auto sending = upstream_->send(ctx, std::move(call));
    auto answer = co_await std::move(sending);
    if (!answer.ok()) co_return std::move(answer).error();
    auto json = upstream_->decode(answer.value(), where, ctx);
    if (!json) co_return std::move(json).error();
    auto id = settings_.api == Api::v2 ? v2::created_job_id(json.value(), where)
                                       : v1::created_job_id(json.value(), where);
    if (!id) co_return with_context(std::move(id).error(), ctx);
    co_return id;
}

Task<Result<boost::json::value>> LlamaParse::fetch_json(CallContext ctx, Call call) {
    const std::string where = call.where();
    auto sending = upstream_->send(ctx, std::move(call));
    auto answer = co_await std::move(sending);
    if (!answer.ok()) co_return std::move(answer).error();
    co_return upstream_->decode(answer.value(), where, ctx);
}

Task<Result<ParseResponse>> LlamaParse::parse_v2(CallContext ctx, ParseRequest request) {
    const auto start = clock_->now();
    auto upload = v2::upload(request, settings_);
    if (!upload) co_return with_context(std::move(upload).error(), ctx);
    std::string().swap(request.data);  // the body holds the bytes now; polling may take minutes
    if (!request.options.language.empty()) {
        ctx.log(LogLevel::warn, "options.language '" + request.options.language +
                                    "' not sent: LlamaParse v2 documents no language option (backend '" + backend_ +
                                    "'; use api = \"v1\" for it)");
    }
    Call create{"POST", std::string(v2::upload_path), {}, upload.value().content_type,
                std::move(upload.value().body), true, std::nullopt};
    auto creating = create_job(ctx, std::move(create));
    auto id = co_await std::move(creating);
    if (!id) co_return std::move(id).error();
    const std::string job_id = id.value();
    note_job(job_id, "PENDING");
    ctx.log(LogLevel::debug, "LlamaParse job " + job_id + " created (tier " + upload.value().tier + ")");

    Watch watch;
    watch.job_id = job_id;
    watch.poll = Call{"GET", v2::job_path(job_id), v2::poll_query(), {}, {}, true, std::nullopt};
    watch.cancellable = true;
    watch.read = [job_id, where = watch.poll.where()](const boost::json::value& answer) -> Result<Progress> {
        auto job = v2::job_of(answer, where);
        if (!job) return std::move(job).error();
        const std::string& status = job.value().status;
        if (status == "PENDING" || status == "RUNNING") return Progress{status, false, std::nullopt};
        if (status == "COMPLETED") return Progress{status, true, std::nullopt};
        std::string why = "LlamaParse job " + job_id + " has an unknown status '" + status + "'";
        if (status == "FAILED") {
            const std::string& message = job.value().error_message;
            why = "LlamaParse job " + job_id + " FAILED: " + (message.empty() ? "no error message given" : message);
        } else if (status == "CANCELLED") {
            why = "LlamaParse job " + job_id + " was cancelled upstream";
        }
        return Progress{status, false, job_error(std::move(why))};
    };
    std::string where = watch.poll.where();
    auto waiting = wait_for_job(ctx, std::move(watch), start);
    auto answer = co_await std::move(waiting);
    if (!answer) co_return std::move(answer).error();

    auto completed = v2::completed(answer.value(), where);
    if (!completed) co_return with_context(std::move(completed).error(), ctx);
    auto& result = completed.value();
    if (result.response.job_id.empty()) result.response.job_id = job_id;
    if (!result.credits_billed) {
        ctx.log(LogLevel::debug,
                "LlamaParse job " + job_id + ": job.usage.credits is null, not billed yet; credits unknown, so "
                "the host prices the pages at the tier's rate");
    }
    if (!result.failed_pages.empty()) {
        std::string list;
        for (const auto& failed : result.failed_pages) {
            list += (list.empty() ? "" : "; ") + std::string("page ") + std::to_string(failed.page) + ": " + failed.error;
        }
        if (result.response.pages.empty()) {
            co_return with_context(job_error("LlamaParse job " + job_id + " completed but every page failed (" +
                                             list + ")"),
                                   ctx);
        }
        ctx.log(LogLevel::warn, upstream_->redact("LlamaParse job " + job_id + ": " +
                                                  std::to_string(result.failed_pages.size()) +
                                                  " page(s) failed and are missing from the result (" + list + ")"));
    }
    co_return std::move(result.response);
}

Task<Result<ParseResponse>> LlamaParse::parse_v1(CallContext ctx, ParseRequest request) {
    const auto start = clock_->now();
    auto upload = v1::upload(request, settings_);
    if (!upload) co_return with_context(std::move(upload).error(), ctx);
    std::string().swap(request.data);  // the body holds the bytes now; polling may take minutes
    Call create{"POST", std::string(v1::upload_path), {}, upload.value().content_type,
                std::move(upload.value().body), true, std::nullopt};
    auto creating = create_job(ctx, std::move(create));
    auto id = co_await std::move(creating);
    if (!id) co_return std::move(id).error();
    const std::string job_id = id.value();
    note_job(job_id, "PENDING");
    ctx.log(LogLevel::debug, "LlamaParse job " + job_id + " created");

    Watch watch;
    watch.job_id = job_id;
    watch.poll = Call{"GET", v1::job_path(job_id), {}, {}, {}, true, std::nullopt};
    watch.read = [job_id, where = watch.poll.where()](const boost::json::value& answer) -> Result<Progress> {
        auto job = v1::job_of(answer, where);
        if (!job) return std::move(job).error();
        const auto& [status, code, message] = job.value();
        if (status == "PENDING") return Progress{status, false, std::nullopt};
        if (status == "SUCCESS") return Progress{status, true, std::nullopt};
        std::string said = message.empty() ? "no error message given" : message;
        if (!code.empty()) said += " (error_code " + code + ")";
        std::string why = "LlamaParse job " + job_id + " has an unknown status '" + status + "'";
        if (status == "PARTIAL_SUCCESS") {
            why = "LlamaParse job " + job_id + " ended with PARTIAL_SUCCESS: some pages failed (" + said +
                  "); a partial result is treated as a failure, as the official clients do";
        } else if (status == "ERROR") {
            why = "LlamaParse job " + job_id + " ended with ERROR: " + said;
        } else if (status == "CANCELLED") {
            why = "LlamaParse job " + job_id + " was cancelled upstream: " + said;
        }
        return Progress{status, false, job_error(std::move(why))};
    };
    auto waiting = wait_for_job(ctx, std::move(watch), start);
    auto finished = co_await std::move(waiting);
    if (!finished) co_return std::move(finished).error();

    ParseResponse response;
    response.job_id = job_id;
    Call markdown_call{"GET", v1::result_path(job_id, "markdown"), {}, {}, {}, true, std::nullopt};
    auto fetching_markdown = fetch_json(ctx, markdown_call);
    auto markdown = co_await std::move(fetching_markdown);
    if (!markdown) co_return std::move(markdown).error();
    auto document = v1::document(markdown.value(), "markdown", markdown_call.where());
    if (!document) co_return with_context(std::move(document).error(), ctx);
    response.markdown = std::move(document).value();
    auto usage = v1::usage_of(markdown.value(), markdown_call.where());
    if (!usage) co_return with_context(std::move(usage).error(), ctx);
    response.usage = usage.value().usage;
    if (!usage.value().credits_unknown.empty()) {
        ctx.log(LogLevel::warn, "LlamaParse job " + job_id + ": " + usage.value().credits_unknown +
                                    "; credits unknown, so the host prices the pages at the tier's rate");
    }

    Call text_call{"GET", v1::result_path(job_id, "text"), {}, {}, {}, true, std::nullopt};
    auto fetching_text = fetch_json(ctx, text_call);
    auto text = co_await std::move(fetching_text);
    if (!text) co_return std::move(text).error();
    auto text_document = v1::document(text.value(), "text", text_call.where());
    if (!text_document) co_return with_context(std::move(text_document).error(), ctx);
    response.text = std::move(text_document).value();

    // v1's markdown and text are whole documents; the page separator inside them is a setting
    // the caller may change, so pages are not cut out of them. Pages come from /result/json,
    // fetched only when expand_items asks for it; otherwise `pages` stays empty.
    if (settings_.expand_items) {
        Call json_call{"GET", v1::result_path(job_id, "json"), {}, {}, {}, true, std::nullopt};
        auto fetching_json = fetch_json(ctx, json_call);
        auto json = co_await std::move(fetching_json);
        if (!json) co_return std::move(json).error();
        auto pages = v1::json_pages(json.value(), json_call.where());
        if (!pages) co_return with_context(std::move(pages).error(), ctx);
        response.pages = std::move(pages).value();
        if (response.usage.pages == 0) response.usage.pages = static_cast<std::int64_t>(response.pages.size());
    }
    co_return response;
}

Task<Result<boost::json::value>> LlamaParse::wait_for_job(CallContext ctx, Watch watch, Clock::time_point start) {
    PollSchedule schedule(settings_, start, ctx.deadline);
    std::string status = "PENDING";
    std::string last_problem;
    while (true) {
        std::optional<StopReason> stop;
        auto wait = schedule.next_wait(clock_->now());
        if (!wait) {
            stop = schedule.deadline_first() ? StopReason::deadline : StopReason::timeout;
        } else {
            auto nap = sleep_for(*clock_, *wait, ctx);
            co_await nap;
            if (ctx.cancelled()) stop = StopReason::cancelled;
        }
        if (!stop) {
            auto sending = upstream_->send(ctx, watch.poll);
            auto answer = co_await std::move(sending);
            if (answer.ok()) {
                auto json = upstream_->decode(answer.value(), watch.poll.where(), ctx);
                if (!json) co_return std::move(json).error();
                auto progress = watch.read(json.value());
                if (!progress) co_return with_context(std::move(progress).error(), ctx);
                status = progress.value().status;
                note_job(watch.job_id, status);
                if (progress.value().failure) co_return with_context(std::move(*progress.value().failure), ctx);
                if (progress.value().done) co_return std::move(json).value();
                last_problem.clear();
                continue;
            }
            if (ctx.cancelled()) {
                stop = StopReason::cancelled;
            } else if (keeps_polling(answer.error().kind)) {
                last_problem = describe(answer.error());
                ctx.log(LogLevel::warn, "LlamaParse poll of job " + watch.job_id + " failed (" + last_problem +
                                            "); polling again");
                continue;
            } else if (answer.error().kind == ErrorKind::upstream_error && watch.cancellable) {
                // The job's answers cannot be read: stop it rather than let it run and bill.
                Error error = std::move(answer).error();
                auto cancelling = cancel_upstream(ctx, std::move(watch));
                error.message += co_await std::move(cancelling);
                co_return error;
            } else {
                co_return std::move(answer).error();
            }
        }
        auto stopping = stop_job(ctx, std::move(watch), status, *stop, start, last_problem);
        auto error = co_await std::move(stopping);
        co_return error;
    }
}

Task<Error> LlamaParse::stop_job(CallContext ctx, Watch watch, std::string status, StopReason reason,
                                 Clock::time_point start, std::string last_problem) {
    std::string message;
    const std::string elapsed = seconds(clock_->now() - start);
    switch (reason) {
        case StopReason::cancelled:
            message = "LlamaParse call cancelled after " + elapsed + " s while job " + watch.job_id + " was " + status;
            break;
        case StopReason::timeout:
            message = "LlamaParse job " + watch.job_id + " still " + status + " after " + elapsed +
                      " s (job_timeout_ms = " + std::to_string(settings_.job_timeout.count()) + ")";
            break;
        case StopReason::deadline:
            message = "LlamaParse job " + watch.job_id + " still " + status + " after " + elapsed +
                      " s, with the call's deadline before the next poll";
            break;
    }
    if (!last_problem.empty()) message += "; last poll failed: " + last_problem;

    auto cancelling = cancel_upstream(ctx, watch);
    message += co_await std::move(cancelling);
    co_return with_context(Error::make(ErrorKind::timeout, std::move(message)), ctx);
}

// Stops the job upstream where the API allows it, so it stops billing; returns what happened,
// as a clause to append to the call's error message.
Task<std::string> LlamaParse::cancel_upstream(CallContext ctx, Watch watch) {
    if (!watch.cancellable) {
        ctx.log(LogLevel::warn, "LlamaParse v1 has no cancel endpoint: job " + watch.job_id +
                                    " keeps running upstream (and may still be billed)");
        co_return "; LlamaParse v1 has no cancel endpoint, so the job keeps running upstream";
    }
    // The call's own context may be cancelled, which would abort the request at once: the
    // cancel goes out under a fresh one carrying the same request id.
    CallContext fresh;
    fresh.request_id = ctx.request_id;
    fresh.logger = ctx.logger;
    Call cancel{"POST", v2::cancel_path(watch.job_id), {}, {}, {}, false, cancel_timeout};
    auto sending = upstream_->send(fresh, std::move(cancel));
    auto answer = co_await std::move(sending);
    if (answer.ok()) {
        note_job(watch.job_id, "CANCELLED");
        ctx.log(LogLevel::info, "LlamaParse job " + watch.job_id + " cancelled upstream");
        co_return "; the job was cancelled upstream";
    }
    ctx.log(LogLevel::warn, "LlamaParse job " + watch.job_id + " could not be cancelled upstream: " +
                                describe(answer.error()));
    co_return "; cancelling it upstream failed (" + describe(answer.error()) + ")";
}

}  // namespace switchboard::llamaparse
