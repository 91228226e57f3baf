#pragma once

#include <string>
#include <utility>
#include <vector>

#include "switchboard/call_context.hpp"
#include "switchboard/host_services.hpp"
#include "switchboard/http.hpp"
#include "switchboard/result.hpp"
#include "switchboard/secret.hpp"
#include "switchboard/settings.hpp"
#include "switchboard/task.hpp"
#include "switchboard/types.hpp"
#include "switchboard/visibility.hpp"

namespace switchboard {

// How a plugin describes itself. Owned by the caller of info().
struct SWITCHBOARD_API PluginInfo {
    std::string name;                        // e.g. "mock-embeddings"; backends refer to it
    std::string version;                     // the plugin's own version, e.g. "1.2.0"
    std::vector<std::string> capabilities;   // "embeddings", "parse", or a JSON operation name
    std::string api_key_prefix;              // non-empty: backends need an api_key starting so
    // Environment variable the host reads the key from when a backend's config sets no api_key,
    // e.g. "OPENAI_API_KEY"; empty for none.
    std::string api_key_env;
    // Settings the host takes from the environment when a backend's config does not set them:
    // {setting key, variable}, e.g. {"base_url", "OPENAI_BASE_URL"}.
    std::vector<std::pair<std::string, std::string>> settings_from_env;
};

// One configured backend's view of its config: its name, its settings table, its key. Valid
// only during start(): a plugin copies what it keeps.
struct SWITCHBOARD_API BackendConfig {
    std::string backend;  // the backend's name in config, e.g. "openai-primary"
    Settings settings;
    Secret api_key;       // empty unless the backend config sets api_key
};

// The interface every backend plugin implements. The host creates one instance per configured
// backend, calls start() once, serves calls concurrently, then calls shutdown() once before
// destroying it. The instance keeps its library loaded for as long as it lives.
//
// Calls are coroutines (Task): take parameters by value, co_await host services, never block a
// thread. A call may run on any host thread and several may be in flight at once. Failures are
// returned as Error values; the host also contains any exception that escapes.
class SWITCHBOARD_API ServiceInterface {
public:
    virtual ~ServiceInterface() = default;

    virtual PluginInfo info() const = 0;

    // `host` pointers stay valid until shutdown() returns. A bad setting is a bad_request error
    // naming the key; the host then reports the backend as not started and calls shutdown().
    virtual Status start(const HostServices& host, const BackendConfig& config) = 0;

    virtual Task<Result<EmbeddingsResponse>> embed(CallContext ctx, EmbeddingsRequest /*request*/) {
        co_return unsupported(ctx, capability::embeddings);
    }
    virtual Task<Result<ParseResponse>> parse(CallContext ctx, ParseRequest /*request*/) {
        co_return unsupported(ctx, capability::parse);
    }
    virtual Task<Result<JsonResponse>> call(CallContext ctx, JsonRequest request) {
        co_return unsupported(ctx, request.operation);
    }

    // A cheap probe of the upstream; an error's kind says why the backend is unhealthy.
    virtual Task<Status> health(CallContext /*ctx*/) { co_return Status{}; }

    // Facts about the upstream from its latest answers, for status output: its request id,
    // rate-limit headroom. {label, value} pairs, never a secret. Called from any host thread.
    virtual std::vector<std::pair<std::string, std::string>> status_details() const { return {}; }

    // Stop timers and background work; the host has drained calls before calling this.
    virtual void shutdown() {}

protected:
    Error unsupported(const CallContext& ctx, std::string_view what) const {
        return Error::make(ErrorKind::bad_request, "plugin '" + info().name +
                                                       "' does not offer capability '" +
                                                       std::string(what) + "' (request " +
                                                       ctx.request_id + ")");
    }
};

}  // namespace switchboard
