#pragma once

#include <exception>
#include <memory>
#include <string>
#include <utility>

#include "switchboard/host_services.hpp"
#include "switchboard/result.hpp"
#include "switchboard/service_interface.hpp"
#include "switchboard/task.hpp"

namespace switchboard::plugin {

// Calls into a plugin and contains whatever escapes: an exception thrown by the call itself
// (an override that throws before returning its Task) or by the coroutine body becomes
// Error{internal} naming `what` (e.g. "backend 'mock-embed' embed"). `call` returns
// Task<Result<T>>.
template <class T, class Call>
Task<Result<T>> guarded(std::string what, Call call) {
    std::string failure;
    try {
        auto task = call();
        co_return co_await std::move(task);
    } catch (const std::exception& e) {
        failure = e.what();
    } catch (...) {
        failure = "exception of unknown type";
    }
    co_return Error::make(ErrorKind::internal, what + " threw: " + failure);
}

// The same, for a call on a plugin instance that must stay loaded for the whole call:
// `call(ServiceInterface&)` returns Task<Result<T>>. This frame holds `instance`, and when the
// call is over it hands that reference to `clock` to drop from a host timer. The call usually
// ends on a stack that still runs the plugin's code (its timer resuming its frame), and if this
// were the last reference the library would be unmapped under that code.
template <class T, class Call>
Task<Result<T>> guarded(std::string what, std::shared_ptr<ServiceInterface> instance, Clock& clock,
                        Call call) {
    // Both captures live in this frame, which awaits the guarded call to its end.
    auto task = guarded<T>(std::move(what), [&call, &instance] { return call(*instance); });
    Result<T> outcome = co_await std::move(task);
    clock.call_after(Clock::duration::zero(), [pin = std::move(instance)]() mutable { pin.reset(); });
    co_return std::move(outcome);
}

}  // namespace switchboard::plugin
