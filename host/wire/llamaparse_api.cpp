#include "wire/llamaparse_api.hpp"

#include <algorithm>
#include <cmath>
#include <array>
#include <charconv>
#include <ctime>

#include <boost/json.hpp>

#include "wire/mime.hpp"

namespace switchboard::wire {
namespace {

namespace json = boost::json;

constexpr std::array<std::string_view, 8> v1_modes{
    "parse_page_without_llm", "parse_page_with_llm",     "parse_page_with_lvm",     "parse_page_with_agent",
    "parse_page_with_layout_agent", "parse_document_with_llm", "parse_document_with_lvm", "parse_document_with_agent"};
constexpr std::array<std::string_view, 4> v2_tiers{"fast", "cost_effective", "agentic", "agentic_plus"};
constexpr std::array<std::string_view, 8> v2_expansion_names{"text",         "markdown", "items",         "metadata",
                                                             "job_metadata", "usage",    "markdown_full", "text_full"};
// Form fields that steer the client, not the parse.
constexpr std::array<std::string_view, 1> v1_plumbing{"from_python_package"};

template <std::size_t N>
bool one_of(const std::array<std::string_view, N>& list, std::string_view value) {
    return std::find(list.begin(), list.end(), value) != list.end();
}

template <std::size_t N>
std::string listing(const std::array<std::string_view, N>& list) {
    std::string out;
    for (std::size_t i = 0; i < N; ++i) out += (i == 0 ? "" : i + 1 == N ? " or " : ", ") + std::string(list[i]);
    return out;
}

std::nullopt_t fail(DetailError& error, std::string detail, int status = 400) {
    error.status = status;
    error.detail = std::move(detail);
    return std::nullopt;
}

std::string_view trim(std::string_view text) {
    auto first = text.find_first_not_of(" \t\r\n");
    if (first == std::string_view::npos) return {};
    return text.substr(first, text.find_last_not_of(" \t\r\n") - first + 1);
}

// "0,2-4": pages and inclusive ranges, numbered from `first`; the ranges, or nullopt with `why`.
std::optional<std::vector<std::pair<std::int64_t, std::int64_t>>> page_list(std::string_view text, int first,
                                                                            std::string& why) {
    std::vector<std::pair<std::int64_t, std::int64_t>> out;
    auto number = [&](std::string_view digits) -> std::optional<std::int64_t> {
        digits = trim(digits);
        std::int64_t value = 0;
        auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), value);
        if (digits.empty() || ec != std::errc{} || end != digits.data() + digits.size() || value < first ||
            value > 1'000'000) {
            return std::nullopt;
        }
        return value;
    };
    while (true) {
        auto comma = text.find(',');
        std::string_view item = trim(text.substr(0, comma));
        auto dash = item.find('-');
        auto low = number(item.substr(0, dash));
        auto high = dash == std::string_view::npos ? low : number(item.substr(dash + 1));
        if (!low || !high || *high < *low) {
            why = "'" + std::string(item) + "' is not a page number (" + std::to_string(first) +
                  " is the first page) or a range such as " + std::to_string(first) + "-" + std::to_string(first + 2);
            return std::nullopt;
        }
        out.emplace_back(*low, *high);
        if (comma == std::string_view::npos) return out;
        text.remove_prefix(comma + 1);
    }
}

// v2's 1-based list as ParseOptions (0-based, LlamaParse v1's syntax) reads it.
std::optional<std::string> zero_based(std::string_view one_based, std::string& why) {
    auto ranges = page_list(one_based, 1, why);
    if (!ranges) return std::nullopt;
    std::string out;
    for (auto [low, high] : *ranges) {
        if (!out.empty()) out += ',';
        out += std::to_string(low - 1);
        if (high != low) out += "-" + std::to_string(high - 1);
    }
    return out;
}

std::string mime_of(const FormPart& file) {
    std::string type(trim(file.content_type.substr(0, file.content_type.find(';'))));
    if (type.empty() || type == "application/octet-stream") return mime_type_for(file.file_name.value_or(""));
    return type;
}

