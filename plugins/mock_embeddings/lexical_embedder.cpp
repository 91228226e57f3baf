#include "mock_embeddings/lexical_embedder.hpp"

#include <cmath>
#include <string>

#include "mock_common/hashing.hpp"

namespace switchboard::mock {
namespace {

// Weights of each feature family: whole words dominate, word pairs reward shared phrasing,
// character 3-grams give related word forms ("embed", "embedding") some similarity.
constexpr double word_weight = 1.0;
constexpr double pair_weight = 0.5;
constexpr double trigram_weight = 0.25;

bool is_word_byte(unsigned char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c >= 0x80;
}

// Lowercased (ASCII) words; every byte of a UTF-8 sequence counts as a word byte.
std::vector<std::string> words_of(std::string_view text) {
    std::vector<std::string> words;
    std::string current;
    for (unsigned char c : text) {
        if (is_word_byte(c)) {
            current += static_cast<char>(c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c);
        } else if (!current.empty()) {
            words.push_back(std::move(current));
            current.clear();
        }
    }
    if (!current.empty()) words.push_back(std::move(current));
    return words;
}

}  // namespace

LexicalEmbedder::LexicalEmbedder(std::string_view model, std::size_t dimensions)
    : model_state_(fnv1a64("\x1e", fnv1a64(model))), dimensions_(dimensions) {}

std::vector<float> LexicalEmbedder::embed_text(std::string_view text) const {
    std::vector<double> sums(dimensions_, 0.0);
    auto words = words_of(text);
    for (std::size_t i = 0; i < words.size(); ++i) {
        add_feature(sums, "word", words[i], word_weight);
        if (i + 1 < words.size()) add_feature(sums, "pair", words[i] + ' ' + words[i + 1], pair_weight);
        std::string marked = '<' + words[i] + '>';
        for (std::size_t at = 0; at + 3 <= marked.size(); ++at) {
            add_feature(sums, "char3", std::string_view(marked).substr(at, 3), trigram_weight);
        }
    }
    return finish(sums, text);
}

std::vector<float> LexicalEmbedder::embed_tokens(std::span<const std::int32_t> tokens) const {
    std::vector<double> sums(dimensions_, 0.0);
    std::string identity;
    for (std::size_t i = 0; i < tokens.size(); ++i) {
        auto token = std::to_string(tokens[i]);
        add_feature(sums, "token", token, word_weight);
        if (i + 1 < tokens.size()) {
            add_feature(sums, "token-pair", token + ' ' + std::to_string(tokens[i + 1]), pair_weight);
        }
        identity += token + ' ';
    }
    return finish(sums, "tokens:" + identity);
}

void LexicalEmbedder::add_feature(std::vector<double>& sums, std::string_view kind,
                                  std::string_view feature, double weight) const {
    auto hash = splitmix64(fnv1a64(feature, fnv1a64("\x1f", fnv1a64(kind, model_state_))));
    auto slot = static_cast<std::size_t>(hash % dimensions_);
    sums[slot] += (hash >> 63) != 0 ? -weight : weight;
}

std::vector<float> LexicalEmbedder::finish(const std::vector<double>& sums, std::string_view identity) const {
    double squares = 0.0;
    for (double value : sums) squares += value * value;

    std::vector<double> values = sums;
    if (squares == 0.0) {
        // No feature (empty or punctuation-only input), or features that cancelled out exactly.
        auto seed = fnv1a64(identity, fnv1a64("featureless\x1f", model_state_));
        for (std::size_t i = 0; i < dimensions_; ++i) {
            values[i] = 2.0 * unit_interval(splitmix64(seed + i)) - 1.0;
            squares += values[i] * values[i];
        }
        if (squares == 0.0) {
            values[0] = 1.0;
            squares = 1.0;
        }
    }
    double norm = std::sqrt(squares);
    std::vector<float> vector(dimensions_);
    for (std::size_t i = 0; i < dimensions_; ++i) vector[i] = static_cast<float>(values[i] / norm);
    return vector;
}

}  // namespace switchboard::mock
