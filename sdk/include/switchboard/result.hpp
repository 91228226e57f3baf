#pragma once

#include <cassert>
#include <type_traits>
#include <utility>
#include <variant>

#include "switchboard/error.hpp"

namespace switchboard {

// Either a value or an Error. Owns what it holds; moves cheaply.
template <class T>
class [[nodiscard]] Result {
public:
    using value_type = T;

    Result(T value) : state_(std::in_place_index<0>, std::move(value)) {}
    Result(Error error) : state_(std::in_place_index<1>, std::move(error)) {}

    bool ok() const noexcept { return state_.index() == 0; }
    // Not for Result<bool>: `if (settings.get<bool>(...))` would test success, not the value.
    explicit operator bool() const noexcept
        requires(!std::is_same_v<T, bool>)
    {
        return ok();
    }

    T& value() & { assert(ok()); return std::get<0>(state_); }
    const T& value() const& { assert(ok()); return std::get<0>(state_); }
    T&& value() && { assert(ok()); return std::get<0>(std::move(state_)); }
    T value_or(T fallback) const& { return ok() ? std::get<0>(state_) : std::move(fallback); }
    T* operator->() { return &value(); }
    const T* operator->() const { return &value(); }

    Error& error() & { assert(!ok()); return std::get<1>(state_); }
    const Error& error() const& { assert(!ok()); return std::get<1>(state_); }
    Error&& error() && { assert(!ok()); return std::get<1>(std::move(state_)); }

private:
    std::variant<T, Error> state_;
};

// Success without a value, or an Error.
template <>
class [[nodiscard]] Result<void> {
public:
    using value_type = void;

    Result() = default;
    Result(Error error) : error_(std::move(error)), ok_(false) {}

    bool ok() const noexcept { return ok_; }
    explicit operator bool() const noexcept { return ok_; }
    const Error& error() const& { assert(!ok_); return error_; }
    Error&& error() && { assert(!ok_); return std::move(error_); }

private:
    Error error_;
    bool ok_ = true;
};

using Status = Result<void>;

template <class T>
struct is_result : std::false_type {};
template <class T>
struct is_result<Result<T>> : std::true_type {};
template <class T>
inline constexpr bool is_result_v = is_result<T>::value;

}  // namespace switchboard
