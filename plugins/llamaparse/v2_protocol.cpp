#include "llamaparse/v2_protocol.hpp"

#include <map>
#include <utility>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include "llamaparse/json_fields.hpp"
#include "llamaparse/option_values.hpp"

namespace switchboard::llamaparse::v2 {
namespace {

Error bad_option(std::string message) { return Error::make(ErrorKind::bad_request, std::move(message)); }

// Reads `member` of markdown.pages[i] / text.pages[i]: a string, or "" when absent or null.
Result<std::string> page_string(const boost::json::value& page, std::string_view key, std::string_view where,
                                std::string_view at) {
    const auto* value = member(page, key);
    if (!value || value->is_null()) return std::string();
    if (!value->is_string()) {
        return shape_error(where, "has " + std::string(at) + "." + std::string(key) + " that is " +
                                      json_kind(*value) + ", not a string");
    }
    return std::string(value->as_string());
}

// The `pages` array of markdown / text, or null when the expansion is absent or null.
Result<const boost::json::array*> pages_of(const boost::json::value& answer, std::string_view expansion,
                                           std::string_view where) {
    const auto* section = member(answer, expansion);
    if (!section || section->is_null()) return static_cast<const boost::json::array*>(nullptr);
    const auto* pages = member(*section, "pages");
    if (!pages || !pages->is_array()) {
        return shape_error(where, "has no array 'pages' in " + std::string(expansion));
    }
    return &pages->as_array();
}

Result<std::int32_t> page_number(const boost::json::value& page, std::string_view where, std::string_view at) {
    const auto* number = member(page, "page_number");
    auto whole = number ? whole_number(*number) : std::nullopt;
    if (!whole || *whole < 1 || *whole > INT32_MAX) {
        return shape_error(where, "has " + std::string(at) + " without a positive integer 'page_number'");
    }
    return static_cast<std::int32_t>(*whole);
}

std::string joined(const std::vector<PageItem>& pages, std::string PageItem::*field) {
    std::string out;
    for (const auto& page : pages) {
        if ((page.*field).empty()) continue;
        if (!out.empty()) out += "\n\n";
        out += page.*field;
    }
    return out;
}

}  // namespace

std::string job_path(std::string_view job_id) { return "/api/v2/parse/" + url_encode(job_id); }
std::string cancel_path(std::string_view job_id) { return job_path(job_id) + "/cancel"; }

Result<boost::json::object> configuration(const ParseRequest& request, const LlamaParseSettings& settings) {
    const ParseOptions& options = request.options;
    std::string_view tier = options.mode.empty() ? std::string_view(settings.tier) : options.mode;
    if (!is_v2_tier(tier)) {
        auto same_price = v2_tier_for(tier);  // a v1 client's parse_mode
        if (!same_price) {
            return bad_option("options.mode '" + options.mode +
                              "' is not a LlamaParse v2 tier (fast, cost_effective, agentic, agentic_plus) nor a "
                              "v1 parse mode with a tier of the same price (" + v1_modes_with_a_tier() + ")");
        }
        tier = *same_price;
    }
    boost::json::object config;
    config["tier"] = tier;
    config["version"] = settings.version;
    if (!options.target_pages.empty()) config["target_pages"] = options.target_pages;
    for (const auto& [key, value] : options.extra) {
        if (key == "tier" || key == "version") {
            return bad_option("options.extra '" + key + "' cannot be passed: the " + key +
                              (key == "tier" ? " comes from options.mode or the backend's tier setting"
                                             : " comes from the backend's version setting"));
        }
        if (config.contains(key)) {
            return bad_option("options.extra '" + key + "' repeats options." + key + "; set it once");
        }
        config[key] = option_value(value);
    }
    return config;
}

Result<Upload> upload(const ParseRequest& request, const LlamaParseSettings& settings, MultipartBody form) {
    auto config = configuration(request, settings);
    if (!config) return std::move(config).error();
    Upload out;
    out.tier = std::string(config.value().at("tier").as_string());
    form.add_file("file", request.file_name, request.mime_type, request.data);
    form.add_field("configuration", boost::json::serialize(config.value()));
    out.content_type = form.content_type();
    out.body = std::move(form).finish();
    return out;
}

QueryParams poll_query() { return {{"expand", "markdown"}, {"expand", "text"}, {"expand", "usage"}}; }

Result<std::string> created_job_id(const boost::json::value& answer, std::string_view where) {
    return required_string(answer, "id", where);
}

Result<Job> job_of(const boost::json::value& answer, std::string_view where) {
    if (!answer.is_object()) return shape_error(where, "is " + json_kind(answer) + ", not an object");
    const auto* job = member(answer, "job");
    if (!job || !job->is_object()) return shape_error(where, "has no object 'job'");
    const auto* status = member(*job, "status");
    if (!status || !status->is_string()) return shape_error(where, "has no string 'job.status'");
    Job out;
    out.status = std::string(status->as_string());
    if (const auto* id = member(*job, "id"); id && id->is_string()) out.id = std::string(id->as_string());
    if (const auto* message = member(*job, "error_message"); message && !message->is_null()) {
        out.error_message = message->is_string() ? std::string(message->as_string()) : boost::json::serialize(*message);
    }
    return out;
}

Result<Completed> completed(const boost::json::value& answer, std::string_view where) {
    auto job = job_of(answer, where);
    if (!job) return std::move(job).error();
    auto markdown_pages = pages_of(answer, "markdown", where);
    if (!markdown_pages) return std::move(markdown_pages).error();
    auto text_pages = pages_of(answer, "text", where);
    if (!text_pages) return std::move(text_pages).error();
    if (!markdown_pages.value() && !text_pages.value()) {
        return shape_error(where, "says COMPLETED but carries neither markdown.pages nor text.pages");
    }

    std::map<std::int32_t, PageItem> pages;
    std::map<std::int32_t, std::string> failed;
    if (const auto* list = markdown_pages.value()) {
        for (std::size_t i = 0; i < list->size(); ++i) {
            const auto& page = (*list)[i];
            std::string at = "markdown.pages[" + std::to_string(i) + "]";
            auto number = page_number(page, where, at);
            if (!number) return std::move(number).error();
            const auto* success = member(page, "success");
            if (success && success->is_bool() && !success->as_bool()) {
                const auto* error = member(page, "error");
                failed[number.value()] = !error || error->is_null() ? "no error given"
                                         : error->is_string()       ? std::string(error->as_string())
                                                                    : boost::json::serialize(*error);
                continue;
            }
            auto markdown = page_string(page, "markdown", where, at);
            if (!markdown) return std::move(markdown).error();
            pages[number.value()] = PageItem{number.value(), std::move(markdown).value(), {}};
        }
    }
    if (const auto* list = text_pages.value()) {
        for (std::size_t i = 0; i < list->size(); ++i) {
            const auto& page = (*list)[i];
            std::string at = "text.pages[" + std::to_string(i) + "]";
            auto number = page_number(page, where, at);
            if (!number) return std::move(number).error();
            if (failed.count(number.value())) continue;
            auto text = page_string(page, "text", where, at);
            if (!text) return std::move(text).error();
            auto& item = pages[number.value()];
            item.page = number.value();
            item.text = std::move(text).value();
        }
    }

    Completed out;
    ParseResponse& response = out.response;
    for (auto& [number, page] : pages) response.pages.push_back(std::move(page));
    for (auto& [number, error] : failed) out.failed_pages.push_back({number, std::move(error)});
    response.markdown = joined(response.pages, &PageItem::markdown);
    response.text = joined(response.pages, &PageItem::text);
    response.job_id = job.value().id;
    response.usage.pages = static_cast<std::int64_t>(response.pages.size());
    const auto* job_json = member(answer, "job");
    const auto* usage = member(*job_json, "usage");
    const auto* credits = usage ? member(*usage, "credits") : nullptr;
    response.usage.credits = credits_unknown;
    if (credits && !credits->is_null()) {
        auto number = any_number(*credits);
        if (!number || *number < 0) return shape_error(where, "has job.usage.credits that is not a non-negative number");
        response.usage.credits = *number;
        out.credits_billed = true;
    }
    return out;
}

}  // namespace switchboard::llamaparse::v2
