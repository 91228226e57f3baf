#include "llamaparse/v1_protocol.hpp"

#include <algorithm>
#include <utility>

#include <boost/json/serialize.hpp>

#include "llamaparse/json_fields.hpp"
#include "llamaparse/upstream_client.hpp"

namespace switchboard::llamaparse::v1 {
namespace {

// null -> "", a string as is, anything else as compact JSON (error_code may be a number).
std::string loose_string(const boost::json::value* value) {
    if (!value || value->is_null()) return {};
    if (value->is_string()) return std::string(value->as_string());
    return boost::json::serialize(*value);
}

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

}  // namespace

std::string job_path(std::string_view job_id) { return "/api/parsing/job/" + url_encode(job_id); }

std::string result_path(std::string_view job_id, std::string_view kind) {
    return job_path(job_id) + "/result/" + std::string(kind);
}

Result<Upload> upload(const ParseRequest& request, const LlamaParseSettings& settings, MultipartBody form) {
    const ParseOptions& options = request.options;
    std::vector<std::pair<std::string, std::string>> fields;
    std::string parse_mode = options.mode.empty() ? settings.parse_mode : options.mode;
    if (is_v2_tier(parse_mode)) {
        auto same_price = v1_mode_for(parse_mode);  // a v2 client's tier
        if (!same_price) {
            return Error::make(ErrorKind::bad_request,
                               "options.mode '" + parse_mode +
                                   "' is a LlamaParse v2 tier with no v1 parse mode of the same price; a v1 backend "
                                   "takes fast, cost_effective or agentic, or a v1 parse_mode");
        }
        parse_mode = std::string(*same_price);
    }
    if (!parse_mode.empty()) fields.emplace_back("parse_mode", parse_mode);
    if (!options.language.empty()) fields.emplace_back("language", options.language);
    if (!options.target_pages.empty()) fields.emplace_back("target_pages", options.target_pages);
    for (const auto& [key, value] : options.extra) {
        bool repeated = key == "file" || std::any_of(fields.begin(), fields.end(),
                                                     [&key](const auto& field) { return field.first == key; });
        if (repeated) {
            return Error::make(ErrorKind::bad_request,
                               "options.extra '" + key + "' repeats a form field the request already sets; set it once");
        }
    }
    form.add_file("file", request.file_name, request.mime_type, request.data);
    for (const auto& [key, value] : fields) form.add_field(key, value);
    for (const auto& [key, value] : options.extra) form.add_field(key, value);
    Upload out;
    out.content_type = form.content_type();
    out.body = std::move(form).finish();
    return out;
}

Result<std::string> created_job_id(const boost::json::value& answer, std::string_view where) {
    return required_string(answer, "id", where);
}

Result<Job> job_of(const boost::json::value& answer, std::string_view where) {
    auto status = required_string(answer, "status", where);
    if (!status) return std::move(status).error();
    Job job;
    job.status = std::move(status).value();
    job.error_code = loose_string(member(answer, "error_code"));
    job.error_message = loose_string(member(answer, "error_message"));
    return job;
}

Result<std::string> document(const boost::json::value& answer, std::string_view field, std::string_view where) {
    if (!answer.is_object()) return shape_error(where, "is " + json_kind(answer) + ", not an object");
    const auto* value = member(answer, field);
    if (!value || !value->is_string()) return shape_error(where, "has no string '" + std::string(field) + "'");
    return std::string(value->as_string());
}

Result<JobUsage> usage_of(const boost::json::value& answer, std::string_view where) {
    JobUsage out;
    const auto* metadata = member(answer, "job_metadata");
    if (!metadata || metadata->is_null()) {
        out.credits_unknown = "the result has no job_metadata";
        out.usage.credits = switchboard::credits_unknown;
        return out;
    }
    if (!metadata->is_object()) return shape_error(where, "has job_metadata that is " + json_kind(*metadata));
    if (const auto* pages = member(*metadata, "job_pages"); pages && !pages->is_null()) {
        auto whole = whole_number(*pages);
        if (!whole || *whole < 0) return shape_error(where, "has job_metadata.job_pages that is not a count");
        out.usage.pages = *whole;
    }
    const auto* cache_hit = member(*metadata, "job_is_cache_hit");
    if (cache_hit && cache_hit->is_bool() && cache_hit->as_bool()) return out;
    const auto* credits = member(*metadata, "job_credits_usage");
    if (!credits || credits->is_null()) {
        out.credits_unknown = "job_metadata has no job_credits_usage";
        out.usage.credits = switchboard::credits_unknown;
        return out;
    }
    auto number = any_number(*credits);
    if (!number || *number < 0) {
        return shape_error(where, "has job_metadata.job_credits_usage that is not a non-negative number");
    }
    out.usage.credits = *number;
    return out;
}

Result<std::vector<PageItem>> json_pages(const boost::json::value& answer, std::string_view where) {
    const auto* pages = member(answer, "pages");
    if (!pages || !pages->is_array()) return shape_error(where, "has no array 'pages'");
    std::vector<PageItem> out;
    for (std::size_t i = 0; i < pages->as_array().size(); ++i) {
        const auto& page = pages->as_array()[i];
        std::string at = "pages[" + std::to_string(i) + "]";
        const auto* number = member(page, "page");
        auto whole = number ? whole_number(*number) : std::nullopt;
        if (!whole || *whole < 1 || *whole > INT32_MAX) return shape_error(where, "has " + at + " without a positive integer 'page'");
        auto markdown = page_string(page, "md", where, at);
        if (!markdown) return std::move(markdown).error();
        auto text = page_string(page, "text", where, at);
        if (!text) return std::move(text).error();
        out.push_back(PageItem{static_cast<std::int32_t>(*whole), std::move(markdown).value(), std::move(text).value()});
    }
    std::stable_sort(out.begin(), out.end(), [](const PageItem& a, const PageItem& b) { return a.page < b.page; });
    return out;
}

}  // namespace switchboard::llamaparse::v1