// The `file` part: present, a file, not empty; the only file in the form.
const FormPart* document_part(const MultipartForm& form, DetailError& error) {
    const FormPart* file = nullptr;
    for (const auto& part : form.parts()) {
        if (part.name != "file") {
            if (part.file_name) {
                fail(error, "part '" + part.name + "' is a file; send the document as the part named 'file' (one file per job)");
                return nullptr;
            }
            continue;
        }
        if (file) {
            fail(error, "the form has more than one 'file' part; send one document per job");
            return nullptr;
        }
        file = &part;
    }
    if (!file) return nullptr;
    if (!file->file_name) {
        fail(error, "the 'file' part has no filename; send it as a file "
                    "(Content-Disposition: form-data; name=\"file\"; filename=\"report.pdf\")");
        return nullptr;
    }
    if (file->data.empty()) {
        fail(error, "the uploaded file '" + *file->file_name + "' is empty");
        return nullptr;
    }
    return file;
}

void take_document(const FormPart& file, ParseRequest& request) {
    request.file_name = *file.file_name;
    request.mime_type = mime_of(file);
    request.data = std::string(file.data);
}

std::string refuse_url(std::string_view field) {
    return std::string(field) +
           " is not supported by this host: it does not fetch documents from addresses a caller names; upload the "
           "file itself instead";
}

std::string_view kind_of(const json::value& value) {
    switch (value.kind()) {
        case json::kind::null: return "null";
        case json::kind::bool_: return "a boolean";
        case json::kind::int64:
        case json::kind::uint64:
        case json::kind::double_: return "a number";
        case json::kind::string: return "a string";
        case json::kind::array: return "an array";
        case json::kind::object: return "an object";
    }
    return "a value";
}

// A v2 configuration (upload part or create body) into the submission. `where` names it in
// messages ("configuration" or "the body").
bool read_v2_configuration(const json::object& config, std::string_view where, bool create, ParseSubmission& out,
                           DetailError& error) {
    auto at = [&](std::string_view key) {
        return where == "configuration" ? "configuration." + std::string(key) : "'" + std::string(key) + "'";
    };
    const json::value* tier = config.if_contains("tier");
    if (!tier || tier->is_null()) {
        fail(error, at("tier") + " is required: " + listing(v2_tiers));
        return false;
    }
    if (!tier->is_string() || !one_of(v2_tiers, tier->get_string())) {
        fail(error, at("tier") + " must be " + listing(v2_tiers) + "; got " +
                        (tier->is_string() ? "'" + std::string(tier->get_string()) + "'" : std::string(kind_of(*tier))));
        return false;
    }
    out.request.options.mode = std::string(tier->get_string());
    const json::value* version = config.if_contains("version");
    if (!version || !version->is_string() || version->get_string().empty()) {
        fail(error, at("version") + " is required: \"latest\" or a dated parser version such as \"2026-09-07\"");
        return false;
    }
    out.version = std::string(version->get_string());

    auto pages = [&](const json::value& value, std::string_view key) {
        if (!value.is_string()) {
            fail(error, at(key) + " must be a string such as \"1,3-5\"; got " + std::string(kind_of(value)));
            return false;
        }
        std::string why;
        auto converted = zero_based(value.get_string(), why);
        if (!converted) {
            fail(error, at(key) + ": " + why);
            return false;
        }
        out.request.options.target_pages = std::move(*converted);
        return true;
    };
    for (const auto& [key, value] : config) {
        if (key == "tier" || key == "version" || value.is_null()) continue;
        if (key == "organization_id" || key == "project_id") continue;  // query parameters, not options
        if (key == "source_url") {
            fail(error, refuse_url(at("source_url")));
            return false;
        }
        if (key == "file_id") {
            if (!create) {
                fail(error, at("file_id") + " does not belong in an upload, which carries the file; POST /api/v2/parse "
                                            "takes a file_id");
                return false;
            }
            if (!value.is_string() || value.get_string().empty()) {
                fail(error, at("file_id") + " must be the id of a file stored with POST /api/v1/beta/files");
                return false;
            }
            out.file_id = std::string(value.get_string());
            continue;
        }
        if (key == "target_pages") {
            if (!pages(value, "target_pages")) return false;
            continue;
        }
        if (key == "page_ranges") {
            if (!value.is_object()) {
                fail(error, at("page_ranges") + " must be an object {\"target_pages\": \"1,3-5\", \"max_pages\": 10}");
                return false;
            }
            for (const auto& [inner, limit] : value.get_object()) {
                if (limit.is_null()) continue;
                if (inner == "target_pages") {
                    if (!pages(limit, "page_ranges.target_pages")) return false;
                } else if (inner == "max_pages") {
                    if (!limit.is_int64() || limit.get_int64() < 1) {
                        fail(error, at("page_ranges.max_pages") + " must be a whole number of at least 1");
                        return false;
                    }
                    out.request.options.extra["max_pages"] = std::to_string(limit.get_int64());
                } else {
                    fail(error, at("page_ranges") + " has an unknown member '" + std::string(inner) +
                                    "'; it knows target_pages and max_pages");
                    return false;
                }
            }
            continue;
        }
        out.request.options.extra[std::string(key)] =
            value.is_string() ? std::string(value.get_string()) : json::serialize(value);
    }
    if (create && out.file_id.empty()) {
        fail(error, "send file_id (a file stored with POST /api/v1/beta/files), or upload the document with "
                    "POST /api/v2/parse/upload");
        return false;
    }
    return true;
}

