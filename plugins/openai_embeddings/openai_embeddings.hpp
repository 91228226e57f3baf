#pragma once

#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "openai_embeddings/batch_plan.hpp"
#include "openai_embeddings/embeddings_wire.hpp"
#include "openai_embeddings/openai_settings.hpp"
#include "switchboard/service_interface.hpp"

namespace switchboard::openai {

// The OpenAI embeddings backend: POST {base_url}/embeddings through the host's HttpClient, split
// into batches the API accepts, run a few at a time and merged back in input order. Retries and
// backoff are the host's; this class translates requests, answers and errors.
class OpenAIEmbeddings final : public ServiceInterface {
public:
    static constexpr std::string_view plugin_name = "openai-embeddings";

    PluginInfo info() const override;
    // Needs host.http. Starts without a key too; every call and probe then fails with auth.
    Status start(const HostServices& host, const BackendConfig& config) override;
    Task<Result<EmbeddingsResponse>> embed(CallContext ctx, EmbeddingsRequest request) override;
    // GET {base_url}/models, one attempt: 2xx is healthy, anything else maps as a call's error.
    Task<Status> health(CallContext ctx) override;
    // The latest answer's x-request-id and x-ratelimit-* headers (those it sent).
    std::vector<std::pair<std::string, std::string>> status_details() const override;

    const OpenAISettings& settings() const noexcept { return settings_; }

private:
    // The headers status_details() shows, as the latest answer sent them; empty when it did not.
    struct UpstreamFacts {
        std::string request_id;
        std::string limit_requests;
        std::string limit_tokens;
        std::string remaining_requests;
        std::string remaining_tokens;
        std::string reset_requests;
        std::string reset_tokens;
    };

    // `request` must outlive the returned task (the caller's frame holds it).
    Task<Result<EmbeddingsAnswer>> send_batch(CallContext ctx, const EmbeddingsRequest& request, Batch batch,
                                              std::string model, std::string label);
    // An authorised request to {base_url}{path} whose classify maps OpenAI's errors, remembers the
    // rate-limit headers and logs the answer at debug with `label` ("batch 2/3, 100 inputs").
    HttpRequest upstream_request(std::string method, std::string_view path, const CallContext& ctx,
                                 std::string label) const;
    std::optional<Error> not_ready(const CallContext& ctx) const;
    std::optional<Error> invalid_request(const CallContext& ctx, const EmbeddingsRequest& request) const;
    // " (backend 'NAME', request ID, x-request-id UPSTREAM)" for the end of an error message.
    std::string context(std::string_view request_id, std::optional<std::string_view> upstream_id) const;
    // `text` with the key replaced by its redacted form, should an upstream ever echo it.
    std::string scrub(std::string text) const;
    void remember(const HttpResponse& response) const;

    OpenAISettings settings_;
    std::string backend_;
    Secret api_key_;
    HttpClient* http_ = nullptr;
    Logger* logger_ = nullptr;

    mutable std::mutex facts_mutex_;
    mutable UpstreamFacts facts_;
};

}  // namespace switchboard::openai
