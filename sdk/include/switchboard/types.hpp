#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "switchboard/visibility.hpp"

namespace switchboard {

// Names of the capabilities the host knows. Any other capability name is a generic JSON
// operation served through ServiceInterface::call.
namespace capability {
inline constexpr std::string_view embeddings = "embeddings";
inline constexpr std::string_view parse = "parse";
}  // namespace capability

// What a call consumed, in the units the cost policy prices. Every response carries one.
struct SWITCHBOARD_API Usage {
    std::int64_t prompt_tokens = 0;  // input tokens billed (embeddings bill input tokens only)
    std::int64_t total_tokens = 0;
    std::int64_t pages = 0;          // document pages processed
    double credits = 0.0;            // provider credits charged (LlamaParse): 0 when free (a cache
                                     // hit); credits_unknown when the upstream did not say, and the
                                     // host then prices `pages` at the tier's credits per page
};

inline constexpr double credits_unknown = -1.0;

// ---- embeddings ----------------------------------------------------------------------------

struct SWITCHBOARD_API EmbeddingsRequest {
    std::vector<std::string> inputs;                    // texts to embed, in order
    std::vector<std::vector<std::int32_t>> token_inputs;  // or pre-tokenised inputs
    std::string model;                                  // empty: the backend's default model
    std::optional<std::int32_t> dimensions;             // requested output size
    std::string user;                                   // end-user id passed upstream
};

struct SWITCHBOARD_API EmbeddingsResponse {
    std::vector<std::vector<float>> vectors;  // one per input, same order
    std::string model;                        // model that actually served
    Usage usage;
};

// ---- parse ---------------------------------------------------------------------------------

struct SWITCHBOARD_API ParseOptions {
    std::string mode;          // backend-specific parse mode, e.g. "parse_page_with_llm"
    std::string language;      // document language hint, e.g. "en"
    std::string target_pages;  // e.g. "0,2-4"; empty means all
    std::map<std::string, std::string> extra;  // any other option, passed through
};

struct SWITCHBOARD_API ParseRequest {
    std::string file_name;
    std::string mime_type;
    std::string data;  // document bytes
    ParseOptions options;
};

struct SWITCHBOARD_API PageItem {
    std::int32_t page = 0;  // 1-based
    std::string markdown;
    std::string text;
};

struct SWITCHBOARD_API ParseResponse {
    std::string markdown;          // whole document
    std::string text;
    std::vector<PageItem> pages;
    std::string job_id;            // upstream job id, if any
    Usage usage;
};

// ---- generic JSON operation ----------------------------------------------------------------

// A capability the host does not know yet: the operation name and a JSON body, as text, so the
// ABI does not depend on any JSON library.
struct SWITCHBOARD_API JsonRequest {
    std::string operation;
    std::string body;
};

struct SWITCHBOARD_API JsonResponse {
    std::string body;
    Usage usage;
};

}  // namespace switchboard
