#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "switchboard/settings.hpp"

namespace switchboard::llamaparse {

enum class Api { v1, v2 };

// A backend's [backends.NAME.settings], checked. See read_settings for the keys and defaults.
struct LlamaParseSettings {
    Api api = Api::v2;
    std::string base_url = "https://api.cloud.llamaindex.ai";  // no trailing slash
    std::string tier = "fast";                                  // v2
    std::string version = "latest";                             // v2
    std::string parse_mode;                                     // v1; empty: not sent
    std::string organization_id;                                // query parameter when set
    std::string project_id;                                     // query parameter when set
    std::chrono::milliseconds poll_initial{1'000};              // wait before the first poll
    std::chrono::milliseconds poll_step{1'000};                 // added to the wait after each poll
    std::chrono::milliseconds poll_max{5'000};                  // the wait never grows past this
    std::chrono::milliseconds job_timeout{1'800'000};           // one parse, upload to result
    bool expand_items = false;                                  // v1: fetch /result/json for pages

    // {key, value} query parameters every request carries (organization_id, project_id).
    std::vector<std::pair<std::string, std::string>> scope() const;
};

inline constexpr std::string_view v2_tiers[] = {"fast", "cost_effective", "agentic", "agentic_plus"};

bool is_v2_tier(std::string_view tier);

// The v1 parse modes and the v2 tiers that cost the same per page (../config/pricing.toml), so a
// v1 client's parse_mode reaches a v2 backend and a v2 client's tier a v1 backend. The other v1
// modes (parse_page_with_lvm, parse_document_with_*) and agentic_plus have no counterpart.
inline constexpr std::pair<std::string_view, std::string_view> v1_mode_v2_tier[] = {
    {"parse_page_without_llm", "fast"},
    {"parse_page_with_llm", "cost_effective"},
    {"parse_page_with_agent", "agentic"},
};

// The counterpart of a v1 mode or a v2 tier in the table above; nullopt when it has none.
std::optional<std::string_view> v2_tier_for(std::string_view v1_mode);
std::optional<std::string_view> v1_mode_for(std::string_view v2_tier);
// The names one side of the table offers ("a, b, c"), for messages.
std::string v1_modes_with_a_tier();

// Reads and checks the settings; a bad one is a bad_request error naming the key and where it
// was written. Unknown keys are refused.
Result<LlamaParseSettings> read_settings(const Settings& settings);

}  // namespace switchboard::llamaparse
