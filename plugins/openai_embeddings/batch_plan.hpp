#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "switchboard/types.hpp"

namespace switchboard::openai {

// A run of consecutive inputs [begin, end) sent as one upstream request.
struct Batch {
    std::size_t begin = 0;
    std::size_t end = 0;
    std::int64_t estimated_tokens = 0;

    std::size_t size() const noexcept { return end - begin; }
    friend bool operator==(const Batch&, const Batch&) = default;
};

// An upper bound of each input's tokens: a text's UTF-8 byte length (every cl100k_base token is at
// least one byte), a token array's length.
std::vector<std::int64_t> estimate_tokens(const EmbeddingsRequest& request);

// Splits inputs, in order, into batches of at most `max_inputs` inputs and `max_tokens` estimated
// tokens. An input estimated above `max_tokens` on its own goes alone in its batch (the upstream
// judges it with its real count).
std::vector<Batch> plan_batches(const std::vector<std::int64_t>& estimates, std::size_t max_inputs,
                                std::int64_t max_tokens);

}  // namespace switchboard::openai