// ---- answers ---------------------------------------------------------------------------------

json::value nullable(const std::string& text) { return text.empty() ? json::value(nullptr) : json::value(text); }

std::vector<PageItem> pages_of(const ParseResponse& response) {
    if (!response.pages.empty()) return response.pages;
    return {PageItem{1, response.markdown, response.text}};
}

std::string joined(const ParseResponse& response, std::string PageItem::*field, const std::string& whole,
                   std::string_view separator) {
    if (response.pages.size() <= 1) return whole.empty() && !response.pages.empty() ? response.pages[0].*field : whole;
    std::string out;
    for (std::size_t i = 0; i < response.pages.size(); ++i) {
        if (i > 0) out += separator;
        out += response.pages[i].*field;
    }
    return out;
}

// Markdown blocks as LlamaParse's items: headings ("# Title") and text blocks between blank lines.
json::array markdown_items(std::string_view markdown, bool v1) {
    json::array items;
    std::string block;
    auto flush = [&] {
        if (trim(block).empty()) {
            block.clear();
            return;
        }
        std::string text(trim(block));
        items.push_back(json::object{{"type", "text"}, {"value", text}, {"md", text}});
        block.clear();
    };
    while (!markdown.empty()) {
        auto end = markdown.find('\n');
        std::string_view line = markdown.substr(0, end);
        markdown = end == std::string_view::npos ? std::string_view{} : markdown.substr(end + 1);
        if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
        std::size_t level = 0;
        while (level < line.size() && line[level] == '#') ++level;
        if (level >= 1 && level <= 6 && level < line.size() && line[level] == ' ') {
            flush();
            std::string title(trim(line.substr(level)));
            json::object heading{{"type", "heading"}};
            heading[v1 ? "lvl" : "level"] = static_cast<std::int64_t>(level);
            heading["value"] = title;
            heading["md"] = std::string(line);
            items.push_back(std::move(heading));
            continue;
        }
        if (trim(line).empty()) {
            flush();
            continue;
        }
        if (!block.empty()) block += '\n';
        block += line;
    }
    flush();
    return items;
}

// Credits as LlamaParse writes them: a whole number as an integer ("19", not "1.9E1").
json::value credits_value(double credits) {
    const double whole = std::floor(credits);
    if (whole == credits && std::fabs(credits) < 9e15) return static_cast<std::int64_t>(whole);
    return credits;
}

