#include <catch2/catch.hpp>

#include <string>

#include "cost/pricing.hpp"
#include "cost_test_support.hpp"

using namespace switchboard;
using namespace switchboard::cost;
using switchboard::cost::testing::usd;

namespace {

// The shipped reference prices (config/pricing.toml).
config::PriceList openai_prices() {
    config::PriceList price;
    price.default_model = "text-embedding-3-small";
    price.usd_per_million_tokens = {{"text-embedding-3-small", usd("0.02")},
                                    {"text-embedding-3-large", usd("0.13")},
                                    {"text-embedding-ada-002", usd("0.10")}};
    price.source = "config/pricing.toml [openai-embeddings]";
    return price;
}

config::PriceList llamaparse_prices() {
    config::PriceList price;
    price.usd_per_thousand_credits = usd("1.25");
    price.default_tier = "fast";
    price.credits_per_page = {{"fast", 1}, {"cost_effective", 3}, {"agentic", 10}, {"agentic_plus", 45}};
    price.source = "config/pricing.toml [llamaparse]";
    return price;
}

EmbeddingsRequest texts(std::vector<std::string> inputs, std::string model = {}) {
    EmbeddingsRequest request;
    request.inputs = std::move(inputs);
    request.model = std::move(model);
    return request;
}

// A PDF whose page tree is visible: `pages` page objects under one /Pages node.
std::string pdf(int pages, int count) {
    std::string text = "%PDF-1.7\n1 0 obj << /Type /Catalog /Pages 2 0 R >> endobj\n";
    text += "2 0 obj << /Type /Pages /Count " + std::to_string(count) + " /Kids [] >> endobj\n";
    for (int i = 0; i < pages; ++i) {
        text += std::to_string(i + 3) + " 0 obj << /Type " + (i % 2 ? "/Page" : "\n/Page") + "/Parent 2 0 R >> endobj\n";
    }
    return text + "%%EOF\n";
}

ParseRequest document(std::string data, std::string mode = {}, std::string target_pages = {}) {
    ParseRequest request;
    request.file_name = "report.pdf";
    request.mime_type = "application/pdf";
    request.data = std::move(data);
    request.options.mode = std::move(mode);
    request.options.target_pages = std::move(target_pages);
    return request;
}

}  // namespace

TEST_CASE("embeddings estimates count UTF-8 bytes as tokens, priced exactly per model", "[cost][pricing]") {
    const Pricing pricing("openai", openai_prices(), Settings{});

    auto small = pricing.estimate(texts({"hello", "w\xC3\xB6rld"}));  // 5 + 6 bytes
    REQUIRE(small.ok());
    CHECK(small->tokens == 11);
    CHECK(small->model == "text-embedding-3-small");
    CHECK(small->cost == Money::from_nanos(11 * 20));

    auto large = pricing.estimate(texts({"hello", "w\xC3\xB6rld"}, "text-embedding-3-large"));
    CHECK(large->cost == Money::from_nanos(11 * 130));
    auto ada = pricing.estimate(texts({"hello", "w\xC3\xB6rld"}, "text-embedding-ada-002"));
    CHECK(ada->cost == Money::from_nanos(11 * 100));

    auto million = pricing.estimate(texts({std::string(1'000'000, 'x')}));
    CHECK(million->cost == usd("0.02"));
    CHECK(to_decimal(million->cost) == "0.02");

    EmbeddingsRequest tokens;
    tokens.token_inputs = {{1, 2, 3}, {4, 5}};
    CHECK(pricing.estimate(tokens)->tokens == 5);
    CHECK(pricing.estimate(tokens)->cost == Money::from_nanos(100));
}

