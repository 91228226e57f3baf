#include "openai_embeddings/batch_plan.hpp"

namespace switchboard::openai {

std::vector<std::int64_t> estimate_tokens(const EmbeddingsRequest& request) {
    std::vector<std::int64_t> estimates;
    estimates.reserve(request.inputs.size() + request.token_inputs.size());
    for (const auto& text : request.inputs) estimates.push_back(static_cast<std::int64_t>(text.size()));
    for (const auto& tokens : request.token_inputs) estimates.push_back(static_cast<std::int64_t>(tokens.size()));
    return estimates;
}

std::vector<Batch> plan_batches(const std::vector<std::int64_t>& estimates, std::size_t max_inputs,
                                std::int64_t max_tokens) {
    std::vector<Batch> batches;
    Batch current;
    for (std::size_t i = 0; i < estimates.size(); ++i) {
        bool full = current.size() == max_inputs || current.estimated_tokens + estimates[i] > max_tokens;
        if (current.size() > 0 && full) {
            batches.push_back(current);
            current = Batch{i, i, 0};
        }
        current.end = i + 1;
        current.estimated_tokens += estimates[i];
    }
    if (current.size() > 0) batches.push_back(current);
    return batches;
}

}  // namespace switchboard::openai
