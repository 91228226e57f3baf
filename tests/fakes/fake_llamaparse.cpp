#include "fakes/fake_llamaparse.hpp"

#include <algorithm>
#include <charconv>
#include <utility>

#include <boost/json.hpp>

#include "wire/multipart_form.hpp"

namespace switchboard::testing {
namespace {

namespace json = boost::json;

bool starts_with(std::string_view text, std::string_view prefix) { return text.substr(0, prefix.size()) == prefix; }

Reply detail(int status, std::string_view text) {
    return Reply::json(status, json::serialize(json::object{{"detail", text}}));
}

// FastAPI's validation error: {"detail":[{"type":…,"loc":[…],"msg":…,"input":null}]}.
Reply validation_error(std::initializer_list<std::string_view> loc, std::string_view type, std::string_view message) {
    json::array where;
    for (auto part : loc) where.emplace_back(part);
    json::object entry{{"type", type}, {"loc", std::move(where)}, {"msg", message}, {"input", nullptr}};
    return Reply::json(422, json::serialize(json::object{{"detail", json::array{std::move(entry)}}}));
}

struct Part {
    std::string name;
    std::optional<std::string> file_name;
    std::string content_type;
    std::string data;
};

// The body read by the host's own RFC 7578 parser; nullopt when it does not parse.
std::optional<std::vector<Part>> parse_multipart(const RecordedRequest& request) {
    wire::FormError error;
    auto form = wire::MultipartForm::parse(request.header("Content-Type").value_or(""), request.body, error);
    if (!form) return std::nullopt;
    std::vector<Part> parts;
    for (const auto& part : form->parts()) {
        parts.push_back(Part{part.name, part.file_name, part.content_type, std::string(part.data)});
    }
    return parts;
}

std::optional<std::int64_t> parse_integer(std::string_view text) {
    std::int64_t value = 0;
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (ec != std::errc{} || end != text.data() + text.size()) return std::nullopt;
    return value;
}

double v1_page_credits(const FakeUpload& upload) {
    auto mode = upload.field("parse_mode").value_or("");
    if (upload.field("premium_mode") == "true") return 45;
    if (upload.field("fast_mode") == "true" || mode == "parse_page_without_llm") return 1;
    if (mode == "parse_page_with_agent" || mode == "parse_document_with_agent") return 10;
    return 3;
}

FakeUpload upload_of(const RecordedRequest& request) {
    FakeUpload upload;
    upload.route = request.method + " " + request.path;
    upload.query = request.query;
    return upload;
}

constexpr std::string_view known_expansions[] = {"text", "markdown", "items", "metadata", "job_metadata", "usage"};

}  // namespace

// ---- scripts ---------------------------------------------------------------------------------

JobScript JobScript::completes_after(int pending_polls) {
    JobScript script;
    script.pending_polls = pending_polls;
    return script;
}

JobScript JobScript::stays_pending() {
    JobScript script;
    script.outcome = Outcome::stay_pending;
    return script;
}

JobScript JobScript::fails(std::string message, std::string code) {
    JobScript script;
    script.outcome = Outcome::fail;
    script.error_message = std::move(message);
    script.error_code = std::move(code);
    return script;
}

JobScript JobScript::partial_success(std::string message) {
    JobScript script;
    script.outcome = Outcome::partial_success;
    script.error_message = std::move(message);
    return script;
}

JobScript JobScript::cancelled_upstream(std::string message) {
    JobScript script;
    script.outcome = Outcome::cancelled;
    script.error_message = std::move(message);
    return script;
}

JobScript JobScript::with_failed_pages(std::vector<std::int32_t> pages, std::string error) {
    JobScript script;
    script.failed_pages = std::move(pages);
    script.error_message = std::move(error);
    return script;
}

JobScript JobScript::cache_hit_v1() {
    JobScript script;
    script.cache_hit = true;
    return script;
}

std::optional<std::string> FakeUpload::field(std::string_view name) const {
    for (const auto& [key, value] : fields) {
        if (key == name) return value;
    }
    return std::nullopt;
}

// ---- jobs ------------------------------------------------------------------------------------

struct FakeLlamaParse::Job {
    std::string id;
    bool v2 = true;
    std::string tier;     // v2
    std::string version;  // v2
    double page_credits = 0;
    std::string separator = "\n---\n";  // v1 page_separator
    std::vector<std::string> pages;
    JobScript script;
    int polls = 0;
    bool cancelled = false;
    double credits_used_after = 0;  // v1: the account's total once this job is billed

