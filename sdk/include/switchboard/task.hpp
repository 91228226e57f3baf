#pragma once

#include <atomic>
#include <coroutine>
#include <exception>
#include <functional>
#include <optional>
#include <string>
#include <type_traits>
#include <utility>

#include "switchboard/result.hpp"

namespace switchboard {

// Task<T> is the SDK's coroutine type: a plugin writes a multi-step upstream flow (upload, poll
// every few seconds, fetch) as straight-line code with co_await, and no thread is held while it
// waits. It is deliberately independent of Asio so the ABI does not depend on the host's event
// loop: whatever wakes a suspended task (a timer, an HTTP completion) is a host service.
//
// Ownership: a Task owns its coroutine frame until it is awaited to completion or handed to
// start(). The frame's code lives in the library that created it, so whoever holds a Task must
// keep that library loaded (the host does: every plugin object pins its library).
//
// Lazy: the body does not run until the task is awaited or started.
// Exceptions: in a Task<Result<U>> an escaping exception becomes Error{internal}; in any other
// Task it is rethrown to the awaiting coroutine.
// Build with optimisation (-O1 or more): resuming the awaiting task is a tail call only when the
// compiler optimises, so at -O0 a long chain of tasks that finish without suspending can
// overflow the stack.
template <class T>
class Task;

namespace detail {

inline std::string describe_current_exception() noexcept {
    try {
        throw;
    } catch (const std::exception& e) {
        return std::string("unhandled exception: ") + e.what();
    } catch (...) {
        return "unhandled exception of unknown type";
    }
}

template <class T>
struct ValueSlot {
    std::optional<T> value;
    void return_value(T v) { value.emplace(std::move(v)); }
    T take() { return std::move(*value); }
};

template <>
struct ValueSlot<void> {
    void return_void() noexcept {}
    void take() noexcept {}
};

// What a detached task calls when done: with the value, or with nothing for Task<void>.
template <class T>
struct CompletionOf {
    using type = std::function<void(T)>;
};
template <>
struct CompletionOf<void> {
    using type = std::function<void()>;
};
template <class T>
using Completion = typename CompletionOf<T>::type;

template <class T>
struct Promise : ValueSlot<T> {
    std::coroutine_handle<> continuation;
    std::exception_ptr exception;
    Completion<T> on_done;  // set by Task::start for a detached task

    Task<T> get_return_object() noexcept;
    std::suspend_always initial_suspend() noexcept { return {}; }

    struct FinalAwaiter {
        bool await_ready() noexcept { return false; }
        std::coroutine_handle<> await_suspend(std::coroutine_handle<Promise> self) noexcept {
            Promise& p = self.promise();
            if (p.continuation) return p.continuation;
            if (p.on_done) {
                // Detached: hand the value to the completion, then free the frame. A detached task
                // whose body threw (only possible when T is not a Result) is a host bug.
                auto done = std::move(p.on_done);
                if (p.exception) std::terminate();
                if constexpr (std::is_void_v<T>) {
                    self.destroy();
                    done();
                } else {
                    T value = p.take();
                    self.destroy();
                    done(std::move(value));
                }
            }
            return std::noop_coroutine();
        }
        void await_resume() noexcept {}
    };
    FinalAwaiter final_suspend() noexcept { return {}; }

    void unhandled_exception() noexcept {
        if constexpr (is_result_v<T>) {
            this->value.emplace(Error::make(ErrorKind::internal, describe_current_exception()));
        } else {
            exception = std::current_exception();
        }
    }
};

}  // namespace detail

template <class T>
class [[nodiscard]] Task {
public:
    using promise_type = detail::Promise<T>;
    using handle_type = std::coroutine_handle<promise_type>;

    Task() noexcept = default;
    explicit Task(handle_type handle) noexcept : handle_(handle) {}
    Task(Task&& other) noexcept : handle_(std::exchange(other.handle_, {})) {}
    Task& operator=(Task&& other) noexcept {
        if (this != &other) {
            reset();
            handle_ = std::exchange(other.handle_, {});
        }
        return *this;
    }
    Task(const Task&) = delete;
    Task& operator=(const Task&) = delete;
    ~Task() { reset(); }

    bool valid() const noexcept { return static_cast<bool>(handle_); }

    // Awaiting runs the task and resumes the awaiting coroutine when it finishes.
    bool await_ready() const noexcept { return false; }
    std::coroutine_handle<> await_suspend(std::coroutine_handle<> awaiting) noexcept {
        handle_.promise().continuation = awaiting;
        return handle_;
    }
    T await_resume() {
        promise_type& p = handle_.promise();
        if (p.exception) std::rethrow_exception(p.exception);
        return p.take();
    }

    // Runs the task detached; on_done receives the value on whichever thread finishes the task,
    // possibly before start() returns. The frame frees itself. on_done must not throw.
    void start(detail::Completion<T> on_done) && {
        handle_type handle = std::exchange(handle_, {});
        handle.promise().on_done = std::move(on_done);
        handle.resume();
    }

private:
    void reset() noexcept {
        if (handle_) handle_.destroy();
        handle_ = {};
    }

    handle_type handle_;
};

template <class T>
Task<T> detail::Promise<T>::get_return_object() noexcept {
    return Task<T>(std::coroutine_handle<Promise<T>>::from_promise(*this));
}

namespace detail {

template <class T, class Starter>
class CallbackAwaiter {
public:
    explicit CallbackAwaiter(Starter starter) : starter_(std::move(starter)) {}

    bool await_ready() const noexcept { return false; }
    bool await_suspend(std::coroutine_handle<> handle) {
        waiting_ = handle;
        starter_([this](T v) {
            value_.emplace(std::move(v));
            if (other_side_done_.exchange(true, std::memory_order_acq_rel)) waiting_.resume();
        });
        // The second of (callback, this line) continues the coroutine.
        return !other_side_done_.exchange(true, std::memory_order_acq_rel);
    }
    T await_resume() { return std::move(*value_); }

private:
    Starter starter_;
    std::optional<T> value_{};
    std::coroutine_handle<> waiting_{};
    std::atomic<bool> other_side_done_{false};
};

}  // namespace detail

// Bridges a callback-style API into a coroutine. `starter` receives a callable that must be
// invoked exactly once with the value, from any thread, possibly before `starter` returns:
//
//   auto reply = await_callback<Reply>([&](auto resume) { client.send(req, resume); });
//   Reply r = co_await reply;
//
// Keep the awaiter in a named local as above. GCC 12 miscompiles `co_await` of a temporary
// awaiter whose starter captures a std::string by value (it copies the capture bitwise and later
// frees it twice); a named local avoids that.
template <class T, class Starter>
detail::CallbackAwaiter<T, Starter> await_callback(Starter starter) {
    return detail::CallbackAwaiter<T, Starter>(std::move(starter));
}

}  // namespace switchboard
