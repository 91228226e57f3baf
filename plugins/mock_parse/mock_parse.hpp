#pragma once

#include <optional>
#include <string_view>

#include "mock_common/fault_injector.hpp"
#include "switchboard/service_interface.hpp"

namespace switchboard::mock {

// The mock document parser: plain text, Markdown and HTML become Markdown; any other file a
// deterministic summary (name, type, size, SHA-256, PDF page count). Costs nothing; seeded
// failure injection and latency let routing and fallback be tested.
class MockParse final : public ServiceInterface {
public:
    static constexpr std::string_view plugin_name = "mock-parse";

    PluginInfo info() const override;
    Status start(const HostServices& host, const BackendConfig& config) override;
    Task<Result<ParseResponse>> parse(CallContext ctx, ParseRequest request) override;
    // Healthy, or an injected failure at failure_rate, drawn apart from the calls' failures.
    Task<Status> health(CallContext ctx) override;

    // What a healthy call answers for `request`: no latency, no injected failure.
    Result<ParseResponse> compute(const CallContext& ctx, const ParseRequest& request) const;

private:
    Clock* clock_ = nullptr;
    std::optional<FaultInjector> faults_;  // set by start()
};

}  // namespace switchboard::mock
