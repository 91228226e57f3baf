#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "mock_common/fault_injector.hpp"
#include "switchboard/service_interface.hpp"

namespace switchboard::mock {

// The mock embeddings backend: deterministic, lexically meaningful unit vectors at no cost,
// with seeded failure injection and latency so routing and fallback can be tested.
class MockEmbeddings final : public ServiceInterface {
public:
    static constexpr std::string_view plugin_name = "mock-embeddings";
    static constexpr std::string_view default_model = "mock-embedding-1";
    static constexpr std::int64_t default_dimensions = 1536;
    static constexpr std::int64_t max_dimensions = 8192;

    PluginInfo info() const override;
    Status start(const HostServices& host, const BackendConfig& config) override;
    Task<Result<EmbeddingsResponse>> embed(CallContext ctx, EmbeddingsRequest request) override;
    // Healthy, or an injected failure at failure_rate, drawn apart from the calls' failures.
    Task<Status> health(CallContext ctx) override;

    // What a healthy call answers for `request`: no latency, no injected failure.
    Result<EmbeddingsResponse> compute(const CallContext& ctx, const EmbeddingsRequest& request) const;

private:
    Clock* clock_ = nullptr;
    std::string model_{default_model};
    std::int32_t dimensions_ = default_dimensions;
    std::optional<FaultInjector> faults_;  // set by start()
};

}  // namespace switchboard::mock
