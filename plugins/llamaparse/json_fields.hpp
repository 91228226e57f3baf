#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include <boost/json/value.hpp>

#include "switchboard/result.hpp"

// Defensive reads of upstream JSON: a missing or mistyped field is an upstream_error naming the
// request and the field, never an exception.
namespace switchboard::llamaparse {

inline Error shape_error(std::string_view where, std::string_view problem) {
    return Error::make(ErrorKind::upstream_error,
                       "LlamaParse answer to " + std::string(where) + " " + std::string(problem));
}

// The member `key`, or null when absent (or when `object` is no object).
inline const boost::json::value* member(const boost::json::value& object, std::string_view key) {
    if (!object.is_object()) return nullptr;
    return object.as_object().if_contains(key);
}

// A JSON number holding a whole value, as an integer.
inline std::optional<std::int64_t> whole_number(const boost::json::value& value) {
    if (value.is_int64()) return value.as_int64();
    if (value.is_uint64() && value.as_uint64() <= static_cast<std::uint64_t>(INT64_MAX)) {
        return static_cast<std::int64_t>(value.as_uint64());
    }
    if (value.is_double()) {
        double d = value.as_double();
        if (d == static_cast<double>(static_cast<std::int64_t>(d))) return static_cast<std::int64_t>(d);
    }
    return std::nullopt;
}

inline std::optional<double> any_number(const boost::json::value& value) {
    if (value.is_int64()) return static_cast<double>(value.as_int64());
    if (value.is_uint64()) return static_cast<double>(value.as_uint64());
    if (value.is_double()) return value.as_double();
    return std::nullopt;
}

inline std::string json_kind(const boost::json::value& value) {
    switch (value.kind()) {
        case boost::json::kind::null: return "null";
        case boost::json::kind::bool_: return "a boolean";
        case boost::json::kind::int64:
        case boost::json::kind::uint64:
        case boost::json::kind::double_: return "a number";
        case boost::json::kind::string: return "a string";
        case boost::json::kind::array: return "an array";
        case boost::json::kind::object: return "an object";
    }
    return "a value";
}

}  // namespace switchboard::llamaparse

namespace switchboard::llamaparse {

// A non-empty string member of an object answer, e.g. the new job's `id`.
inline Result<std::string> required_string(const boost::json::value& answer, std::string_view key,
                                           std::string_view where) {
    if (!answer.is_object()) return shape_error(where, "is " + json_kind(answer) + ", not an object");
    const auto* value = member(answer, key);
    if (!value || !value->is_string() || value->as_string().empty()) {
        return shape_error(where, "has no string '" + std::string(key) + "'");
    }
    return std::string(value->as_string());
}

}  // namespace switchboard::llamaparse
