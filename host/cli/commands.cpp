#include "cli/commands.hpp"

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iomanip>
#include <memory>
#include <sstream>

#include <boost/asio/io_context.hpp>
#include <boost/json.hpp>

#include "cli/exit_codes.hpp"
#include "cli/session.hpp"
#include "http/curl_transport.hpp"
#include "log/host_logger.hpp"
#include "runtime/asio_clock.hpp"
#include "runtime/runtime.hpp"
#include "wire/mime.hpp"
#include "wire/text_table.hpp"
#include "wire/openai_json.hpp"

namespace switchboard::cli {
namespace {

using wire::print_table;

void print_problems(std::ostream& err, const std::vector<config::Problem>& problems) {
    for (const auto& problem : problems) err << problem.to_string() << '\n';
}

std::size_t count_errors(const std::vector<config::Problem>& problems) {
    return static_cast<std::size_t>(std::count_if(problems.begin(), problems.end(), [](const auto& p) {
        return p.severity == config::Severity::error;
    }));
}

// Prints the problems; true when the host can serve.
bool ready(const Session& session, std::ostream& err) {
    const auto& problems = session.runtime->problems();
    print_problems(err, problems);
    if (session.runtime->ok()) return true;
    err << "error: the configuration has " << count_errors(problems)
        << " problem(s); run `switchboard check-config` for the full report\n";
    return false;
}

// The service to call: the one named, else the first configured with `capability`.
std::optional<std::string> pick_service(const config::Config& config, std::string_view capability,
                                        const std::string& requested, std::ostream& err) {
    if (!requested.empty()) return requested;  // the router reports unknown names with the list
    for (const auto& [name, service] : config.services) {
        if (service.capability == capability) return name;
    }
    err << "error: no service with capability '" << capability << "' in " << config.file.string()
        << "; add one under [services.NAME] or pass --service\n";
    return std::nullopt;
}

template <class T>
void print_route(std::ostream& err, const router::Routed<T>& routed) {
    for (const auto& step : routed.fallbacks) {
        err << "fell back from '" << step.backend << "': " << describe(step.error) << '\n';
    }
    if (routed.result.ok()) {
        err << "served by '" << routed.backend << "' (mode " << config::to_string(routed.mode) << ", request "
            << routed.request_id << ", cost " << cost::format_usd(routed.cost);
        if (routed.shadow_cost.nanos > 0) err << ", shadow cost " << cost::format_usd(routed.shadow_cost);
        err << ")\n";
    }
}

template <class T>
int report_failure(std::ostream& err, const router::Routed<T>& routed) {
    const Error& error = routed.result.error();
    err << "error: " << describe(error);
    if (error.message.find(routed.request_id) == std::string::npos) err << " (request " << routed.request_id << ")";
    err << '\n';
    return exit_code_for(error.kind);
}

boost::json::object parse_json(const ParseResponse& response) {
    boost::json::array pages;
    for (const auto& page : response.pages) {
        pages.push_back(boost::json::object{{"page", page.page}, {"md", page.markdown}, {"text", page.text}});
    }
    return boost::json::object{
        {"markdown", response.markdown},
        {"text", response.text},
        {"pages", std::move(pages)},
        {"job_id", response.job_id},
        {"usage", boost::json::object{{"pages", response.usage.pages},
                                      {"credits", response.usage.credits < 0 ? boost::json::value(nullptr)
                                                                              : boost::json::value(response.usage.credits)}}}};
}

std::string join(const std::vector<std::string>& items, std::string_view separator) {
    std::string out;
    for (const auto& item : items) {
        if (!out.empty()) out += separator;
        out += item;
    }
    return out;
}

std::string format_age(const Clock& clock, const std::optional<Clock::time_point>& when) {
    if (!when) return "never";
    auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(clock.now() - *when).count();
    return std::to_string(ms) + " ms ago";
}

void print_plugins(std::ostream& out, const std::vector<plugin::PluginRecord>& plugins) {
    std::vector<std::vector<std::string>> rows{{"FILE", "NAME", "VERSION", "CAPABILITIES", "ABI", "STATUS"}};
    for (const auto& p : plugins) {
        std::string abi = p.abi_major == 0 ? "-"
                                           : std::to_string(p.abi_major) + "." + std::to_string(p.abi_minor);
        const PluginInfo& info = p.info;
        rows.push_back({p.file.string(), info.name.empty() ? "-" : info.name,
                        info.version.empty() ? "-" : info.version,
                        info.capabilities.empty() ? "-" : join(info.capabilities, ","), abi,
                        p.loaded() ? "loaded" : "rejected: " + p.rejection});
    }
    print_table(out, rows);
}

// Caps, rate limits and the ledger, as `status` shows them.
void print_budget(std::ostream& out, const cost::CostPolicy& policy) {
    out << "\nledger: " << (policy.ledger_healthy() ? "ok" : "FAILED: " + policy.ledger_failure().value_or("")) << '\n';
    auto caps = policy.caps();
    if (!caps.empty()) {
        std::vector<std::vector<std::string>> rows{{"CAP", "SPENT", "HELD", "LIMIT", "USED", "ALERT", "RESETS AT"}};
        for (const auto& cap : caps) {
            const auto used = cap.limit.nanos > 0 ? (cap.spent.nanos * 100) / cap.limit.nanos : 100;
            rows.push_back({cost::id_of(cap.key), cost::format_usd(cap.spent), cost::format_usd(cap.reserved),
                            cost::format_usd(cap.limit), std::to_string(used) + "%",
                            cap.alert_percent > 0 ? std::to_string(cap.alert_percent) + "%" : "-",
                            policy.zone().format(cap.resets_at)});
        }
        out << '\n';
        print_table(out, rows);
    }
    auto rates = policy.rates();
    if (!rates.empty()) {
        std::vector<std::vector<std::string>> rows{{"RATE LIMIT", "RPM", "REQUESTS LEFT", "TPM", "TOKENS LEFT"}};
        auto text = [](const std::optional<std::int64_t>& limit) { return limit ? std::to_string(*limit) : "-"; };
        for (const auto& rate : rates) {
            rows.push_back({rate.backend, text(rate.requests_per_minute),
                            rate.requests_per_minute ? std::to_string(static_cast<std::int64_t>(rate.requests_available)) : "-",
                            text(rate.tokens_per_minute),
                            rate.tokens_per_minute ? std::to_string(static_cast<std::int64_t>(rate.tokens_available)) : "-"});
        }
        out << '\n';
        print_table(out, rows);
    }
}

double cosine(const std::vector<float>& a, const std::vector<float>& b) {
    double dot = 0, na = 0, nb = 0;
    for (std::size_t i = 0; i < a.size() && i < b.size(); ++i) {
        dot += double(a[i]) * b[i];
        na += double(a[i]) * a[i];
        nb += double(b[i]) * b[i];
    }
    return na == 0 || nb == 0 ? 0.0 : dot / std::sqrt(na * nb);
}

}  // namespace

int plugins_command(const HostOptions& options, std::ostream& out, std::ostream& err) {
    Session session(options);
    if (!session.runtime->config()) {
        print_problems(err, session.runtime->problems());
        return exit_usage;
    }
    print_plugins(out, session.runtime->plugins());
    if (session.runtime->plugins().empty()) {
        err << "no plugins found in:";
        for (const auto& dir : session.runtime->config()->host.plugin_dirs) err << ' ' << dir.string();
        err << '\n';
    }
    return exit_ok;
}

int check_config_command(const HostOptions& options, std::ostream& out, std::ostream& err) {
    Session session(options, 1, runtime::Runtime::Purpose::check);  // creates no ledger file
    const auto& problems = session.runtime->problems();
    print_problems(err, problems);
    // Any problem, warnings included, fails the check: a warning is something to fix too.
    if (!problems.empty()) {
        std::size_t errors = count_errors(problems);
        err << options.config.string() << ": " << errors << " error(s), " << problems.size() - errors
            << " warning(s)\n";
        return exit_usage;
    }
    const auto& config = *session.runtime->config();
    out << options.config.string() << ": ok (environment " << config.environment << ", "
        << config.backends.size() << " backend(s), " << config.services.size() << " service(s))\n";
    return exit_ok;
}

int embed_command(const EmbedOptions& options, std::ostream& out, std::ostream& err) {
    Session session(options.host);
    if (!ready(session, err)) return exit_usage;
    auto service = pick_service(*session.runtime->config(), capability::embeddings, options.service, err);
    if (!service) return exit_usage;

    EmbeddingsRequest request;
    request.inputs = options.texts;
    request.model = options.model;
    request.dimensions = options.dimensions;
    auto routed = session.run(session.runtime->router().embed(*service, std::move(request), {options.mode, "", "cli"}));
    print_route(err, routed);
    if (!routed.result.ok()) return report_failure(err, routed);
    out << wire::to_openai_json(routed.result.value()) << '\n';
    return exit_ok;
}

int parse_command(const ParseOptions& options, std::ostream& out, std::ostream& err) {
    std::ifstream in(options.file, std::ios::binary);
    if (!in) {
        err << "error: cannot read " << options.file.string() << ": " << std::strerror(errno) << '\n';
        return exit_usage;
    }
    std::ostringstream bytes;
    bytes << in.rdbuf();

    Session session(options.host);
    if (!ready(session, err)) return exit_usage;
    auto service = pick_service(*session.runtime->config(), capability::parse, options.service, err);
    if (!service) return exit_usage;

    ParseRequest request;
    request.file_name = options.file.filename().string();
    request.mime_type = options.mime_type.empty() ? wire::mime_type_for(options.file) : options.mime_type;
    request.data = std::move(bytes).str();
    request.options.mode = options.parse_mode;
    request.options.language = options.language;
    request.options.target_pages = options.target_pages;
    auto routed = session.run(session.runtime->router().parse(*service, std::move(request), {options.mode, "", "cli"}));
    print_route(err, routed);
    if (!routed.result.ok()) return report_failure(err, routed);
    if (options.json) {
        out << boost::json::serialize(parse_json(routed.result.value())) << '\n';
    } else {
        out << routed.result.value().markdown;
        if (!routed.result.value().markdown.ends_with('\n')) out << '\n';
    }
    return exit_ok;
}

int status_command(const HostOptions& options, std::ostream& out, std::ostream& err) {
    Session session(options);
    if (!ready(session, err)) return exit_usage;
    auto& health = session.runtime->health();
    session.run_until([&](std::function<void()> done) { health.probe_all(std::move(done)); });

    const auto& config = *session.runtime->config();
    std::vector<std::vector<std::string>> rows{
        {"BACKEND", "PLUGIN", "STATE", "CIRCUIT", "LAST CHECK", "FAILURES", "LAST ERROR"}};
    bool all_healthy = true;
    for (const auto& [name, h] : health.snapshot_all()) {
        all_healthy = all_healthy && h.state == health::State::healthy;
        auto backend = config.backends.find(name);
        rows.push_back({name, backend == config.backends.end() ? "-" : backend->second.plugin,
                        std::string(health::to_string(h.state)), std::string(health::to_string(h.circuit)),
                        format_age(session.clock, h.last_check), std::to_string(h.consecutive_failures),
                        h.last_error ? describe(*h.last_error) : "-"});
    }
    print_table(out, rows);
    for (const auto& [name, h] : health.snapshot_all()) {
        auto details = session.runtime->status_details(name);
        if (details.empty()) continue;
        out << '\n' << name << ":\n";
        for (const auto& [label, value] : details) out << "  " << label << ": " << value << '\n';
    }
    print_budget(out, session.runtime->cost());
    return all_healthy ? exit_ok : exit_unhealthy;
}

int demo_command(const HostOptions& options, std::ostream& out, std::ostream& err) {
    Session session(options);
    out << "Switchboard demo on " << options.config.string() << "\n\nPlugins:\n";
    if (session.runtime->config()) print_plugins(out, session.runtime->plugins());
    if (!ready(session, err)) return exit_usage;
    auto& router = session.runtime->router();
    const auto& config = *session.runtime->config();

    int code = exit_ok;
    if (auto service = pick_service(config, capability::embeddings, "", err)) {
        EmbeddingsRequest request;
        request.inputs = {"The cat sat on the mat.", "A cat was sitting on a mat.",
                          "Quarterly revenue grew by four percent."};
        auto routed = session.run(router.embed(*service, request, {std::nullopt, "", "demo"}));
        out << "\nembed via service '" << *service << "' (" << request.inputs.size() << " texts):\n";
        print_route(out, routed);
        if (routed.result.ok()) {
            const auto& v = routed.result.value().vectors;
            out << std::fixed << std::setprecision(3) << "  dimensions " << v[0].size()
                << ", cosine(similar texts) = " << cosine(v[0], v[1])
                << ", cosine(unrelated texts) = " << cosine(v[0], v[2]) << ", tokens "
                << routed.result.value().usage.total_tokens << '\n';
        } else {
            code = report_failure(err, routed);
        }
    }
    if (auto service = pick_service(config, capability::parse, "", err)) {
        ParseRequest request;
        request.file_name = "welcome.html";
        request.mime_type = "text/html";
        request.data =
            "<html><head><title>Welcome</title></head><body><h1>Welcome to Switchboard</h1>"
            "<p>One host, many <b>AI backends</b>: routed by mode, with fallback.</p>"
            "<ul><li>mock</li><li>real</li><li>hybrid</li></ul></body></html>";
        auto routed = session.run(router.parse(*service, request, {std::nullopt, "", "demo"}));
        out << "\nparse via service '" << *service << "' (" << request.file_name << "):\n";
        print_route(out, routed);
        if (routed.result.ok()) {
            out << routed.result.value().markdown;
            if (!routed.result.value().markdown.ends_with('\n')) out << '\n';
        } else {
            code = report_failure(err, routed);
        }
    }
    // The binary as it was run: build/bin/switchboard is seldom on PATH.
    std::error_code no_link;
    auto self = std::filesystem::read_symlink("/proc/self/exe", no_link);
    out << "\nEvery call is in the spend ledger " << config.cost.ledger.string() << "; see `"
        << (no_link ? std::string("switchboard") : self.string()) << " costs summary --config " << options.config.string()
        << "`\n";
    return code;
}

}  // namespace switchboard::cli
