#include <cstdint>
#include <string>
#include <vector>

#include <catch2/catch.hpp>

#include "openai_embeddings/batch_plan.hpp"

namespace switchboard::openai {
namespace {

TEST_CASE("token estimates are UTF-8 byte lengths for texts and lengths for token arrays", "[openai]") {
    EmbeddingsRequest texts;
    texts.inputs = {"a", "héllo", "日本"};
    CHECK(estimate_tokens(texts) == std::vector<std::int64_t>{1, 6, 6});

    EmbeddingsRequest tokens;
    tokens.token_inputs = {{1, 2, 3}, {7}};
    CHECK(estimate_tokens(tokens) == std::vector<std::int64_t>{3, 1});
}

TEST_CASE("a request within both limits is one batch", "[openai]") {
    CHECK(plan_batches({5, 5, 5}, 2048, 300'000) == std::vector<Batch>{{0, 3, 15}});
}

TEST_CASE("batches are split at the input limit, in order", "[openai]") {
    std::vector<std::int64_t> estimates(5000, 1);
    CHECK(plan_batches(estimates, 2048, 300'000) ==
          std::vector<Batch>{{0, 2048, 2048}, {2048, 4096, 2048}, {4096, 5000, 904}});
}

TEST_CASE("batches are split before the token budget would be passed", "[openai]") {
    // 40 + 40 fits 100; adding the third 40 would not.
    CHECK(plan_batches({40, 40, 40, 20, 60}, 2048, 100) == std::vector<Batch>{{0, 2, 80}, {2, 4, 60}, {4, 5, 60}});
    // Exactly at the budget stays in the batch.
    CHECK(plan_batches({50, 50, 1}, 2048, 100) == std::vector<Batch>{{0, 2, 100}, {2, 3, 1}});
}

TEST_CASE("an input estimated over the token budget goes alone in its batch", "[openai]") {
    CHECK(plan_batches({10, 500, 10}, 2048, 100) == std::vector<Batch>{{0, 1, 10}, {1, 2, 500}, {2, 3, 10}});
}

TEST_CASE("both limits apply together", "[openai]") {
    CHECK(plan_batches({1, 1, 1, 50, 50}, 3, 60) == std::vector<Batch>{{0, 3, 3}, {3, 4, 50}, {4, 5, 50}});
}

}  // namespace
}  // namespace switchboard::openai
