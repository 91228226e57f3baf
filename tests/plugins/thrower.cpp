// Loads fine, then throws from its calls: embed() before it returns its Task, parse() inside its
// coroutine body after a one-second wait.
#include <chrono>
#include <stdexcept>

#include <switchboard/plugin.hpp>

namespace {

namespace capability = switchboard::capability;
using switchboard::Result;
using switchboard::Task;

class Thrower final : public switchboard::ServiceInterface {
public:
    switchboard::PluginInfo info() const override {
        return {"thrower", "1.0.0", {std::string(capability::embeddings), std::string(capability::parse)}, "", "", {}};
    }

    switchboard::Status start(const switchboard::HostServices& host,
                              const switchboard::BackendConfig&) override {
        clock_ = host.clock;
        return {};
    }

    Task<Result<switchboard::EmbeddingsResponse>> embed(switchboard::CallContext,
                                                        switchboard::EmbeddingsRequest) override {
        throw std::runtime_error("embed failed before its task existed");
    }

    Task<Result<switchboard::ParseResponse>> parse(switchboard::CallContext,
                                                   switchboard::ParseRequest request) override {
        co_await switchboard::sleep_for(*clock_, std::chrono::seconds(1));
        if (!request.data.empty()) throw std::runtime_error("parse failed inside its coroutine");
        co_return switchboard::ParseResponse{};
    }

private:
    switchboard::Clock* clock_ = nullptr;
};

}  // namespace

SWITCHBOARD_PLUGIN(Thrower)