TEST_CASE("the model comes from the request, else the backend's setting, else the price list", "[cost][pricing]") {
    Settings settings;
    settings.set("model", std::string("text-embedding-3-large"));
    const Pricing pricing("openai", openai_prices(), settings);

    CHECK(pricing.model_for("") == "text-embedding-3-large");
    CHECK(pricing.model_for("text-embedding-ada-002") == "text-embedding-ada-002");
    CHECK(pricing.estimate(texts({"abcd"}))->cost == Money::from_nanos(4 * 130));
    CHECK(Pricing("openai", openai_prices(), Settings{}).model_for("") == "text-embedding-3-small");
}

TEST_CASE("an unpriced model is a bad request naming the backend, the prices and where to add one",
          "[cost][pricing]") {
    const Pricing pricing("openai", openai_prices(), Settings{});
    auto result = pricing.estimate(texts({"hi"}, "text-embedding-9"));
    REQUIRE_FALSE(result.ok());
    CHECK(result.error().kind == ErrorKind::bad_request);
    CHECK(result.error().message ==
          "backend 'openai' has no price for model 'text-embedding-9' (priced: text-embedding-3-large, "
          "text-embedding-3-small, text-embedding-ada-002); add it under "
          "[backends.openai.pricing.usd_per_million_tokens] or to config/pricing.toml [openai-embeddings]");

    config::PriceList nameless = openai_prices();
    nameless.default_model.clear();
    auto no_model = Pricing("openai", nameless, Settings{}).estimate(texts({"hi"}));
    REQUIRE_FALSE(no_model.ok());
    CHECK(no_model.error().message.starts_with("backend 'openai' cannot price this call: it names no model"));
}

TEST_CASE("a rounding price never rounds in our favour", "[cost][pricing]") {
    config::PriceList price;
    price.usd_per_million_tokens = {{"tiny", usd("0.000001")}};  // 1,000 nanos per million tokens
    const Pricing pricing("cheap", price, Settings{});
    CHECK(pricing.estimate(texts({"a"}, "tiny"))->cost == Money::from_nanos(1));
    CHECK(pricing.estimate(texts({std::string(1000, 'a')}, "tiny"))->cost == Money::from_nanos(1));
    CHECK(pricing.estimate(texts({std::string(1001, 'a')}, "tiny"))->cost == Money::from_nanos(2));
}

