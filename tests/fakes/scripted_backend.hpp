#pragma once

#include <atomic>
#include <chrono>
#include <deque>
#include <functional>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "switchboard/service_interface.hpp"

namespace switchboard::testing {

// A backend whose calls do what the test scripted, one Step per call: answer, fail with an Error,
// take time on the injected clock first, throw from the call itself or from the coroutine body,
// or hang until release_hung(). Records every call's context. Thread-safe.
class ScriptedBackend final : public ServiceInterface {
public:
    struct Step {
        enum class Kind { answer, fail, throw_in_call, throw_in_body, hang };
        Kind kind = Kind::answer;
        Error error;                                   // for fail
        std::string what;                              // the exception message for throw_*
        std::chrono::milliseconds delay{0};            // on the clock, before the step plays out
        std::optional<EmbeddingsResponse> embeddings;  // answer this instead of a made-up answer
        std::optional<ParseResponse> parsed;
        std::optional<JsonResponse> json;

        static Step answer() { return {}; }
        static Step answer(EmbeddingsResponse response) {
            Step step;
            step.embeddings = std::move(response);
            return step;
        }
        static Step answer(ParseResponse response) {
            Step step;
            step.parsed = std::move(response);
            return step;
        }
        static Step fail(Error error) {
            Step step;
            step.kind = Kind::fail;
            step.error = std::move(error);
            return step;
        }
        static Step fail(ErrorKind kind, std::string message, int upstream_status = 0) {
            return fail(Error::make(kind, std::move(message), upstream_status));
        }
        static Step throw_in_call(std::string what) {
            Step step;
            step.kind = Kind::throw_in_call;
            step.what = std::move(what);
            return step;
        }
        static Step throw_in_body(std::string what) {
            Step step;
            step.kind = Kind::throw_in_body;
            step.what = std::move(what);
            return step;
        }
        static Step hang() {
            Step step;
            step.kind = Kind::hang;
            return step;
        }
        Step after(std::chrono::milliseconds by) && {
            delay = by;
            return std::move(*this);
        }
    };

    struct Seen {
        std::string operation;  // "embed", "parse", "call" or "health"
        CallContext ctx;
    };

    ScriptedBackend(std::string name, Clock& clock) : name_(std::move(name)), clock_(clock) {}

    // Steps for the next embed/parse/call calls, in order; once used up, the default step.
    void script(Step step) { push(calls_, std::move(step)); }
    void script_health(Step step) { push(health_, std::move(step)); }
    void set_default(Step step) {
        std::lock_guard lock(mutex_);
        default_call_ = std::move(step);
    }
    void set_default_health(Step step) {
        std::lock_guard lock(mutex_);
        default_health_ = std::move(step);
    }

    std::vector<Seen> seen() const {
        std::lock_guard lock(mutex_);
        return seen_;
    }
    std::size_t calls() const { return count("health", false); }
    std::size_t probes() const { return count("health", true); }
    // Calls and probes whose body ran to the end (an answer, an error or a throw), late ones too.
    std::size_t finished() const { return finished_.load(); }

    // Ends every hung call with Error{unavailable, "released"}.
    void release_hung() {
        std::vector<std::function<void(bool)>> hung;
        {
            std::lock_guard lock(mutex_);
            hung.swap(hung_);
        }
        for (auto& resume : hung) resume(true);
    }

    PluginInfo info() const override { return {name_, "1.0.0", {"embeddings", "parse", "summarize"}, "", "", {}}; }
    Status start(const HostServices&, const BackendConfig&) override { return {}; }

    Task<Result<EmbeddingsResponse>> embed(CallContext ctx, EmbeddingsRequest request) override {
        Step step = take(calls_, default_call_, "embed", ctx);
        if (step.kind == Step::Kind::throw_in_call) throw std::runtime_error(step.what);
        return play_embed(std::move(ctx), std::move(request), std::move(step));
    }
    Task<Result<ParseResponse>> parse(CallContext ctx, ParseRequest request) override {
        Step step = take(calls_, default_call_, "parse", ctx);
        if (step.kind == Step::Kind::throw_in_call) throw std::runtime_error(step.what);
        return play_parse(std::move(ctx), std::move(request), std::move(step));
    }
    Task<Result<JsonResponse>> call(CallContext ctx, JsonRequest request) override {
        Step step = take(calls_, default_call_, "call", ctx);
        if (step.kind == Step::Kind::throw_in_call) throw std::runtime_error(step.what);
        return play_call(std::move(ctx), std::move(request), std::move(step));
    }
    Task<Status> health(CallContext ctx) override {
        Step step = take(health_, default_health_, "health", ctx);
        if (step.kind == Step::Kind::throw_in_call) throw std::runtime_error(step.what);
        return play_health(std::move(step));
    }

private:
    auto hang_until_released(Step& step) {
        step.error = Error::make(ErrorKind::unavailable, "released");
        return await_callback<bool>([this](auto resume) {
            std::lock_guard lock(mutex_);
            hung_.emplace_back(std::move(resume));
        });
    }

