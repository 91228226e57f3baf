#pragma once

#include <ostream>
#include <string>
#include <string_view>

#include "ledger/ledger.hpp"

namespace switchboard::ledger {

enum class Format { json, csv };

// One CSV field per RFC 4180: quoted (quotes doubled) when it holds a comma, quote, CR or LF.
std::string csv_field(std::string_view text);
// A JSON string literal, quotes included, with control characters escaped.
std::string json_string(std::string_view text);

// The columns, in order: time, request_id, client, service, backend, model, mode,
// fallback_reason, input_tokens, pages, credits, cost_usd, shadow_cost_usd, latency_ms, outcome.
// `time` is ISO 8601 UTC with microseconds; money and credits exact decimals.
//
// Streams the query's rows as CSV (header line, CRLF line ends per RFC 4180) or as one JSON
// array of objects, one row at a time: constant memory for any number of rows. Returns the count.
// Throws std::runtime_error when `out` cannot be written to the end.
std::int64_t export_rows(const Reader& reader, const Query& query, Format format, std::ostream& out);
// The same with no ledger file yet (`reader` null): the header or an empty array.
std::int64_t export_rows(const Reader* reader, const Query& query, Format format, std::ostream& out);

// The exact decimal of value / 1000, as credits are written: "1.5", "12", "0.125".
std::string thousandths(std::int64_t value);

}  // namespace switchboard::ledger
