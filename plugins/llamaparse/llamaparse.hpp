#pragma once

#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <boost/json/value.hpp>

#include "llamaparse/llamaparse_settings.hpp"
#include "llamaparse/upstream_client.hpp"
#include "switchboard/service_interface.hpp"

namespace switchboard::llamaparse {

// The LlamaParse backend: a document goes up as one multipart upload, the job is polled until it
// ends, and its result comes back as a ParseResponse. Speaks v2 (/api/v2/parse) by default and v1
// (/api/parsing) with api = "v1". Retries belong to the host's HTTP client; this class only stops
// what must not repeat (nothing after the job exists is resent blindly) and cancels the upstream
// job when a call is given up (v2; v1 has no cancel endpoint).
class LlamaParse final : public ServiceInterface {
public:
    static constexpr std::string_view plugin_name = "llamaparse";

    PluginInfo info() const override;
    Status start(const HostServices& host, const BackendConfig& config) override;
    Task<Result<ParseResponse>> parse(CallContext ctx, ParseRequest request) override;
    // GET /api/v2/parse?page_size=1 under both APIs: an authenticated list of the account's
    // latest parse job, which costs nothing. v1 has no documented endpoint that checks the key
    // without naming a job, and v1 and v2 share the key and the host.
    Task<Status> health(CallContext ctx) override;
    std::vector<std::pair<std::string, std::string>> status_details() const override;

private:
    // One poll's reading of the job: its status, whether it finished well, or why it failed.
    struct Progress {
        std::string status;
        bool done = false;
        std::optional<Error> failure;
    };

    // How to watch one job.
    struct Watch {
        std::string job_id;
        Call poll;
        std::function<Result<Progress>(const boost::json::value&)> read;
        bool cancellable = false;  // v2 has POST /api/v2/parse/{id}/cancel
    };

    enum class StopReason { timeout, deadline, cancelled };

    Task<Result<ParseResponse>> parse_v2(CallContext ctx, ParseRequest request);
    Task<Result<ParseResponse>> parse_v1(CallContext ctx, ParseRequest request);

    // Uploads `call` and returns the new job's id.
    Task<Result<std::string>> create_job(CallContext ctx, Call call);
    // Polls until the job finishes well (that poll's answer), fails, or its time runs out.
    Task<Result<boost::json::value>> wait_for_job(CallContext ctx, Watch watch, Clock::time_point start);
    // The error for a job given up on, after asking upstream to cancel it where possible.
    Task<Error> stop_job(CallContext ctx, Watch watch, std::string status, StopReason reason,
                         Clock::time_point start, std::string last_problem);
    Task<std::string> cancel_upstream(CallContext ctx, Watch watch);
    // Fetches `call` (a GET) and decodes its JSON answer.
    Task<Result<boost::json::value>> fetch_json(CallContext ctx, Call call);

    std::optional<Error> missing_key() const;
    Error with_context(Error error, const CallContext& ctx) const;
    void note_job(const std::string& id, const std::string& status);

    std::string backend_;
    LlamaParseSettings settings_;
    bool has_key_ = false;
    Clock* clock_ = nullptr;
    Logger* logger_ = nullptr;
    std::unique_ptr<UpstreamClient> upstream_;

    mutable std::mutex mutex_;
    std::string last_job_id_;
    std::string last_job_status_;
};

}  // namespace switchboard::llamaparse