    Task<Result<EmbeddingsResponse>> play_embed(CallContext, EmbeddingsRequest request, Step step) {
        co_await sleep_for(clock_, step.delay);
        if (step.kind == Step::Kind::hang) co_await hang_until_released(step);
        ++finished_;
        if (step.kind == Step::Kind::throw_in_body) throw std::runtime_error(step.what);
        if (step.kind != Step::Kind::answer) co_return step.error;
        if (step.embeddings) co_return *step.embeddings;
        EmbeddingsResponse response;
        std::size_t inputs = request.inputs.empty() ? request.token_inputs.size() : request.inputs.size();
        std::size_t width = request.dimensions ? static_cast<std::size_t>(*request.dimensions) : 3;
        for (std::size_t i = 0; i < inputs; ++i)
            response.vectors.emplace_back(width, static_cast<float>(i) + 0.5f);
        response.model = name_;
        co_return response;
    }

    Task<Result<ParseResponse>> play_parse(CallContext, ParseRequest request, Step step) {
        co_await sleep_for(clock_, step.delay);
        if (step.kind == Step::Kind::hang) co_await hang_until_released(step);
        ++finished_;
        if (step.kind == Step::Kind::throw_in_body) throw std::runtime_error(step.what);
        if (step.kind != Step::Kind::answer) co_return step.error;
        if (step.parsed) co_return *step.parsed;
        ParseResponse response;
        response.markdown = "# " + request.file_name + " parsed by " + name_;
        response.pages.push_back({1, response.markdown, ""});
        co_return response;
    }

    Task<Result<JsonResponse>> play_call(CallContext, JsonRequest request, Step step) {
        co_await sleep_for(clock_, step.delay);
        if (step.kind == Step::Kind::hang) co_await hang_until_released(step);
        ++finished_;
        if (step.kind == Step::Kind::throw_in_body) throw std::runtime_error(step.what);
        if (step.kind != Step::Kind::answer) co_return step.error;
        if (step.json) co_return *step.json;
        co_return JsonResponse{"{\"operation\":\"" + request.operation + "\",\"backend\":\"" + name_ + "\"}",
                               {}};
    }

    Task<Status> play_health(Step step) {
        co_await sleep_for(clock_, step.delay);
        if (step.kind == Step::Kind::hang) co_await hang_until_released(step);
        ++finished_;
        if (step.kind == Step::Kind::throw_in_body) throw std::runtime_error(step.what);
        if (step.kind != Step::Kind::answer) co_return step.error;
        co_return Status{};
    }

    void push(std::deque<Step>& queue, Step step) {
        std::lock_guard lock(mutex_);
        queue.push_back(std::move(step));
    }

    Step take(std::deque<Step>& queue, const Step& fallback, const char* operation, const CallContext& ctx) {
        std::lock_guard lock(mutex_);
        seen_.push_back({operation, ctx});
        if (queue.empty()) return fallback;
        Step step = std::move(queue.front());
        queue.pop_front();
        return step;
    }

    std::size_t count(std::string_view operation, bool equal) const {
        std::lock_guard lock(mutex_);
        std::size_t n = 0;
        for (const auto& call : seen_) n += (call.operation == operation) == equal ? 1 : 0;
        return n;
    }

    std::string name_;
    Clock& clock_;
    mutable std::mutex mutex_;
    std::deque<Step> calls_;
    std::deque<Step> health_;
    Step default_call_;
    Step default_health_;
    std::vector<Seen> seen_;
    std::vector<std::function<void(bool)>> hung_;
    std::atomic<std::size_t> finished_{0};
};

}  // namespace switchboard::testing
