// A good plugin: "echo" embeddings, one vector per input holding its length and first byte.
#include <switchboard/plugin.hpp>

namespace {

using switchboard::EmbeddingsRequest;
using switchboard::EmbeddingsResponse;
using switchboard::Result;
using switchboard::Task;

class Echo final : public switchboard::ServiceInterface {
public:
    switchboard::PluginInfo info() const override {
        return {"echo", "1.0.0", {std::string(switchboard::capability::embeddings)}, "", "", {}};
    }

    switchboard::Status start(const switchboard::HostServices&, const switchboard::BackendConfig&) override {
        return {};
    }

    Task<Result<EmbeddingsResponse>> embed(switchboard::CallContext, EmbeddingsRequest request) override {
        EmbeddingsResponse response;
        response.model = "echo-1";
        for (const auto& input : request.inputs) {
            float first = input.empty() ? 0.0f : static_cast<float>(static_cast<unsigned char>(input[0]));
            response.vectors.push_back({static_cast<float>(input.size()), first});
            response.usage.prompt_tokens += static_cast<std::int64_t>(input.size());
        }
        response.usage.total_tokens = response.usage.prompt_tokens;
        co_return response;
    }
};

}  // namespace

SWITCHBOARD_PLUGIN(Echo)
