#include "cost/summary.hpp"

namespace switchboard::cost {

std::string_view to_string(GroupBy group) noexcept {
    switch (group) {
        case GroupBy::service: return "service";
        case GroupBy::backend: return "backend";
        case GroupBy::model: return "model";
        case GroupBy::client: return "client";
    }
    return "service";
}

std::optional<GroupBy> group_by_from_string(std::string_view text) noexcept {
    for (auto group : {GroupBy::service, GroupBy::backend, GroupBy::model, GroupBy::client}) {
        if (to_string(group) == text) return group;
    }
    return std::nullopt;
}

std::optional<Window> window_from_string(std::string_view text) noexcept {
    for (auto window : {Window::hour, Window::day, Window::month}) {
        if (to_string(window) == text) return window;
    }
    return std::nullopt;
}

Summarizer::Summarizer(TimeZone zone, Window by, GroupBy group) : zone_(std::move(zone)), by_(by), group_(group) {}

void Summarizer::add(const ledger::Row& row) {
    if (window_label_.empty() || row.time >= window_end_) {
        window_label_ = zone_.label(by_, row.time);
        window_end_ = zone_.window_end(by_, row.time);
    }
    const std::string* key = &row.service;
    switch (group_) {
        case GroupBy::service: key = &row.service; break;
        case GroupBy::backend: key = &row.backend; break;
        case GroupBy::model: key = &row.model; break;
        case GroupBy::client: key = &row.client; break;
    }
    auto [it, inserted] = lines_.try_emplace(std::pair{window_label_, *key});
    SummaryLine& line = it->second;
    if (inserted) {
        line.window = window_label_;
        line.key = *key;
    }
    ++line.calls;
    if (row.outcome != "ok") ++line.errors;
    if (!row.fallback_reason.empty()) ++line.fallbacks;
    line.input_tokens += row.input_tokens;
    line.pages += row.pages;
    line.credits_milli += row.credits_milli;
    line.cost += row.cost;
    line.shadow_cost += row.shadow_cost;
}

std::vector<SummaryLine> Summarizer::lines() const {
    std::vector<SummaryLine> result;
    result.reserve(lines_.size());
    for (const auto& [key, line] : lines_) result.push_back(line);
    return result;
}

}  // namespace switchboard::cost
