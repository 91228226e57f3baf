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

// For use inside a catch block only: the exception being handled as Error{internal}, naming
// `what` (e.g. "backend 'mock-embed' embed threw: boom").
inline Error escaped_exception(const std::string& what) {
    try {
        throw;
    } catch (const std::exception& e) {
        return Error::make(ErrorKind::internal, what + " threw: " + e.what());
    } catch (...) {
        return Error::make(ErrorKind::internal, what + " threw: exception of unknown type");
    }
}

// Calls into a plugin and contains whatever escapes: an exception thrown by the call itself
// (an override that throws before returning its Task) or by the coroutine body becomes
// Error{internal} naming `what`. `call` returns Task<Result<T>>.
template <class T, class Call>
Task<Result<T>> guarded(std::string what, Call call) {
    std::optional<Error> failure;
    try {
        auto task = call();
        co_return co_await std::move(task);
    } catch (...) {
        failure = escaped_exception(what);
    }
    co_return std::move(*failure);
}

// The same, for a call on a plugin instance that must stay loaded for the whole call:
// `call(ServiceInterface&)` returns Task<Result<T>>. This frame holds `instance`, and when the
// call is over it hands that reference to `clock` to drop from a host timer. The call usually
// ends on a stack that still runs the plugin's code (its timer resuming its frame), and if this
// were the last reference the library would be unmapped under that code. (One frame, not a
// wrapper around the overload above: this is on every routed call.)
template <class T, class Call>
Task<Result<T>> guarded(std::string what, std::shared_ptr<ServiceInterface> instance, Clock& clock,
                        Call call) {
    std::optional<Result<T>> outcome;
    try {
        auto task = call(*instance);
        outcome.emplace(co_await std::move(task));
    } catch (...) {
        outcome.emplace(escaped_exception(what));
    }
    clock.call_after(Clock::duration::zero(), [pin = std::move(instance)]() mutable { pin.reset(); });
    co_return std::move(*outcome);
}

}  // namespace switchboard::plugin
