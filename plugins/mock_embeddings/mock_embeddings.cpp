#include "mock_embeddings/mock_embeddings.hpp"

#include <utility>

#include "mock_embeddings/lexical_embedder.hpp"

namespace switchboard::mock {
namespace {

// Roughly four bytes of English per token, as the OpenAI tokenisers average.
std::int64_t estimate_tokens(std::string_view text) {
    return static_cast<std::int64_t>((text.size() + 3) / 4);
}

Error bad_request(const CallContext& ctx, const std::string& problem) {
    return Error::make(ErrorKind::bad_request,
                       std::string(MockEmbeddings::plugin_name) + ": " + problem + " (request " +
                           ctx.request_id + ")");
}

// Breaks the response's shape the way a faulty upstream would, so that the host can tell
// without knowing the model: a vector missing, or the only vector empty.
void corrupt(EmbeddingsResponse& response) {
    if (response.vectors.size() > 1) {
        response.vectors.pop_back();
    } else if (!response.vectors.empty()) {
        response.vectors.front().clear();
    }
}

}  // namespace

PluginInfo MockEmbeddings::info() const {
    PluginInfo info;
    info.name = std::string(plugin_name);
    info.version = "1.0.0";
    info.capabilities = {std::string(capability::embeddings)};
    return info;
}

Status MockEmbeddings::configure(const Settings& settings) {
    auto model = non_empty_string_setting(settings, "model", std::string(default_model));
    if (!model) return std::move(model).error();
    auto dimensions = int_setting(settings, "dimensions", default_dimensions, 1, max_dimensions);
    if (!dimensions) return std::move(dimensions).error();
    model_ = std::move(model).value();
    dimensions_ = static_cast<std::int32_t>(dimensions.value());
    return {};
}

std::string MockEmbeddings::describe_settings() const {
    return "model '" + model_ + "', " + std::to_string(dimensions_) + " dimensions";
}

Task<Result<EmbeddingsResponse>> MockEmbeddings::embed(CallContext ctx, EmbeddingsRequest request) {
    if (auto error = guard_started(ctx)) co_return std::move(*error);
    CallPlan plan = next_call();
    auto response = compute(ctx, request);
    if (!response) co_return std::move(response);
    if (debug_enabled(ctx)) {
        ctx.log(LogLevel::debug, "embed call " + std::to_string(plan.call) + ": inputs " +
                                     std::to_string(response->vectors.size()) + ", model '" +
                                     response->model + "', dimensions " +
                                     std::to_string(response->vectors.front().size()) + ", latency " +
                                     std::to_string(plan.latency.count()) + " ms");
    }

    auto status = co_await enact(plan, ctx);
    if (!status) co_return std::move(status).error();
    if (plan.malformed()) corrupt(response.value());
    co_return std::move(response);
}

Result<EmbeddingsResponse> MockEmbeddings::compute(const CallContext& ctx,
                                                   const EmbeddingsRequest& request) const {
    if (request.inputs.empty() && request.token_inputs.empty()) {
        return bad_request(ctx, "the request has no inputs; send at least one text in 'inputs'");
    }
    if (!request.inputs.empty() && !request.token_inputs.empty()) {
        return bad_request(ctx, "the request sets both 'inputs' and 'token_inputs'; send one of them");
    }
    std::int32_t dimensions = request.dimensions.value_or(dimensions_);
    if (dimensions < 1 || dimensions > max_dimensions) {
        return bad_request(ctx, "'dimensions' must be between 1 and " + std::to_string(max_dimensions) +
                                    ", got " + std::to_string(dimensions));
    }

    EmbeddingsResponse response;
    response.model = request.model.empty() ? model_ : request.model;
    LexicalEmbedder embedder(response.model, static_cast<std::size_t>(dimensions));
    std::int64_t tokens = 0;
    for (const auto& text : request.inputs) {
        response.vectors.push_back(embedder.embed_text(text));
        tokens += estimate_tokens(text);
    }
    for (const auto& ids : request.token_inputs) {
        response.vectors.push_back(embedder.embed_tokens(ids));
        tokens += static_cast<std::int64_t>(ids.size());
    }
    response.usage.prompt_tokens = tokens;
    response.usage.total_tokens = tokens;
    return response;
}

}  // namespace switchboard::mock