    bool page_failed(std::int32_t page) const {
        return std::find(script.failed_pages.begin(), script.failed_pages.end(), page) != script.failed_pages.end();
    }
    std::int64_t good_pages() const {
        std::int64_t good = 0;
        for (std::size_t i = 0; i < pages.size(); ++i) good += !page_failed(static_cast<std::int32_t>(i + 1));
        return good;
    }

    // The status a poll sees; counts the poll when asked.
    std::string v2_status(bool count_poll) {
        if (count_poll) ++polls;
        if (cancelled) return "CANCELLED";
        if (script.outcome == JobScript::Outcome::stay_pending) return "PENDING";
        if (polls <= script.pending_polls) return polls <= 1 ? "PENDING" : "RUNNING";
        switch (script.outcome) {
            case JobScript::Outcome::complete: return "COMPLETED";
            case JobScript::Outcome::fail:
            case JobScript::Outcome::partial_success: return "FAILED";
            case JobScript::Outcome::cancelled: return "CANCELLED";
            case JobScript::Outcome::stay_pending: break;
        }
        return "PENDING";
    }

    std::string v1_status(bool count_poll) {
        if (count_poll) ++polls;
        if (script.outcome == JobScript::Outcome::stay_pending || polls <= script.pending_polls) return "PENDING";
        switch (script.outcome) {
            case JobScript::Outcome::complete: return "SUCCESS";
            case JobScript::Outcome::fail: return "ERROR";
            case JobScript::Outcome::partial_success: return "PARTIAL_SUCCESS";
            case JobScript::Outcome::cancelled: return "CANCELLED";
            case JobScript::Outcome::stay_pending: break;
        }
        return "PENDING";
    }

    // `usage` only when asked for (a poll with expand=usage).
    json::object v2_json(const std::string& status, bool with_usage = false) const {
        bool failed = status == "FAILED" || status == "CANCELLED";
        json::value message = nullptr;
        if (failed && !script.error_message.empty()) message = json::string(script.error_message);
        json::object job{{"id", id},
                         {"project_id", "prj-fake"},
                         {"status", status},
                         {"tier", tier},
                         {"version", version},
                         {"created_at", "2026-01-01T00:00:00Z"},
                         {"error_message", std::move(message)}};
        if (with_usage) {
            json::value credits = nullptr;
            if (status == "COMPLETED" && !script.unbilled) credits = static_cast<double>(good_pages()) * page_credits;
            job["usage"] = json::object{{"credits", std::move(credits)}};
        }
        return job;
    }

    json::object v1_metadata() const {
        json::object metadata{{"credits_used", credits_used_after}};
        if (!script.omit_job_credits_usage) {
            metadata["job_credits_usage"] = static_cast<double>(pages.size()) * page_credits;
        }
        metadata["job_pages"] = static_cast<std::int64_t>(pages.size());
        metadata["job_auto_mode_triggered_pages"] = 0;
        metadata["job_is_cache_hit"] = script.cache_hit;
        metadata["credits_max"] = 1000;
        return metadata;
    }

