#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>

#include "cost/money.hpp"

namespace switchboard::ledger {

using WallTime = std::chrono::system_clock::time_point;

// One call as the ledger keeps it.
struct Row {
    WallTime time;              // when the call started; stored to the microsecond, UTC
    std::string request_id;
    std::string client;         // who called: a client key's name, "cli", or "" when unknown
    std::string service;
    std::string backend;        // who answered; "" when nobody did
    std::string model;          // the model or tier the call was priced as; "" when unpriced
    std::string mode;           // "mock", "real" or "hybrid"
    std::string fallback_reason;  // why it fell back ("budget", "unavailable", ...); "" if it did not
    std::int64_t input_tokens = 0;
    std::int64_t pages = 0;
    std::int64_t credits_milli = 0;  // provider credits × 1000
    cost::Money cost;                // real spend
    cost::Money shadow_cost;         // what a mock-served call would have cost on the real backend
    std::chrono::microseconds latency{0};
    std::string outcome;  // "ok" or the ErrorKind name of the failure
};

// Real spend of one service, backend and client since three instants (the current hour, day and month).
struct SpendTotal {
    std::string service;
    std::string backend;
    std::string client;
    cost::Money hour;
    cost::Money day;
    cost::Money month;
};

// Which rows a summary or an export reads: [since, until), optionally one service.
struct Query {
    std::optional<WallTime> since;
    std::optional<WallTime> until;
    std::optional<std::string> service;
};

}  // namespace switchboard::ledger