json::object v1_metadata(const Usage& usage) {
    json::object metadata{{"job_pages", usage.pages}};
    if (usage.credits >= 0) metadata["job_credits_usage"] = credits_value(usage.credits);
    metadata["job_auto_mode_triggered_pages"] = 0;
    metadata["job_is_cache_hit"] = false;
    return metadata;
}

json::object v2_job(const JobView& job, bool with_usage) {
    const bool failed = job.status == JobStatus::failed || job.status == JobStatus::cancelled;
    json::object out{{"id", job.id},
                     {"project_id", job.project_id},
                     {"status", v2_status_name(job.status)},
                     {"tier", nullable(job.tier)},
                     {"name", nullable(job.name)},
                     {"created_at", iso_time(job.created_at)},
                     {"updated_at", iso_time(job.updated_at)},
                     {"error_message", failed ? nullable(job.error_message) : json::value(nullptr)}};
    if (with_usage) {
        out["usage"] = json::object{{"credits", job.credits ? credits_value(*job.credits) : json::value(nullptr)}};
    }
    return out;
}

}  // namespace

std::string DetailError::body() const { return json::serialize(json::object{{"detail", detail}}); }

DetailError detail_error_for(const Error& error) {
    DetailError out;
    out.detail = error.message;
    switch (error.kind) {
        case ErrorKind::bad_request: out.status = 400; break;
        case ErrorKind::quota:
        case ErrorKind::budget_exceeded: out.status = 402; break;
        case ErrorKind::rate_limited: out.status = 429; break;
        case ErrorKind::auth:
        case ErrorKind::upstream_error: out.status = 502; break;
        case ErrorKind::unavailable: out.status = 503; break;
        case ErrorKind::timeout: out.status = 504; break;
        case ErrorKind::internal: out.status = 500; break;
    }
    return out;
}

std::string_view v1_status_name(JobStatus status) {
    switch (status) {
        case JobStatus::pending:
        case JobStatus::running: return "PENDING";
        case JobStatus::succeeded: return "SUCCESS";
        case JobStatus::failed: return "ERROR";
        case JobStatus::cancelled: return "CANCELLED";
    }
    return "ERROR";
}

std::string_view v2_status_name(JobStatus status) {
    switch (status) {
        case JobStatus::pending: return "PENDING";
        case JobStatus::running: return "RUNNING";
        case JobStatus::succeeded: return "COMPLETED";
        case JobStatus::failed: return "FAILED";
        case JobStatus::cancelled: return "CANCELLED";
    }
    return "FAILED";
}

std::optional<JobStatus> v2_status_from(std::string_view name) {
    for (auto status : {JobStatus::pending, JobStatus::running, JobStatus::succeeded, JobStatus::failed,
                        JobStatus::cancelled}) {
        if (v2_status_name(status) == name) return status;
    }
    return std::nullopt;
}

bool is_final(JobStatus status) {
    return status == JobStatus::succeeded || status == JobStatus::failed || status == JobStatus::cancelled;
}

std::optional<ParseSubmission> parse_v1_upload(const MultipartForm& form, DetailError& error) {
    error = {};
    ParseSubmission out;
    const FormPart* file = document_part(form, error);
    if (!error.detail.empty()) return std::nullopt;
    for (std::string_view url : {"input_url", "input_s3_path"}) {
        if (const FormPart* part = form.first(url); part && !trim(part->data).empty()) {
            return fail(error, refuse_url(url));
        }
    }
    if (!file) {
        return fail(error, "send the document as a multipart/form-data part named 'file' (with a filename)");
    }
    take_document(*file, out.request);

    ParseOptions& options = out.request.options;
    for (const auto& part : form.parts()) {
        if (part.file_name || one_of(v1_plumbing, part.name) || part.name == "input_url" ||
            part.name == "input_s3_path") {
            continue;
        }
        std::string value(part.data);
        if (trim(value).empty()) continue;
        // Every v1 flag is off by default and the official client sends some off flags on every
        // upload: an off flag says nothing, and a v2 backend would get it as an unknown option.
        if (value == "false") continue;
        if (part.name == "parse_mode") {
            if (!one_of(v1_modes, value)) {
                return fail(error, "parse_mode must be " + listing(v1_modes) + "; got '" + value + "'");
            }
            options.mode = std::move(value);
        } else if (part.name == "language") {
            options.language += (options.language.empty() ? "" : ",") + std::string(trim(value));
        } else if (part.name == "target_pages") {
            std::string why;
            if (!page_list(value, 0, why)) return fail(error, "target_pages: " + why);
            options.target_pages = std::move(value);
        } else {
            if (part.name == "page_separator") out.page_separator = value;
            options.extra[part.name] = std::move(value);
        }
    }
    return out;
}