    json::array items(std::size_t index) const {
        auto page = static_cast<std::int32_t>(index + 1);
        return json::array{
            json::object{{"type", "heading"}, {"lvl", 1}, {"value", "Page " + std::to_string(page)},
                         {"md", "# Page " + std::to_string(page)}},
            json::object{{"type", "text"}, {"value", pages[index]}, {"md", pages[index]}},
        };
    }
};

// ---- the fake --------------------------------------------------------------------------------

FakeLlamaParse::FakeLlamaParse(std::string api_key)
    : api_key_(std::move(api_key)),
      server_(std::make_unique<LoopbackServer>([this](const RecordedRequest& request) { return handle(request); })) {}

FakeLlamaParse::~FakeLlamaParse() { server_.reset(); }

std::string FakeLlamaParse::base_url() const { return server_->base_url(); }

void FakeLlamaParse::use_clock(const Clock* clock) {
    std::lock_guard lock(mutex_);
    clock_ = clock;
}

void FakeLlamaParse::script_next_job(JobScript script) {
    std::lock_guard lock(mutex_);
    scripts_.push_back(std::move(script));
}

void FakeLlamaParse::set_default_job(JobScript script) {
    std::lock_guard lock(mutex_);
    default_script_ = std::move(script);
}

void FakeLlamaParse::set_account_credits_used(double credits) {
    std::lock_guard lock(mutex_);
    account_credits_used_ = credits;
}

void FakeLlamaParse::push(Reply reply, std::string route) {
    std::lock_guard lock(mutex_);
    pushed_.emplace_back(std::move(route), std::move(reply));
}

std::size_t FakeLlamaParse::pending() const {
    std::lock_guard lock(mutex_);
    return pushed_.size();
}

std::vector<FakeUpload> FakeLlamaParse::uploads() const {
    std::lock_guard lock(mutex_);
    return uploads_;
}

std::vector<FakeExchange> FakeLlamaParse::exchanges() const {
    std::lock_guard lock(mutex_);
    return exchanges_;
}

std::vector<std::string> FakeLlamaParse::cancelled_jobs() const {
    std::lock_guard lock(mutex_);
    return cancels_;
}

std::size_t FakeLlamaParse::polls(std::string_view job_id) const {
    std::lock_guard lock(mutex_);
    auto it = jobs_.find(job_id);
    return it == jobs_.end() ? 0 : static_cast<std::size_t>(it->second->polls);
}

Reply FakeLlamaParse::error(int status, std::string_view text) { return detail(status, text); }

Reply FakeLlamaParse::rate_limited(std::chrono::seconds retry_after) {
    Reply reply = detail(429, "Too many requests, please slow down");
    reply.headers.push_back({"Retry-After", std::to_string(retry_after.count())});
    reply.headers.push_back({"x-ratelimit-remaining-requests", "0"});
    return reply;
}

Reply FakeLlamaParse::malformed_json() { return Reply::json(200, "{\"id\": \"pjb-"); }

Reply FakeLlamaParse::truncated() { return Reply::with_fault(Fault::truncate_body); }

Reply FakeLlamaParse::reset() { return Reply::with_fault(Fault::reset_mid_body); }

Reply FakeLlamaParse::never_answer() { return Reply::with_fault(Fault::never_answer); }

std::vector<std::string> FakeLlamaParse::pages_of(std::string_view data) {
    std::vector<std::string> pages;
    while (true) {
        auto feed = data.find('\f');
        pages.emplace_back(data.substr(0, feed));
        if (feed == std::string_view::npos) break;
        data.remove_prefix(feed + 1);
    }
    if (pages.size() > 1 && pages.back().empty()) pages.pop_back();
    return pages;
}

std::string FakeLlamaParse::page_markdown(std::int32_t page, std::string_view text) {
    return "# Page " + std::to_string(page) + "\n\n" + std::string(text);
}

double FakeLlamaParse::v2_tier_credits(std::string_view tier) {
    if (tier == "fast") return 1;
    if (tier == "cost_effective") return 3;
    if (tier == "agentic") return 10;
    if (tier == "agentic_plus") return 45;
    return 0;
}

Reply FakeLlamaParse::handle(const RecordedRequest& request) {
    std::lock_guard lock(mutex_);
    FakeExchange exchange{clock_ ? clock_->now() : Clock::time_point{}, request.method, request.path, request.query, 0};
    const std::string line = request.method + " " + request.path;
    auto pushed = std::find_if(pushed_.begin(), pushed_.end(),
                               [&line](const auto& entry) { return starts_with(line, entry.first); });
    Reply reply;
    if (pushed != pushed_.end()) {
        Reply canned = std::move(pushed->second);
        pushed_.erase(pushed);
        if (canned.status == 200 && canned.body.empty() && canned.fault != Fault::none) {
            reply = route(request);
            reply.fault = canned.fault;
            reply.delay = canned.delay;
            reply.trickle_interval = canned.trickle_interval;
        } else {
            reply = std::move(canned);
        }
    } else {
        reply = route(request);
    }
    exchange.status = reply.status;
    exchanges_.push_back(std::move(exchange));
    return reply;
}

Reply FakeLlamaParse::route(const RecordedRequest& request) {
    auto authorization = request.header("Authorization");
    if (!authorization || *authorization != "Bearer " + api_key_) {
        return detail(401, "Invalid authentication token");
    }
    std::string_view path = request.path;
    const std::string& method = request.method;
    auto wrong_method = [] { return detail(405, "Method Not Allowed"); };

    if (path == "/api/v2/parse/upload") return method == "POST" ? v2_upload(request) : wrong_method();
    if (path == "/api/v2/parse") {
        if (method == "POST") return v2_create(request);
        if (method == "GET") return v2_list(request);
        return wrong_method();
    }
    if (starts_with(path, "/api/v2/parse/")) {
        auto rest = path.substr(std::string_view("/api/v2/parse/").size());
        auto slash = rest.find('/');
        if (slash == std::string_view::npos) return method == "GET" ? v2_job(request, rest) : wrong_method();
        if (rest.substr(slash) == "/cancel") return method == "POST" ? v2_cancel(rest.substr(0, slash)) : wrong_method();
        return detail(404, "Not Found");
    }
    for (std::string_view prefix : {"/api/v1/parsing", "/api/parsing"}) {
        if (!starts_with(path, prefix)) continue;
        auto rest = path.substr(prefix.size());
        if (rest == "/upload") return method == "POST" ? v1_upload(request) : wrong_method();
        if (!starts_with(rest, "/job/")) break;
        rest.remove_prefix(5);
        auto slash = rest.find('/');
        auto id = rest.substr(0, slash);
        std::string_view kind;
        if (slash != std::string_view::npos) {
            auto tail = rest.substr(slash);
            if (!starts_with(tail, "/result/")) break;
            kind = tail.substr(8);
            if (kind != "markdown" && kind != "text" && kind != "json") break;
        }
        return method == "GET" ? v1_job(request, id, kind) : wrong_method();
    }
    return detail(404, "Not Found");
}

FakeLlamaParse::Job& FakeLlamaParse::new_job(bool v2, std::string data) {
    auto job = std::make_unique<Job>();
    ++next_job_;
    if (v2) {
        std::string number = std::to_string(next_job_);
        job->id = "pjb-" + std::string(number.size() < 6 ? 6 - number.size() : 0, '0') + number;
    } else {
        std::string number = std::to_string(next_job_);
        job->id = "00000000-0000-4000-8000-" + std::string(number.size() < 12 ? 12 - number.size() : 0, '0') + number;
    }
    job->v2 = v2;
    job->pages = pages_of(data);
    if (!scripts_.empty()) {
        job->script = std::move(scripts_.front());
        scripts_.pop_front();
    } else {
        job->script = default_script_;
    }
    Job& ref = *job;
    job_order_.push_back(job->id);
    jobs_.emplace(job->id, std::move(job));
    return ref;
}

Reply FakeLlamaParse::v1_upload(const RecordedRequest& request) {
    auto parts = parse_multipart(request);
    if (!parts) return detail(400, "There was an error parsing the body");
    FakeUpload upload = upload_of(request);
    for (auto& part : *parts) {
        if (part.name == "file" && part.file_name) {
            upload.has_file = true;
            upload.file_name = *part.file_name;
            upload.content_type = part.content_type;
            upload.data = std::move(part.data);
        } else {
            upload.fields.emplace_back(part.name, std::move(part.data));
        }
    }
    auto input_url = upload.field("input_url");
    if (!upload.has_file && !input_url) {
        uploads_.push_back(std::move(upload));
        return detail(400, "Either a file or an input_url must be provided");
    }
    Job& job = new_job(false, upload.has_file ? upload.data : "Content of " + *input_url);
    job.page_credits = v1_page_credits(upload);
    if (auto separator = upload.field("page_separator")) job.separator = *separator;
    if (!job.script.cache_hit) account_credits_used_ += static_cast<double>(job.pages.size()) * job.page_credits;
    job.credits_used_after = account_credits_used_;
    upload.job_id = job.id;
    uploads_.push_back(std::move(upload));
    return Reply::json(200, json::serialize(json::object{{"id", job.id}, {"status", "PENDING"}}));
}

Reply FakeLlamaParse::v1_job(const RecordedRequest&, std::string_view id, std::string_view kind) {
    auto it = jobs_.find(id);
    if (it == jobs_.end() || it->second->v2) return detail(404, "Job not found");
    Job& job = *it->second;
    if (kind.empty()) {
        auto status = job.v1_status(true);
        bool failed = status != "PENDING" && status != "SUCCESS";
        json::value code = nullptr;
        json::value message = nullptr;
        if (failed && !job.script.error_code.empty()) code = json::string(job.script.error_code);
        if (failed && !job.script.error_message.empty()) message = json::string(job.script.error_message);
        return Reply::json(200, json::serialize(json::object{
                                    {"id", job.id}, {"status", status}, {"error_code", std::move(code)},
                                    {"error_message", std::move(message)}}));
    }
    auto status = job.v1_status(false);
    if (status != "SUCCESS") return detail(404, "Job result not found: the job is " + status);
    json::object answer;
    if (kind == "markdown" || kind == "text") {
        std::string document;
        for (std::size_t i = 0; i < job.pages.size(); ++i) {
            if (i > 0) document += job.separator;
            document += kind == "markdown" ? page_markdown(static_cast<std::int32_t>(i + 1), job.pages[i]) : job.pages[i];
        }
        answer[kind] = std::move(document);
    } else {
        json::array pages;
        for (std::size_t i = 0; i < job.pages.size(); ++i) {
            auto number = static_cast<std::int32_t>(i + 1);
            pages.push_back(json::object{{"page", number},
                                         {"text", job.pages[i]},
                                         {"md", page_markdown(number, job.pages[i])},
                                         {"images", json::array{}},
                                         {"items", job.items(i)},
                                         {"status", "OK"},
                                         {"links", json::array{}},
                                         {"width", 612},
                                         {"height", 792}});
        }
        answer["pages"] = std::move(pages);
    }
    answer["job_metadata"] = job.v1_metadata();
    return Reply::json(200, json::serialize(answer));
}

Reply FakeLlamaParse::v2_upload(const RecordedRequest& request) {
    auto parts = parse_multipart(request);
    if (!parts) return detail(400, "There was an error parsing the body");
    FakeUpload upload = upload_of(request);
    bool has_configuration = false;
    for (auto& part : *parts) {
        if (part.name == "file" && part.file_name) {
            upload.has_file = true;
            upload.file_name = *part.file_name;
            upload.content_type = part.content_type;
            upload.data = std::move(part.data);
        } else {
            if (part.name == "configuration") {
                upload.configuration = part.data;
                has_configuration = true;
            }
            upload.fields.emplace_back(part.name, std::move(part.data));
        }
    }
    auto refuse = [&](Reply reply) {
        uploads_.push_back(std::move(upload));
        return reply;
    };
    if (!upload.has_file) return refuse(validation_error({"body", "file"}, "missing", "Field required"));
    if (!has_configuration) return refuse(validation_error({"body", "configuration"}, "missing", "Field required"));
    boost::system::error_code ec;
    auto config = json::parse(upload.configuration, ec);
    if (ec || !config.is_object()) {
        return refuse(validation_error({"body", "configuration"}, "json_invalid", "Invalid JSON"));
    }
    const auto* tier = config.as_object().if_contains("tier");
    if (!tier) return refuse(validation_error({"body", "configuration", "tier"}, "missing", "Field required"));
    if (!tier->is_string() || v2_tier_credits(tier->as_string()) == 0) {
        return refuse(validation_error({"body", "configuration", "tier"}, "enum",
                                       "Input should be 'fast', 'cost_effective', 'agentic' or 'agentic_plus'"));
    }
    const auto* version = config.as_object().if_contains("version");
    if (!version || !version->is_string()) {
        return refuse(validation_error({"body", "configuration", "version"}, "missing", "Field required"));
    }
    Job& job = new_job(true, upload.data);
    job.tier = std::string(tier->as_string());
    job.version = std::string(version->as_string());
    job.page_credits = v2_tier_credits(job.tier);
    upload.job_id = job.id;
    uploads_.push_back(std::move(upload));
    return Reply::json(200, json::serialize(job.v2_json("PENDING")));
}

Reply FakeLlamaParse::v2_create(const RecordedRequest& request) {
    FakeUpload upload = upload_of(request);
    upload.configuration = request.body;
    auto refuse = [&](Reply reply) {
        uploads_.push_back(std::move(upload));
        return reply;
    };
    boost::system::error_code ec;
    auto body = json::parse(request.body, ec);
    if (ec || !body.is_object()) return refuse(validation_error({"body"}, "json_invalid", "Invalid JSON"));
    const auto& object = body.as_object();
    const auto* tier = object.if_contains("tier");
    if (!tier || !tier->is_string() || v2_tier_credits(tier->as_string()) == 0) {
        return refuse(validation_error({"body", "tier"}, tier ? "enum" : "missing",
                                       tier ? "Input should be 'fast', 'cost_effective', 'agentic' or 'agentic_plus'"
                                            : "Field required"));
    }
    const auto* version = object.if_contains("version");
    if (!version || !version->is_string()) return refuse(validation_error({"body", "version"}, "missing", "Field required"));
    const auto* source_url = object.if_contains("source_url");
    const auto* file_id = object.if_contains("file_id");
    bool has_url = source_url && source_url->is_string();
    bool has_file = file_id && file_id->is_string();
    if (has_url == has_file) {
        return refuse(validation_error({"body"}, "value_error", "Value error, exactly one of source_url and file_id is required"));
    }
    std::string content = has_url ? "Content of " + std::string(source_url->as_string())
                                  : "Content of file " + std::string(file_id->as_string());
    Job& job = new_job(true, std::move(content));
    job.tier = std::string(tier->as_string());
    job.version = std::string(version->as_string());
    job.page_credits = v2_tier_credits(job.tier);
    upload.job_id = job.id;
    uploads_.push_back(std::move(upload));
    return Reply::json(200, json::serialize(job.v2_json("PENDING")));
}

Reply FakeLlamaParse::v2_job(const RecordedRequest& request, std::string_view id) {
    std::vector<std::string> expansions;
    for (const auto& value : request.query_values("expand")) {
        std::string_view rest = value;
        while (true) {  // "a,b" and "a%2Cb" both name two
            auto comma = std::min(rest.find(','), rest.find("%2C"));
            expansions.emplace_back(rest.substr(0, comma));
            if (comma == std::string_view::npos) break;
            rest.remove_prefix(comma + (rest[comma] == ',' ? 1 : 3));
        }
    }
    for (const auto& expansion : expansions) {
        if (std::find(std::begin(known_expansions), std::end(known_expansions), expansion) == std::end(known_expansions)) {
            return validation_error({"query", "expand"}, "enum",
                                    "Input should be 'text', 'markdown', 'items', 'metadata', 'job_metadata' or 'usage'");
        }
    }
    auto it = jobs_.find(id);
    if (it == jobs_.end() || !it->second->v2) return detail(404, "Job not found");
    Job& job = *it->second;
    auto status = job.v2_status(true);
    auto wants = [&](std::string_view name) {
        return std::find(expansions.begin(), expansions.end(), name) != expansions.end();
    };
    json::object answer{{"job", job.v2_json(status, wants("usage"))}};
    bool done = status == "COMPLETED";
    if (wants("markdown")) {
        json::array pages;
        for (std::size_t i = 0; done && i < job.pages.size(); ++i) {
            auto number = static_cast<std::int32_t>(i + 1);
            if (job.page_failed(number)) {
                std::string why = job.script.error_message.empty() ? "Page failed to parse" : job.script.error_message;
                pages.push_back(json::object{{"page_number", number}, {"success", false}, {"error", why}});
            } else {
                pages.push_back(json::object{{"page_number", number},
                                             {"markdown", page_markdown(number, job.pages[i])},
                                             {"success", true}});
            }
        }
        answer["markdown"] = done ? json::value(json::object{{"pages", std::move(pages)}}) : json::value(nullptr);
    }
    if (wants("text")) {
        json::array pages;
        for (std::size_t i = 0; done && i < job.pages.size(); ++i) {
            auto number = static_cast<std::int32_t>(i + 1);
            if (!job.page_failed(number)) pages.push_back(json::object{{"page_number", number}, {"text", job.pages[i]}});
        }
        answer["text"] = done ? json::value(json::object{{"pages", std::move(pages)}}) : json::value(nullptr);
    }
    if (wants("items")) {
        json::array pages;
        for (std::size_t i = 0; done && i < job.pages.size(); ++i) {
            auto number = static_cast<std::int32_t>(i + 1);
            if (!job.page_failed(number)) {
                pages.push_back(json::object{{"page_number", number}, {"items", job.items(i)}, {"success", true}});
            }
        }
        answer["items"] = done ? json::value(json::object{{"pages", std::move(pages)}}) : json::value(nullptr);
    }
    if (wants("job_metadata")) {
        answer["job_metadata"] = done ? json::value(json::object{{"job_pages", static_cast<std::int64_t>(job.pages.size())},
                                                                 {"job_is_cache_hit", false}})
                                      : json::value(nullptr);
    }
    return Reply::json(200, json::serialize(answer));
}

Reply FakeLlamaParse::v2_cancel(std::string_view id) {
    cancels_.emplace_back(id);
    auto it = jobs_.find(id);
    if (it == jobs_.end() || !it->second->v2) return detail(404, "Job not found");
    Job& job = *it->second;
    auto status = job.v2_status(false);
    if (status == "COMPLETED" || status == "FAILED" || status == "CANCELLED") {
        return detail(400, "Job " + job.id + " is already " + status);
    }
    job.cancelled = true;
    return Reply::json(200, json::serialize(job.v2_json("CANCELLED")));
}

Reply FakeLlamaParse::v2_list(const RecordedRequest& request) {
    std::int64_t page_size = 50;
    if (auto sizes = request.query_values("page_size"); !sizes.empty()) {
        auto parsed = parse_integer(sizes.front());
        if (!parsed || *parsed < 1 || *parsed > 1000) {
            return validation_error({"query", "page_size"}, "int_parsing", "Input should be an integer from 1 to 1000");
        }
        page_size = *parsed;
    }
    std::int64_t offset = 0;
    if (auto tokens = request.query_values("page_token"); !tokens.empty()) {
        auto parsed = parse_integer(tokens.front());
        if (!parsed || *parsed < 0) return detail(400, "Invalid page_token");
        offset = *parsed;
    }
    std::vector<Job*> v2_jobs;
    for (auto it = job_order_.rbegin(); it != job_order_.rend(); ++it) {
        Job& job = *jobs_.find(*it)->second;
        if (job.v2) v2_jobs.push_back(&job);
    }
    json::array items;
    auto total = static_cast<std::int64_t>(v2_jobs.size());
    for (std::int64_t i = offset; i < total && i < offset + page_size; ++i) {
        Job& job = *v2_jobs[static_cast<std::size_t>(i)];
        items.push_back(job.v2_json(job.v2_status(false)));
    }
    json::value next = nullptr;
    if (offset + page_size < total) next = json::string(std::to_string(offset + page_size));
    return Reply::json(200, json::serialize(json::object{
                                {"items", std::move(items)}, {"next_page_token", std::move(next)}, {"total_size", total}}));
}

}  // namespace switchboard::testing
