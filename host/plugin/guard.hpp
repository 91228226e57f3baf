#pragma once

#include <exception>
#include <string>
#include <utility>

#include "switchboard/result.hpp"
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

}  // namespace switchboard::plugin