std::optional<ParseSubmission> parse_v2_upload(const MultipartForm& form, DetailError& error) {
    error = {};
    ParseSubmission out;
    const FormPart* file = document_part(form, error);
    if (!error.detail.empty()) return std::nullopt;
    if (!file) return fail(error, "send the document as a multipart/form-data part named 'file' (with a filename)");
    const FormPart* configuration = form.first("configuration");
    if (!configuration) {
        return fail(error, "the 'configuration' part is missing: a JSON object such as "
                           "{\"tier\": \"fast\", \"version\": \"latest\"}");
    }
    boost::system::error_code ec;
    auto config = json::parse(configuration->data, ec);
    if (ec || !config.is_object()) {
        return fail(error, "the 'configuration' part is not a JSON object" +
                               (ec ? " (" + ec.message() + ")" : std::string()));
    }
    if (!read_v2_configuration(config.get_object(), "configuration", false, out, error)) return std::nullopt;
    take_document(*file, out.request);
    return out;
}

std::optional<ParseSubmission> parse_v2_create(std::string_view body, DetailError& error) {
    error = {};
    boost::system::error_code ec;
    auto config = json::parse(body, ec);
    if (ec || !config.is_object()) {
        return fail(error, "the body must be a JSON object such as {\"tier\": \"fast\", \"version\": \"latest\", "
                           "\"file_id\": \"...\"}" + (ec ? " (" + ec.message() + ")" : std::string()));
    }
    ParseSubmission out;
    if (!read_v2_configuration(config.get_object(), "the body", true, out, error)) return std::nullopt;
    return out;
}

std::optional<std::vector<std::string>> v2_expansions(const std::vector<std::string>& values, DetailError& error) {
    std::vector<std::string> out;
    for (std::string_view value : values) {
        while (true) {
            auto comma = value.find(',');
            std::string name(trim(value.substr(0, comma)));
            if (!name.empty()) {
                if (!one_of(v2_expansion_names, name)) {
                    return fail(error, "expand '" + name + "' is not known here; use " + listing(v2_expansion_names));
                }
                if (std::find(out.begin(), out.end(), name) == out.end()) out.push_back(std::move(name));
            }
            if (comma == std::string_view::npos) break;
            value.remove_prefix(comma + 1);
        }
    }
    return out;
}

std::string v1_job_json(const JobView& job) {
    const bool failed = job.status == JobStatus::failed || job.status == JobStatus::cancelled;
    return json::serialize(json::object{{"id", job.id},
                                        {"status", v1_status_name(job.status)},
                                        {"error_code", failed ? nullable(job.error_code) : json::value(nullptr)},
                                        {"error_message", failed ? nullable(job.error_message) : json::value(nullptr)}});
}

std::string v1_result_json(std::string_view kind, const ParseResponse& response, std::string_view separator) {
    json::object out;
    if (kind == "markdown") {
        out["markdown"] = joined(response, &PageItem::markdown, response.markdown, separator);
    } else if (kind == "text") {
        out["text"] = joined(response, &PageItem::text, response.text, separator);
    } else {
        json::array pages;
        for (const auto& page : pages_of(response)) {
            pages.push_back(json::object{{"page", page.page},
                                         {"text", page.text},
                                         {"md", page.markdown},
                                         {"images", json::array{}},
                                         {"items", markdown_items(page.markdown, true)},
                                         {"status", "OK"},
                                         {"links", json::array{}},
                                         {"width", nullptr},
                                         {"height", nullptr}});
        }
        out["pages"] = std::move(pages);
    }
    out["job_metadata"] = v1_metadata(response.usage);
    return json::serialize(out);
}

