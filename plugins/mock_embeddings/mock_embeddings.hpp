#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "mock_common/mock_backend.hpp"

namespace switchboard::mock {

// The mock embeddings backend: deterministic, lexically meaningful unit vectors at no cost,
// with seeded failure injection and latency so routing and fallback can be tested.
class MockEmbeddings final : public MockBackend {
public:
    static constexpr std::string_view plugin_name = "mock-embeddings";
    static constexpr std::string_view default_model = "mock-embedding-1";
    static constexpr std::int64_t default_dimensions = 1536;
    static constexpr std::int64_t max_dimensions = 8192;

    MockEmbeddings() : MockBackend(plugin_name, {"model", "dimensions"}) {}

    PluginInfo info() const override;
    Task<Result<EmbeddingsResponse>> embed(CallContext ctx, EmbeddingsRequest request) override;

    // What a healthy call answers for `request`: no latency, no injected failure.
    Result<EmbeddingsResponse> compute(const CallContext& ctx, const EmbeddingsRequest& request) const;

private:
    Status configure(const Settings& settings) override;
    std::string describe_settings() const override;

    std::string model_{default_model};
    std::int32_t dimensions_ = default_dimensions;
};

}  // namespace switchboard::mock
