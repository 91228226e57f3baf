#pragma once

#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "switchboard/service_interface.hpp"
#include "switchboard/task.hpp"

namespace switchboard::testing {

// Starts a task detached; the value appears in result() once the task finishes, which for a task
// that waits on a ManualClock is inside clock.advance().
template <class T>
class StartedTask {
public:
    explicit StartedTask(Task<T> task) : slot_(std::make_shared<std::optional<T>>()) {
        std::move(task).start([slot = slot_](T value) { slot->emplace(std::move(value)); });
    }
    bool done() const { return slot_->has_value(); }
    T& result() { return **slot_; }

private:
    std::shared_ptr<std::optional<T>> slot_;
};

inline EmbeddingsRequest embeddings_request(std::vector<std::string> inputs) {
    EmbeddingsRequest request;
    request.inputs = std::move(inputs);
    return request;
}

inline HostServices host_services(Logger* logger, Clock* clock = nullptr, Metrics* metrics = nullptr) {
    HostServices host;
    host.logger = logger;
    host.clock = clock;
    host.metrics = metrics;
    return host;
}

inline BackendConfig backend_config(std::string backend) {
    BackendConfig config;
    config.backend = std::move(backend);
    return config;
}

}  // namespace switchboard::testing