std::string v2_job_json(const JobView& job, bool with_usage) { return json::serialize(v2_job(job, with_usage)); }

std::string v2_deleted_json(const JobView& job) {
    return json::serialize(json::object{{"id", job.id}, {"project_id", job.project_id}});
}

std::string v2_get_json(const JobView& job, const ParseResponse* response, const std::vector<std::string>& expand) {
    auto wants = [&](std::string_view name) { return std::find(expand.begin(), expand.end(), name) != expand.end(); };
    json::object out{{"job", v2_job(job, wants("usage"))}};
    const std::vector<PageItem> pages = response ? pages_of(*response) : std::vector<PageItem>{};
    auto section = [&](std::string_view name, auto page_json) {
        if (!wants(name)) return;
        if (!response) {
            out[name] = nullptr;
            return;
        }
        json::array list;
        for (const auto& page : pages) list.push_back(page_json(page));
        out[name] = json::object{{"pages", std::move(list)}};
    };
    section("markdown", [](const PageItem& page) {
        return json::object{{"page_number", page.page}, {"markdown", page.markdown}, {"success", true}};
    });
    section("text", [](const PageItem& page) { return json::object{{"page_number", page.page}, {"text", page.text}}; });
    section("items", [](const PageItem& page) {
        return json::object{{"page_number", page.page},
                            {"items", markdown_items(page.markdown, false)},
                            {"page_width", nullptr},
                            {"page_height", nullptr},
                            {"success", true}};
    });
    if (wants("metadata")) {
        if (response) {
            json::array list;
            for (const auto& page : pages) list.push_back(json::object{{"page_number", page.page}});
            out["metadata"] = json::object{{"pages", std::move(list)}};
        } else {
            out["metadata"] = nullptr;
        }
    }
    if (wants("job_metadata")) out["job_metadata"] = response ? json::value(v1_metadata(response->usage)) : nullptr;
    if (wants("markdown_full")) {
        out["markdown_full"] = response ? json::value(joined(*response, &PageItem::markdown, response->markdown, "\n\n"))
                                        : json::value(nullptr);
    }
    if (wants("text_full")) {
        out["text_full"] =
            response ? json::value(joined(*response, &PageItem::text, response->text, "\n\n")) : json::value(nullptr);
    }
    return json::serialize(out);
}

std::string v2_list_json(const std::vector<JobView>& jobs, const std::optional<std::string>& next_page_token,
                         std::size_t total_size) {
    json::array items;
    for (const auto& job : jobs) items.push_back(v2_job(job, true));
    return json::serialize(json::object{{"items", std::move(items)},
                                        {"next_page_token", next_page_token ? json::value(*next_page_token) : nullptr},
                                        {"total_size", total_size}});
}

std::string file_json(const FileView& file) {
    auto dot = file.name.find_last_of('.');
    return json::serialize(json::object{
        {"id", file.id},
        {"name", file.name},
        {"project_id", file.project_id},
        {"file_type", dot == std::string::npos ? json::value(nullptr) : json::value(file.name.substr(dot + 1))},
        {"file_size", file.size},
        {"purpose", nullable(file.purpose)},
        {"external_file_id", nullable(file.external_file_id)},
        {"created_at", iso_time(file.created_at)},
        {"last_modified_at", iso_time(file.created_at)},
        {"expires_at", iso_time(file.expires_at)}});
}

std::string iso_time(std::chrono::system_clock::time_point time) {
    const std::time_t seconds = std::chrono::system_clock::to_time_t(time);
    std::tm parts{};
    gmtime_r(&seconds, &parts);
    char buffer[32];
    std::strftime(buffer, sizeof buffer, "%Y-%m-%dT%H:%M:%SZ", &parts);
    return buffer;
}

}  // namespace switchboard::wire
