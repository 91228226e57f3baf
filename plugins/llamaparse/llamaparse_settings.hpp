#pragma once

#include <chrono>
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

// Reads and checks the settings; a bad one is a bad_request error naming the key and where it
// was written. Unknown keys are refused.
Result<LlamaParseSettings> read_settings(const Settings& settings);

}  // namespace switchboard::llamaparse
