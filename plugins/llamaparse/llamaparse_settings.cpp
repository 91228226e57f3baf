#include "llamaparse/llamaparse_settings.hpp"

#include <cstdint>

namespace switchboard::llamaparse {
namespace {

constexpr std::string_view known_keys[] = {
    "api",        "base_url",        "tier",         "version",     "parse_mode",
    "organization_id", "project_id", "poll_initial_ms", "poll_step_ms", "poll_max_ms",
    "job_timeout_ms", "expand_items",
};

Error bad_setting(const Settings& settings, std::string_view key, std::string_view problem) {
    return Error::make(ErrorKind::bad_request,
                       "setting '" + std::string(key) + "'" + settings.where(key) + " " + std::string(problem));
}

Result<std::chrono::milliseconds> milliseconds(const Settings& settings, std::string_view key,
                                               std::chrono::milliseconds fallback, std::int64_t min,
                                               std::int64_t max) {
    auto value = settings.get<std::int64_t>(key, fallback.count());
    if (!value) return std::move(value).error();
    if (value.value() < min || value.value() > max) {
        return bad_setting(settings, key,
                           "must be between " + std::to_string(min) + " and " + std::to_string(max) +
                               " (milliseconds), got " + std::to_string(value.value()));
    }
    return std::chrono::milliseconds(value.value());
}

Result<std::string> string_setting(const Settings& settings, std::string_view key, std::string fallback,
                                   bool may_be_empty = false) {
    auto value = settings.get<std::string>(key, std::move(fallback));
    if (value && !may_be_empty && value.value().empty()) return bad_setting(settings, key, "must not be empty");
    return value;
}

// Settings that only one API generation reads are refused under the other, so a switch of
// `api` cannot silently drop them.
Status only_for(const Settings& settings, Api api, std::string_view key, Api wanted) {
    if (api == wanted || !settings.contains(key)) return {};
    return bad_setting(settings, key,
                       std::string("applies to api = \"") + (wanted == Api::v1 ? "v1" : "v2") +
                           "\" only; remove it or set api = \"" + (wanted == Api::v1 ? "v1" : "v2") + "\"");
}

}  // namespace

std::vector<std::pair<std::string, std::string>> LlamaParseSettings::scope() const {
    std::vector<std::pair<std::string, std::string>> query;
    if (!organization_id.empty()) query.emplace_back("organization_id", organization_id);
    if (!project_id.empty()) query.emplace_back("project_id", project_id);
    return query;
}

std::optional<std::string_view> v2_tier_for(std::string_view v1_mode) {
    for (auto [mode, tier] : v1_mode_v2_tier) {
        if (mode == v1_mode) return tier;
    }
    return std::nullopt;
}

std::optional<std::string_view> v1_mode_for(std::string_view v2_tier) {
    for (auto [mode, tier] : v1_mode_v2_tier) {
        if (tier == v2_tier) return mode;
    }
    return std::nullopt;
}

std::string v1_modes_with_a_tier() {
    std::string names;
    for (auto [mode, tier] : v1_mode_v2_tier) names += (names.empty() ? "" : ", ") + std::string(mode);
    return names;
}

bool is_v2_tier(std::string_view tier) {
    for (auto known : v2_tiers) {
        if (known == tier) return true;
    }
    return false;
}

Result<LlamaParseSettings> read_settings(const Settings& settings) {
    if (auto checked = settings.only_keys(known_keys); !checked) return std::move(checked).error();
    LlamaParseSettings out;

    auto api = string_setting(settings, "api", "v2");
    if (!api) return std::move(api).error();
    if (api.value() == "v1") out.api = Api::v1;
    else if (api.value() != "v2") return bad_setting(settings, "api", "must be \"v2\" or \"v1\", got \"" + api.value() + "\"");

    auto base_url = string_setting(settings, "base_url", out.base_url);
    if (!base_url) return std::move(base_url).error();
    std::string& url = base_url.value();
    if (url.rfind("http://", 0) != 0 && url.rfind("https://", 0) != 0) {
        return bad_setting(settings, "base_url", "must start with http:// or https://, got \"" + url + "\"");
    }
    if (url.find_first_of("?#") != std::string::npos) {
        return bad_setting(settings, "base_url", "must not carry a query or fragment, got \"" + url + "\"");
    }
    while (url.size() > 1 && url.back() == '/') url.pop_back();
    out.base_url = std::move(url);

    // expand_items is v1's: a v2 answer's items have no place in a ParseResponse.
    for (auto [key, wanted] : {std::pair{"tier", Api::v2}, {"version", Api::v2}, {"parse_mode", Api::v1},
                               {"expand_items", Api::v1}}) {
        if (auto checked = only_for(settings, out.api, key, wanted); !checked) return std::move(checked).error();
    }
    auto tier = string_setting(settings, "tier", out.tier);
    if (!tier) return std::move(tier).error();
    if (!is_v2_tier(tier.value())) {
        return bad_setting(settings, "tier",
                           "must be one of fast, cost_effective, agentic, agentic_plus, got \"" + tier.value() + "\"");
    }
    out.tier = std::move(tier).value();
    auto version = string_setting(settings, "version", out.version);
    if (!version) return std::move(version).error();
    out.version = std::move(version).value();
    auto parse_mode = string_setting(settings, "parse_mode", "", true);
    if (!parse_mode) return std::move(parse_mode).error();
    out.parse_mode = std::move(parse_mode).value();

    auto organization_id = string_setting(settings, "organization_id", "", true);
    if (!organization_id) return std::move(organization_id).error();
    out.organization_id = std::move(organization_id).value();
    auto project_id = string_setting(settings, "project_id", "", true);
    if (!project_id) return std::move(project_id).error();
    out.project_id = std::move(project_id).value();

    constexpr std::int64_t hour = 3'600'000;
    auto poll_initial = milliseconds(settings, "poll_initial_ms", out.poll_initial, 1, hour);
    if (!poll_initial) return std::move(poll_initial).error();
    out.poll_initial = poll_initial.value();
    auto poll_step = milliseconds(settings, "poll_step_ms", out.poll_step, 0, hour);
    if (!poll_step) return std::move(poll_step).error();
    out.poll_step = poll_step.value();
    auto poll_max = milliseconds(settings, "poll_max_ms", std::max(out.poll_max, out.poll_initial), 1, hour);
    if (!poll_max) return std::move(poll_max).error();
    if (poll_max.value() < out.poll_initial) {
        return bad_setting(settings, "poll_max_ms",
                           "must not be below poll_initial_ms (" + std::to_string(out.poll_initial.count()) +
                               "), got " + std::to_string(poll_max.value().count()));
    }
    out.poll_max = poll_max.value();
    auto job_timeout = milliseconds(settings, "job_timeout_ms", out.job_timeout, 1, 48 * hour);
    if (!job_timeout) return std::move(job_timeout).error();
    out.job_timeout = job_timeout.value();

    auto expand_items = settings.get<bool>("expand_items", false);
    if (!expand_items.ok()) return std::move(expand_items).error();
    out.expand_items = expand_items.value();
    return out;
}

}  // namespace switchboard::llamaparse
