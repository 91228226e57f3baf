#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "config/config.hpp"
#include "cost/money.hpp"
#include "switchboard/result.hpp"
#include "switchboard/settings.hpp"
#include "switchboard/types.hpp"

namespace switchboard::cost {

// What a call is expected to cost, before it runs: an upper bound, so caps hold.
struct Estimate {
    Money cost;
    std::int64_t tokens = 0;  // embeddings: input tokens (upper bound)
    std::int64_t pages = 0;   // parse: pages
    std::string model;        // embeddings: the priced model; parse: the priced tier
};

// What a finished call cost.
struct Charge {
    Money cost;
    std::int64_t input_tokens = 0;
    std::int64_t pages = 0;
    std::int64_t credits_milli = 0;  // credits × 1000 as billed (reported, or pages × credits per page)
    std::string model;               // as priced (model or tier)
};

// Prices calls to one backend. Model for embeddings: the request's, else the backend's `model`
// setting, else the price list's default_model. Tier for parse: the request's options.mode, else
// the backend's `tier` or `parse_mode` setting, else default_tier. A model or tier the list does
// not price is an error (bad_request naming the backend, the model and where the prices are),
// never a silent zero. A free list prices everything at zero.
class Pricing {
public:
    Pricing(std::string backend, config::PriceList price, const Settings& backend_settings);

    const std::string& backend() const noexcept { return backend_; }
    bool free() const noexcept { return price_.free; }

    // Tokens: the UTF-8 byte count of each string input (a byte-level BPE token covers at least
    // one byte, so this bounds every OpenAI tokenizer) or the exact count of token inputs.
    Result<Estimate> estimate(const EmbeddingsRequest& request) const;
    // Pages: estimate_pages(); cost: pages × credits per page of the tier × USD per credit.
    Result<Estimate> estimate(const ParseRequest& request) const;
    Result<Estimate> estimate(const JsonRequest& request) const;  // unpriced operations: zero

    // What `usage` costs under this list. Embeddings: usage.prompt_tokens of `model` (the model
    // that served, else `estimated_model`). Parse: usage.credits when the upstream reported any,
    // else usage.pages × credits per page of the tier; a cache hit reports zero credits and pages.
    Result<Charge> charge_embeddings(const Usage& usage, std::string_view served_model,
                                     std::string_view estimated_model) const;
    // `credits_reported`: the usage comes from the upstream itself, whose credits are the bill
    // (zero for a cache hit; credits_unknown when it did not say: pages × tier); false for a
    // mock's usage priced as shadow (pages × tier).
    Result<Charge> charge_parse(const Usage& usage, std::string_view tier, bool credits_reported) const;

    // The model or tier a call asking for `requested` ("" for none) is priced as, by the rules above.
    std::string model_for(std::string_view requested) const;
    std::string tier_for(std::string_view requested) const;

private:
    std::string backend_;
    config::PriceList price_;
    std::string setting_model_;  // the backend's `model` setting, if any
    std::string setting_tier_;   // the backend's `tier` or `parse_mode` setting, if any
};

// Pages in a document, as an upper-bound estimate: for a PDF, the larger of the page objects
// counted and the page tree's /Count; when neither is visible (compressed object streams), one
// page per 50 KiB. Text: one page per form feed or 3,000 bytes, whichever gives more. Anything
// else: one page per 50 KiB, at least one. `target_pages` ("0,2-4", 0-based as LlamaParse counts)
// narrows it to the pages selected when it parses.
std::int64_t estimate_pages(std::string_view data, std::string_view mime_type, std::string_view target_pages);

}  // namespace switchboard::cost
