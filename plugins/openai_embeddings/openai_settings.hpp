#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "switchboard/result.hpp"
#include "switchboard/settings.hpp"

namespace switchboard::openai {

// How embeddings travel back: base64 of packed little-endian float32 (about 4× smaller), or JSON
// number arrays.
enum class EncodingFormat { base64, floats };

constexpr std::string_view to_string(EncodingFormat format) noexcept {
    return format == EncodingFormat::base64 ? "base64" : "float";
}

// A backend's [backends.NAME.settings] for the openai-embeddings plugin, validated.
struct OpenAISettings {
    static constexpr std::int64_t api_max_inputs = 2048;      // items per request
    static constexpr std::int64_t api_max_tokens = 300'000;   // tokens summed per request
    static constexpr std::array<std::string_view, 8> keys{
        "base_url", "model", "organization", "project", "encoding_format",
        "max_batch_inputs", "max_batch_tokens", "batch_concurrency"};

    std::string base_url = "https://api.openai.com/v1";  // no trailing slash
    std::string model = "text-embedding-3-small";
    std::string organization;  // OpenAI-Organization header; empty: not sent
    std::string project;       // OpenAI-Project header; empty: not sent
    EncodingFormat encoding_format = EncodingFormat::base64;
    std::size_t max_batch_inputs = api_max_inputs;
    std::int64_t max_batch_tokens = api_max_tokens;
    std::size_t batch_concurrency = 4;

    // Refuses unknown keys and bad values with a bad_request error naming the key and where it
    // was written.
    static Result<OpenAISettings> from(const Settings& settings);
};

}  // namespace switchboard::openai
