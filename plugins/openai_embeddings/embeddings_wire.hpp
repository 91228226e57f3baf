#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "openai_embeddings/batch_plan.hpp"
#include "openai_embeddings/openai_settings.hpp"
#include "switchboard/result.hpp"
#include "switchboard/secret.hpp"
#include "switchboard/types.hpp"

namespace switchboard::openai {

// The JSON body of POST /embeddings for the inputs of `batch`: model, input (strings, or token
// arrays when the request has token_inputs), encoding_format, dimensions when set, user when not
// empty. Nothing else: the API rejects unknown fields.
std::string embeddings_body(const EmbeddingsRequest& request, const Batch& batch, std::string_view model,
                            EncodingFormat format);

// What one upstream answer holds: a vector per input, in input order.
struct EmbeddingsAnswer {
    std::vector<std::vector<float>> vectors;
    std::string model;
    Usage usage;
};

// Parses a 200 answer for `inputs` inputs: "object":"list", one data entry per input placed by its
// "index" (each of 0..inputs-1 exactly once), embeddings as base64 float32 or number arrays, all
// of one non-zero width (equal to `dimensions` when set), the model, usage.prompt_tokens and
// usage.total_tokens. Anything else is an upstream_error whose message continues
// "OpenAI answer to POST /embeddings …", e.g. "has 2 entries in \"data\" for 3 inputs"; a body
// quoted in it has `key` redacted before it is shortened.
Result<EmbeddingsAnswer> parse_embeddings(std::string_view body, std::size_t inputs,
                                          std::optional<std::int32_t> dimensions, const Secret& key);

}  // namespace switchboard::openai
