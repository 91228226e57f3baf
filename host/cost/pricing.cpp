#include "cost/pricing.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <optional>
#include <utility>
#include <vector>

namespace switchboard::cost {
namespace {

constexpr std::int64_t int64_max = std::numeric_limits<std::int64_t>::max();

std::int64_t saturating_mul(std::int64_t a, std::int64_t b) {
    if (a <= 0 || b <= 0) return 0;
    return a > int64_max / b ? int64_max : a * b;
}

std::int64_t saturating_add(std::int64_t a, std::int64_t b) { return a > int64_max - b ? int64_max : a + b; }

template <class Value>
std::string priced_names(const std::map<std::string, Value>& list) {
    if (list.empty()) return "none";
    std::string names;
    for (const auto& [name, value] : list) names += (names.empty() ? "" : ", ") + name;
    return names;
}

std::string or_source(const config::PriceList& price) {
    return price.source.empty() ? "" : " or to " + price.source;
}

// ---- pages --------------------------------------------------------------------------------

constexpr std::int64_t bytes_per_binary_page = 50 * 1024;
constexpr std::int64_t bytes_per_text_page = 3000;
constexpr std::int64_t most_pages = 10'000'000;  // a /Count beyond this is not a real document

bool pdf_space(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\f' || c == '\0'; }

bool pdf_delimiter(char c) {
    return pdf_space(c) || c == '/' || c == '<' || c == '>' || c == '[' || c == ']' || c == '(' || c == ')' ||
           c == '{' || c == '}' || c == '%';
}

std::size_t skip_space(std::string_view data, std::size_t pos) {
    while (pos < data.size() && pdf_space(data[pos])) ++pos;
    return pos;
}

// The larger of the page objects ("/Type /Page", not "/Pages") and the page tree's largest
// "/Count N"; 0 when neither is visible (both may sit in compressed object streams).
std::int64_t pdf_pages(std::string_view pdf) {
    std::int64_t objects = 0;
    for (auto at = pdf.find("/Type"); at != std::string_view::npos; at = pdf.find("/Type", at + 5)) {
        const std::size_t name = skip_space(pdf, at + 5);
        if (pdf.substr(name, 5) == "/Page" && (name + 5 == pdf.size() || pdf_delimiter(pdf[name + 5]))) ++objects;
    }
    std::int64_t count = 0;
    for (auto at = pdf.find("/Count"); at != std::string_view::npos; at = pdf.find("/Count", at + 6)) {
        std::size_t pos = skip_space(pdf, at + 6);
        std::int64_t value = 0;
        bool digits = false;
        for (; pos < pdf.size() && pdf[pos] >= '0' && pdf[pos] <= '9'; ++pos) {
            value = std::min(value * 10 + (pdf[pos] - '0'), most_pages);
            digits = true;
        }
        if (digits) count = std::max(count, value);
    }
    return std::max(objects, count);
}

std::int64_t pages_by_size(std::size_t bytes, std::int64_t per_page) {
    return std::max<std::int64_t>(1, (static_cast<std::int64_t>(bytes) + per_page - 1) / per_page);
}

bool starts_with_no_case(std::string_view text, std::string_view prefix) {
    if (text.size() < prefix.size()) return false;
    for (std::size_t i = 0; i < prefix.size(); ++i) {
        char c = text[i];
        if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
        if (c != prefix[i]) return false;
    }
    return true;
}

std::string_view trim(std::string_view text) {
    while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) text.remove_prefix(1);
    while (!text.empty() && (text.back() == ' ' || text.back() == '\t')) text.remove_suffix(1);
    return text;
}

std::optional<std::int64_t> page_number(std::string_view text) {
    text = trim(text);
    if (text.empty() || text.size() > 9) return std::nullopt;
    std::int64_t value = 0;
    for (char c : text) {
        if (c < '0' || c > '9') return std::nullopt;
        value = value * 10 + (c - '0');
    }
    return value;
}

// How many distinct pages "0,2-4" selects (0-based), only those below `total` when it is known;
// nullopt when the selection cannot be read (the upstream will say why).
std::optional<std::int64_t> selected_pages(std::string_view spec, std::optional<std::int64_t> total) {
    std::vector<std::pair<std::int64_t, std::int64_t>> ranges;  // inclusive
    std::size_t begin = 0;
    while (begin <= spec.size()) {
        auto end = spec.find(',', begin);
        if (end == std::string_view::npos) end = spec.size();
        const std::string_view part = trim(spec.substr(begin, end - begin));
        const auto dash = part.find('-');
        auto first = page_number(part.substr(0, dash));
        auto last = dash == std::string_view::npos ? first : page_number(part.substr(dash + 1));
        if (!first || !last || *last < *first) return std::nullopt;
        if (total) {
            if (*first >= *total) {
                begin = end + 1;
                continue;
            }
            *last = std::min(*last, *total - 1);
        }
        ranges.emplace_back(*first, *last);
        begin = end + 1;
    }
    std::sort(ranges.begin(), ranges.end());
    std::int64_t count = 0;
    std::int64_t covered_to = -1;  // the last page counted
    for (const auto& [first, last] : ranges) {
        const std::int64_t from = std::max(first, covered_to + 1);
        if (last >= from) count += last - from + 1;
        covered_to = std::max(covered_to, last);
    }
    return count;
}

}  // namespace

std::int64_t estimate_pages(std::string_view data, std::string_view mime_type, std::string_view target_pages) {
    std::int64_t pages = 0;
    std::optional<std::int64_t> known;
    if (starts_with_no_case(mime_type, "application/pdf") || data.starts_with("%PDF-")) {
        const std::int64_t counted = pdf_pages(data);
        if (counted > 0) known = counted;
        pages = counted > 0 ? counted : pages_by_size(data.size(), bytes_per_binary_page);
    } else if (starts_with_no_case(mime_type, "text/")) {
        const auto form_feeds = static_cast<std::int64_t>(std::count(data.begin(), data.end(), '\f'));
        pages = std::max(form_feeds + 1, pages_by_size(data.size(), bytes_per_text_page));
    } else {
        pages = pages_by_size(data.size(), bytes_per_binary_page);
    }
    if (trim(target_pages).empty()) return pages;
    auto selected = selected_pages(target_pages, known);
    if (!selected) return pages;
    return std::max<std::int64_t>(1, *selected);
}

Pricing::Pricing(std::string backend, config::PriceList price, const Settings& backend_settings)
    : backend_(std::move(backend)),
      price_(std::move(price)),
      setting_model_(config::model_setting(backend_settings)),
      setting_tier_(config::tier_setting(backend_settings)) {}

std::string Pricing::model_for(std::string_view requested) const { return price_.model_for(requested, setting_model_); }

std::string Pricing::tier_for(std::string_view requested) const { return price_.tier_for(requested, setting_tier_); }

namespace {

Result<Money> token_price(const std::string& backend, const config::PriceList& price, const std::string& model) {
    if (model.empty()) {
        return Error::make(ErrorKind::bad_request,
                           "backend '" + backend + "' cannot price this call: it names no model, and neither the "
                           "backend's settings.model nor its pricing.default_model is set; name a model in the request "
                           "or set one of them");
    }
    auto it = price.usd_per_million_tokens.find(model);
    if (it == price.usd_per_million_tokens.end()) {
        return Error::make(ErrorKind::bad_request,
                           "backend '" + backend + "' has no price for model '" + model + "' (priced: " +
                               priced_names(price.usd_per_million_tokens) + "); add it under [backends." + backend +
                               ".pricing.usd_per_million_tokens]" + or_source(price));
    }
    return it->second;
}

Result<std::int64_t> tier_credits(const std::string& backend, const config::PriceList& price, const std::string& tier) {
    if (tier.empty()) {
        return Error::make(ErrorKind::bad_request,
                           "backend '" + backend + "' cannot price this call: it names no parse mode, and neither the "
                           "backend's settings.tier (or parse_mode) nor its pricing.default_tier is set; set one of them");
    }
    auto it = price.credits_per_page.find(tier);
    if (it == price.credits_per_page.end()) {
        return Error::make(ErrorKind::bad_request,
                           "backend '" + backend + "' has no price for tier '" + tier + "' (priced: " +
                               priced_names(price.credits_per_page) + "); add it under [backends." + backend +
                               ".pricing.credits_per_page]" + or_source(price));
    }
    return it->second;
}

Result<Money> credit_price(const std::string& backend, const config::PriceList& price) {
    if (!price.usd_per_thousand_credits) {
        return Error::make(ErrorKind::bad_request,
                           "backend '" + backend + "' has no price per credit; set usd_per_thousand_credits under "
                           "[backends." + backend + ".pricing]" + or_source(price));
    }
    return *price.usd_per_thousand_credits;
}

}  // namespace

Result<Estimate> Pricing::estimate(const EmbeddingsRequest& request) const {
    Estimate estimate;
    for (const auto& input : request.inputs) estimate.tokens = saturating_add(estimate.tokens, static_cast<std::int64_t>(input.size()));
    for (const auto& input : request.token_inputs) {
        estimate.tokens = saturating_add(estimate.tokens, static_cast<std::int64_t>(input.size()));
    }
    estimate.model = model_for(request.model);
    if (price_.free) return estimate;
    auto price = token_price(backend_, price_, estimate.model);
    if (!price) return std::move(price).error();
    estimate.cost = per_units(estimate.tokens, price.value(), 1'000'000);
    return estimate;
}

Result<Estimate> Pricing::estimate(const ParseRequest& request) const {
    Estimate estimate;
    estimate.model = tier_for(request.options.mode);
    estimate.pages = estimate_pages(request.data, request.mime_type, request.options.target_pages);
    if (price_.free) return estimate;
    auto credits = tier_credits(backend_, price_, estimate.model);
    if (!credits) return std::move(credits).error();
    auto price = credit_price(backend_, price_);
    if (!price) return std::move(price).error();
    const std::int64_t credits_milli = saturating_mul(saturating_mul(estimate.pages, credits.value()), 1000);
    estimate.cost = per_units(credits_milli, price.value(), 1'000'000);
    return estimate;
}

Result<Estimate> Pricing::estimate(const JsonRequest&) const { return Estimate{}; }

Result<Charge> Pricing::charge_embeddings(const Usage& usage, std::string_view served_model,
                                          std::string_view estimated_model) const {
    Charge charge;
    charge.input_tokens = std::max<std::int64_t>(usage.prompt_tokens, 0);
    const std::string estimated = model_for(estimated_model);
    charge.model = served_model.empty() ? estimated : std::string(served_model);
    if (price_.free) return charge;
    // An upstream may name a dated variant of the model asked for ("text-embedding-ada-002-v2"):
    // then the estimate's model, which is priced, is the bill.
    if (!price_.usd_per_million_tokens.contains(charge.model) && price_.usd_per_million_tokens.contains(estimated)) {
        charge.model = estimated;
    }
    auto price = token_price(backend_, price_, charge.model);
    if (!price) return std::move(price).error();
    charge.cost = per_units(charge.input_tokens, price.value(), 1'000'000);
    return charge;
}

Result<Charge> Pricing::charge_parse(const Usage& usage, std::string_view tier, bool credits_reported) const {
    Charge charge;
    charge.pages = std::max<std::int64_t>(usage.pages, 0);
    charge.model = tier_for(tier);
    if (credits_reported && usage.credits >= 0) {
        const double milli = usage.credits * 1000.0;
        charge.credits_milli = !std::isfinite(milli) || milli <= 0 ? 0
                               : milli >= 9e18                      ? int64_max
                                                                    : std::llround(milli);
    } else {
        auto credits = tier_credits(backend_, price_, charge.model);
        if (credits) {
            charge.credits_milli = saturating_mul(saturating_mul(charge.pages, credits.value()), 1000);
        } else if (!price_.free) {
            return std::move(credits).error();
        }
    }
    if (price_.free) return charge;
    auto price = credit_price(backend_, price_);
    if (!price) return std::move(price).error();
    charge.cost = per_units(charge.credits_milli, price.value(), 1'000'000);
    return charge;
}

}  // namespace switchboard::cost
