#pragma once

#include <string_view>

#include "mock_common/mock_backend.hpp"

namespace switchboard::mock {

// The mock document parser: plain text, Markdown and HTML become Markdown; any other file a
// deterministic summary (name, type, size, SHA-256, PDF page count). Costs nothing; seeded
// failure injection and latency let routing and fallback be tested.
class MockParse final : public MockBackend {
public:
    static constexpr std::string_view plugin_name = "mock-parse";

    MockParse() : MockBackend(plugin_name, {}) {}

    PluginInfo info() const override;
    Task<Result<ParseResponse>> parse(CallContext ctx, ParseRequest request) override;

    // What a healthy call answers for `request`: no latency, no injected failure.
    Result<ParseResponse> compute(const CallContext& ctx, const ParseRequest& request) const;
};

}  // namespace switchboard::mock
