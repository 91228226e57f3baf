#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <utility>
#include <string>
#include <vector>

#include "cost/money.hpp"
#include "cost/time_zone.hpp"
#include "ledger/ledger_row.hpp"

namespace switchboard::cost {

// What a summary line is keyed by, besides its window.
enum class GroupBy { service, backend, model, client };

std::string_view to_string(GroupBy group) noexcept;
std::optional<GroupBy> group_by_from_string(std::string_view text) noexcept;
std::optional<Window> window_from_string(std::string_view text) noexcept;  // "hour", "day", "month"

struct SummaryLine {
    std::string window;  // the window's label in the zone: "2026-11-29" for a day
    std::string key;     // the group's value: a service, backend, model or client name
    std::int64_t calls = 0;
    std::int64_t errors = 0;     // outcome other than "ok"
    std::int64_t fallbacks = 0;  // calls with a fallback reason
    std::int64_t input_tokens = 0;
    std::int64_t pages = 0;
    std::int64_t credits_milli = 0;
    Money cost;         // real spend
    Money shadow_cost;  // what the mock-served calls would have cost
};

// Totals by window (in `zone`) × group, fed one row at a time (as ledger::Reader::for_each
// streams them): memory grows with the number of lines, not rows.
class Summarizer {
public:
    Summarizer(TimeZone zone, Window by, GroupBy group);
    void add(const ledger::Row& row);
    std::vector<SummaryLine> lines() const;  // ordered by window, then key

private:
    TimeZone zone_;
    Window by_;
    GroupBy group_;
    std::map<std::pair<std::string, std::string>, SummaryLine> lines_;
    // Rows arrive in time order, so the current window's label is cached until time passes its end.
    WallTime window_end_{};
    std::string window_label_;
};

}  // namespace switchboard::cost
