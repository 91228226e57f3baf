// A plugin whose embed() waits 10 s on the host clock before answering: long enough for the
// router to give up on it.
#include <chrono>

#include "switchboard/plugin.hpp"

namespace {

class Slow final : public switchboard::ServiceInterface {
public:
    switchboard::PluginInfo info() const override { return {"slow", "1.0.0", {"embeddings"}, "", "", {}}; }

    switchboard::Status start(const switchboard::HostServices& host, const switchboard::BackendConfig&) override {
        clock_ = host.clock;
        return {};
    }

    switchboard::Task<switchboard::Result<switchboard::EmbeddingsResponse>> embed(
        switchboard::CallContext, switchboard::EmbeddingsRequest request) override {
        co_await switchboard::sleep_for(*clock_, std::chrono::seconds(10));
        switchboard::EmbeddingsResponse response;
        response.vectors.assign(request.inputs.size(), std::vector<float>{1.0f});
        co_return response;
    }

private:
    switchboard::Clock* clock_ = nullptr;
};

}  // namespace

SWITCHBOARD_PLUGIN(Slow)