TEST_CASE("embeddings are charged for the prompt tokens of the model that served", "[cost][pricing]") {
    const Pricing pricing("openai", openai_prices(), Settings{});
    Usage usage;
    usage.prompt_tokens = 1234;
    usage.total_tokens = 1234;

    auto served = pricing.charge_embeddings(usage, "text-embedding-3-large", "text-embedding-3-small");
    REQUIRE(served.ok());
    CHECK(served->cost == Money::from_nanos(1234 * 130));
    CHECK(served->input_tokens == 1234);
    CHECK(served->model == "text-embedding-3-large");

    auto estimated = pricing.charge_embeddings(usage, "", "text-embedding-ada-002");
    CHECK(estimated->cost == Money::from_nanos(123'400));
    CHECK(estimated->model == "text-embedding-ada-002");

    // A dated variant of the model asked for is billed as that model.
    auto variant = pricing.charge_embeddings(usage, "text-embedding-ada-002-v2", "text-embedding-ada-002");
    CHECK(variant->cost == Money::from_nanos(123'400));
    CHECK(variant->model == "text-embedding-ada-002");

    auto unknown = pricing.charge_embeddings(usage, "text-embedding-9", "text-embedding-8");
    REQUIRE_FALSE(unknown.ok());
    CHECK(unknown.error().message.starts_with("backend 'openai' has no price for model 'text-embedding-9'"));
}

TEST_CASE("a free price list prices everything at zero but still counts tokens and pages", "[cost][pricing]") {
    config::PriceList free;
    free.free = true;
    const Pricing pricing("local", free, Settings{});
    CHECK(pricing.free());

    auto embeddings = pricing.estimate(texts({"hello"}, "anything"));
    REQUIRE(embeddings.ok());
    CHECK(embeddings->cost == Money{});
    CHECK(embeddings->tokens == 5);
    auto parse = pricing.estimate(document(pdf(2, 2), "whatever"));
    REQUIRE(parse.ok());
    CHECK(parse->cost == Money{});
    CHECK(parse->pages == 2);

    Usage usage;
    usage.prompt_tokens = 10;
    usage.pages = 3;
    usage.credits = 9;
    CHECK(pricing.charge_embeddings(usage, "anything", "")->cost == Money{});
    CHECK(pricing.charge_parse(usage, "whatever", true)->credits_milli == 9000);
    CHECK(pricing.charge_parse(usage, "whatever", true)->cost == Money{});
    CHECK(pricing.charge_parse(usage, "whatever", false)->cost == Money{});
}

TEST_CASE("parse estimates: pages × credits per page of the tier × USD per credit", "[cost][pricing]") {
    const Pricing pricing("llamaparse", llamaparse_prices(), Settings{});
    const std::string three_pages = pdf(3, 3);

    auto fast = pricing.estimate(document(three_pages));
    REQUIRE(fast.ok());
    CHECK(fast->pages == 3);
    CHECK(fast->model == "fast");
    CHECK(fast->cost == usd("0.00375"));  // 3 credits at $1.25 per 1,000
    CHECK(pricing.estimate(document(three_pages, "cost_effective"))->cost == usd("0.01125"));
    CHECK(pricing.estimate(document(three_pages, "agentic"))->cost == usd("0.0375"));
    CHECK(pricing.estimate(document(three_pages, "agentic_plus"))->cost == usd("0.16875"));

    auto unpriced = pricing.estimate(document(three_pages, "premium_mode"));
    REQUIRE_FALSE(unpriced.ok());
    CHECK(unpriced.error().kind == ErrorKind::bad_request);
    CHECK(unpriced.error().message ==
          "backend 'llamaparse' has no price for tier 'premium_mode' (priced: agentic, agentic_plus, cost_effective, "
          "fast); add it under [backends.llamaparse.pricing.credits_per_page] or to config/pricing.toml [llamaparse]");

    config::PriceList no_rate = llamaparse_prices();
    no_rate.usd_per_thousand_credits.reset();
    auto no_credit_price = Pricing("llamaparse", no_rate, Settings{}).estimate(document(three_pages));
    REQUIRE_FALSE(no_credit_price.ok());
    CHECK(no_credit_price.error().message ==
          "backend 'llamaparse' has no price per credit; set usd_per_thousand_credits under [backends.llamaparse.pricing] "
          "or to config/pricing.toml [llamaparse]");
}

TEST_CASE("the tier comes from the request, else settings.tier or parse_mode, else the price list", "[cost][pricing]") {
    Settings tier;
    tier.set("tier", std::string("agentic"));
    CHECK(Pricing("lp", llamaparse_prices(), tier).tier_for("") == "agentic");
    CHECK(Pricing("lp", llamaparse_prices(), tier).tier_for("fast") == "fast");
    Settings parse_mode;
    parse_mode.set("parse_mode", std::string("cost_effective"));
    CHECK(Pricing("lp", llamaparse_prices(), parse_mode).tier_for("") == "cost_effective");
    CHECK(Pricing("lp", llamaparse_prices(), Settings{}).tier_for("") == "fast");
}

TEST_CASE("parse charges: the upstream's credits when reported, else pages × tier", "[cost][pricing]") {
    const Pricing pricing("llamaparse", llamaparse_prices(), Settings{});
    Usage usage;
    usage.pages = 4;
    usage.credits = 12.5;

    auto reported = pricing.charge_parse(usage, "agentic", true);
    REQUIRE(reported.ok());
    CHECK(reported->credits_milli == 12'500);
    CHECK(reported->cost == usd("0.015625"));
    CHECK(reported->pages == 4);
    CHECK(reported->model == "agentic");

    auto shadow = pricing.charge_parse(usage, "agentic", false);
    CHECK(shadow->credits_milli == 40'000);
    CHECK(shadow->cost == usd("0.05"));

    Usage cache_hit;  // the upstream bills a cache hit nothing: zero credits, whatever the pages
    cache_hit.pages = 4;
    CHECK(pricing.charge_parse(cache_hit, "agentic", true)->cost == Money{});

    Usage unknown;  // the upstream did not say (v2 not billed yet, v1 without job_credits_usage)
    unknown.pages = 4;
    unknown.credits = credits_unknown;
    auto priced = pricing.charge_parse(unknown, "agentic", true);
    REQUIRE(priced.ok());
    CHECK(priced->credits_milli == 40'000);  // 4 pages × 10 credits
    CHECK(priced->cost == usd("0.05"));

    CHECK_FALSE(pricing.charge_parse(usage, "unknown_tier", false).ok());
    CHECK(pricing.charge_parse(usage, "unknown_tier", true)->cost == usd("0.015625"));
}

TEST_CASE("JSON operations are unpriced: zero", "[cost][pricing]") {
    const Pricing pricing("openai", openai_prices(), Settings{});
    auto estimate = pricing.estimate(JsonRequest{"moderate", "{}"});
    REQUIRE(estimate.ok());
    CHECK(estimate->cost == Money{});
}

TEST_CASE("PDF pages: page objects not /Pages, or the page tree's /Count, whichever is larger", "[cost][pricing]") {
    CHECK(estimate_pages(pdf(3, 3), "application/pdf", "") == 3);
    CHECK(estimate_pages(pdf(1, 12), "application/pdf", "") == 12);     // objects in compressed streams
    CHECK(estimate_pages(pdf(5, 2), "application/octet-stream", "") == 5);  // the %PDF- header is enough
    CHECK(estimate_pages("%PDF-1.7 << /Type /PageLabel >> << /Type/Page>> << /Type /Page", "application/pdf", "") == 2);
    // Neither visible: one page per 50 KiB.
    CHECK(estimate_pages("%PDF-1.7\n" + std::string(120 * 1024, 'x'), "application/pdf", "") == 3);
    CHECK(estimate_pages("%PDF-1.7\n", "application/pdf", "") == 1);
}

TEST_CASE("text pages: one per form feed or 3,000 bytes, whichever gives more, other files one per 50 KiB",
          "[cost][pricing]") {
    CHECK(estimate_pages(std::string(7000, 'a'), "text/plain", "") == 3);
    CHECK(estimate_pages("one\ftwo\fthree\ffour\ffive", "text/markdown", "") == 5);
    CHECK(estimate_pages("", "text/plain", "") == 1);
    CHECK(estimate_pages(std::string(51'200, 'a'), "application/vnd.openxmlformats-officedocument", "") == 1);
    CHECK(estimate_pages(std::string(51'201, 'a'), "application/vnd.openxmlformats-officedocument", "") == 2);
    CHECK(estimate_pages("", "image/png", "") == 1);
}

TEST_CASE("target_pages narrows the estimate to the pages selected, 0-based", "[cost][pricing]") {
    const std::string ten = pdf(10, 10);
    CHECK(estimate_pages(ten, "application/pdf", "0,2-4") == 4);
    CHECK(estimate_pages(ten, "application/pdf", "3, 3,2-4") == 3);
    CHECK(estimate_pages(ten, "application/pdf", "0-100") == 10);  // never more than the document has
    CHECK(estimate_pages(ten, "application/pdf", "8-12,0") == 3);
    CHECK(estimate_pages(ten, "application/pdf", "20-30") == 1);
    CHECK(estimate_pages(ten, "application/pdf", "4-2") == 10);  // unreadable: the whole document
    CHECK(estimate_pages(ten, "application/pdf", "a") == 10);
    // Page count unknown (a .docx): the selection is the bound.
    CHECK(estimate_pages(std::string(1000, 'a'), "application/msword", "0-9") == 10);

    const Pricing pricing("llamaparse", llamaparse_prices(), Settings{});
    CHECK(pricing.estimate(document(ten, "fast", "0,2-4"))->cost == usd("0.005"));
}
