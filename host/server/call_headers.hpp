#pragma once

#include <string>
#include <string_view>

#include "cost/money.hpp"
#include "server/http_server.hpp"
#include "switchboard/error.hpp"

namespace switchboard::server {

// What the router did with a call, as every answer about it says: who answered, why it fell back
// (when it did) and what it cost.
inline void add_call_headers(Response& response, std::string_view backend, std::string_view fallback_reason,
                             cost::Money cost) {
    if (!backend.empty()) response.headers.emplace_back("x-switchboard-backend", std::string(backend));
    if (!fallback_reason.empty()) response.headers.emplace_back("x-switchboard-fallback", std::string(fallback_reason));
    response.headers.emplace_back("x-switchboard-cost-usd", cost::to_decimal(cost));
}

// When a refusal says when to come back: Retry-After in whole seconds, retry-after-ms exactly.
inline void add_retry_after(Response& response, const Error& error) {
    if (!error.retry_after) return;
    response.headers.emplace_back("Retry-After", std::to_string((error.retry_after->count() + 999) / 1000));
    response.headers.emplace_back("retry-after-ms", std::to_string(error.retry_after->count()));
}

}  // namespace switchboard::server
