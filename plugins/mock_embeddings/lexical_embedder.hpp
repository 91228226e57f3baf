#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>
#include <vector>

namespace switchboard::mock {

// Turns text (or token ids) into a deterministic unit vector whose cosine similarity follows
// shared vocabulary: signed feature hashing of lowercased words, word pairs and character
// 3-grams, keyed by the model name. Same input, model and size give the same bits everywhere.
class LexicalEmbedder {
public:
    LexicalEmbedder(std::string_view model, std::size_t dimensions);

    std::vector<float> embed_text(std::string_view text) const;
    std::vector<float> embed_tokens(std::span<const std::int32_t> tokens) const;

private:
    void add_feature(std::vector<double>& sums, std::string_view kind, std::string_view feature,
                     double weight) const;
    // Normalises `sums`; input without any feature gets a fixed dense vector keyed by `identity`.
    std::vector<float> finish(const std::vector<double>& sums, std::string_view identity) const;

    std::uint64_t model_state_;
    std::size_t dimensions_;
};

}  // namespace switchboard::mock
