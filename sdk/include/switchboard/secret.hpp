#pragma once

#include <string>

#include "switchboard/visibility.hpp"

namespace switchboard {

// An API key. It has no stream operator and no implicit conversion: the only way to the value is
// reveal(), which a plugin calls when it builds the upstream request and nowhere else.
class SWITCHBOARD_API Secret {
public:
    Secret() = default;
    explicit Secret(std::string value) : value_(std::move(value)) {}

    bool empty() const noexcept { return value_.empty(); }
    const std::string& reveal() const noexcept { return value_; }

    // Safe to print: the key's public prefix ("sk-", "llx-") and nothing else.
    std::string redacted() const {
        if (value_.empty()) return "<unset>";
        auto dash = value_.find('-');
        if (dash != std::string::npos && dash < 4) return value_.substr(0, dash + 1) + "****";
        return "****";
    }

private:
    std::string value_;
};

}  // namespace switchboard
