// hello: a minimal Switchboard plugin. It offers "embeddings" and turns each text into a small
// vector of counts (characters, words, vowels, ...), after a pretend upstream round trip.
#include <chrono>
#include <cctype>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include <switchboard/plugin.hpp>

namespace {

using switchboard::CallContext;
using switchboard::EmbeddingsRequest;
using switchboard::EmbeddingsResponse;
using switchboard::Error;
using switchboard::ErrorKind;
using switchboard::LogLevel;
using switchboard::Result;
using switchboard::Task;

constexpr std::int64_t max_dimensions = 5;

std::int64_t word_count(std::string_view text) {
    std::int64_t words = 0;
    bool in_word = false;
    for (unsigned char c : text) {
        bool space = std::isspace(c) != 0;
        if (!space && !in_word) ++words;
        in_word = !space;
    }
    return words;
}

// Characters, words, vowels, upper-case letters, digits: the first `dimensions` of them.
std::vector<float> counts_of(std::string_view text, std::int64_t dimensions) {
    float vowels = 0, upper = 0, digits = 0;
    for (unsigned char c : text) {
        if (std::string_view("aeiouAEIOU").find(static_cast<char>(c)) != std::string_view::npos) ++vowels;
        if (std::isupper(c)) ++upper;
        if (std::isdigit(c)) ++digits;
    }
    std::vector<float> all{static_cast<float>(text.size()), static_cast<float>(word_count(text)),
                           vowels, upper, digits};
    all.resize(static_cast<std::size_t>(dimensions));
    return all;
}

class HelloPlugin final : public switchboard::ServiceInterface {
public:
    switchboard::PluginInfo info() const override {
        switchboard::PluginInfo info;
        info.name = "hello";
        info.version = "0.1.0";
        info.capabilities = {std::string(switchboard::capability::embeddings)};
        return info;
    }

    // Reads and checks the settings; a bad one is an error naming the key, never an exception.
    switchboard::Status start(const switchboard::HostServices& host,
                              const switchboard::BackendConfig& config) override {
        const auto& settings = config.settings;
        if (auto known = settings.only_keys({"dimensions", "latency_ms", "model"}); !known) return known;
        auto dimensions = settings.get<std::int64_t>("dimensions", 3);
        auto latency_ms = settings.get<std::int64_t>("latency_ms", 0);
        auto model = settings.get<std::string>("model", "hello-counts-1");
        if (!dimensions) return dimensions.error();
        if (!latency_ms) return latency_ms.error();
        if (!model) return model.error();
        if (dimensions.value() < 1 || dimensions.value() > max_dimensions) {
            return Error::make(ErrorKind::bad_request,
                               "setting 'dimensions' in " + settings.origin() + " must be between 1 and " +
                                   std::to_string(max_dimensions) + ", not " +
                                   std::to_string(dimensions.value()));
        }

        if (host.clock == nullptr) {
            return Error::make(ErrorKind::internal, "hello needs the host's clock, and HostServices::clock is null");
        }
        clock_ = host.clock;
        dimensions_ = dimensions.value();
        latency_ = std::chrono::milliseconds(latency_ms.value());
        model_ = model.value();
        if (host.logger) {
            host.logger->log(LogLevel::info, "",
                             "backend '" + config.backend + "' serves model " + model_ + " with " +
                                 std::to_string(dimensions_) + " dimensions");
        }
        return {};
    }

    // Parameters by value: the coroutine outlives the caller's stack frame.
    Task<Result<EmbeddingsResponse>> embed(CallContext ctx, EmbeddingsRequest request) override {
        if (request.inputs.empty()) {
            co_return Error::make(ErrorKind::bad_request,
                                  "hello needs at least one input text (request " + ctx.request_id + ")");
        }
        ctx.log(LogLevel::debug, "embedding " + std::to_string(request.inputs.size()) + " text(s)");

        // Where a real plugin awaits its upstream. No thread waits here: the host's clock resumes us.
        co_await switchboard::sleep_for(*clock_, latency_);
        if (ctx.cancelled()) {
            co_return Error::make(ErrorKind::timeout,
                                  "hello: the caller gave up (request " + ctx.request_id + ")");
        }

        EmbeddingsResponse response;
        response.model = model_;
        for (const auto& text : request.inputs) {
            response.vectors.push_back(counts_of(text, dimensions_));
            response.usage.prompt_tokens += word_count(text);  // one "token" per word
        }
        response.usage.total_tokens = response.usage.prompt_tokens;
        ctx.log(LogLevel::info, "embedded " + std::to_string(request.inputs.size()) + " text(s)");
        co_return response;
    }

private:
    switchboard::Clock* clock_ = nullptr;
    std::int64_t dimensions_ = 3;
    std::chrono::milliseconds latency_{0};
    std::string model_;
};

}  // namespace

// Exports the plugin: one descriptor in section "sbplugin" under switchboard_plugin_v2.
SWITCHBOARD_PLUGIN(HelloPlugin)
