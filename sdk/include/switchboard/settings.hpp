#pragma once

#include <cstdint>
#include <initializer_list>
#include <map>
#include <span>
#include <string>
#include <string_view>
#include <type_traits>
#include <variant>
#include <vector>

#include "switchboard/result.hpp"

namespace switchboard {

using SettingValue = std::variant<bool, std::int64_t, double, std::string, std::vector<std::string>>;

// A backend's settings table from config, flattened: nested tables become dotted keys
// ("retry.max_attempts"). The host builds it; the plugin reads it in start() and keeps a copy
// if it needs one. Errors name the key and where it came from (`origin`, e.g.
// "config/switchboard.toml [backends.mock-embed.settings]").
class SWITCHBOARD_API Settings {
public:
    Settings() = default;
    explicit Settings(std::string origin) : origin_(std::move(origin)) {}

    // `position` is where the value was written ("file:line:column"), for error messages.
    void set(std::string key, SettingValue value, std::string position = {}) {
        if (!position.empty()) positions_[key] = std::move(position);
        values_[std::move(key)] = std::move(value);
    }
    bool contains(std::string_view key) const { return values_.find(key) != values_.end(); }
    const std::map<std::string, SettingValue, std::less<>>& values() const { return values_; }
    const std::string& origin() const { return origin_; }

    // For messages about `key`: " at FILE:LINE:COLUMN" when its position is known, else
    // " in ORIGIN", or "" when neither is.
    std::string where(std::string_view key) const {
        auto it = positions_.find(key);
        return it != positions_.end() ? " at " + it->second : in_origin();
    }

    // The value at `key`, or `fallback` when absent; a value of the wrong type is a bad_request
    // error naming the key. Integers are accepted where a double is asked for.
    template <class T>
    Result<T> get(std::string_view key, T fallback) const {
        auto it = values_.find(key);
        if (it == values_.end()) return fallback;
        return convert<T>(key, it->second);
    }

    template <class T>
    Result<T> require(std::string_view key) const {
        auto it = values_.find(key);
        if (it == values_.end()) {
            return Error::make(ErrorKind::bad_request,
                               "missing setting '" + std::string(key) + "'" + in_origin());
        }
        return convert<T>(key, it->second);
    }

    // An error listing every key not in `known`, so typos do not pass silently.
    Status only_keys(std::span<const std::string_view> known) const {
        std::string unknown;
        for (const auto& [key, value] : values_) {
            bool found = false;
            for (auto k : known) found = found || k == key;
            if (!found) unknown += (unknown.empty() ? "'" : ", '") + key + "'";
        }
        if (unknown.empty()) return {};
        std::string allowed;
        for (auto k : known) allowed += (allowed.empty() ? "" : ", ") + std::string(k);
        return Error::make(ErrorKind::bad_request,
                           "unknown setting " + unknown + in_origin() + " (known: " + allowed + ")");
    }
    Status only_keys(std::initializer_list<std::string_view> known) const {
        return only_keys(std::span<const std::string_view>(known.begin(), known.size()));
    }

private:
    std::string in_origin() const { return origin_.empty() ? "" : " in " + origin_; }

    template <class T>
    static constexpr std::string_view type_name() {
        if constexpr (std::is_same_v<T, bool>) return "a boolean";
        else if constexpr (std::is_same_v<T, std::int64_t>) return "an integer";
        else if constexpr (std::is_same_v<T, double>) return "a number";
        else if constexpr (std::is_same_v<T, std::string>) return "a string";
        else return "an array of strings";
    }

    template <class T>
    Result<T> convert(std::string_view key, const SettingValue& value) const {
        static_assert(std::is_same_v<T, bool> || std::is_same_v<T, std::int64_t> ||
                          std::is_same_v<T, double> || std::is_same_v<T, std::string> ||
                          std::is_same_v<T, std::vector<std::string>>,
                      "Settings::get supports bool, int64_t, double, string, vector<string>");
        if (const T* v = std::get_if<T>(&value)) return *v;
        if constexpr (std::is_same_v<T, double>) {
            if (const auto* i = std::get_if<std::int64_t>(&value)) return static_cast<double>(*i);
        }
        return Error::make(ErrorKind::bad_request, "setting '" + std::string(key) + "'" + where(key) +
                                                       " must be " + std::string(type_name<T>()));
    }

    std::map<std::string, SettingValue, std::less<>> values_;
    std::map<std::string, std::string, std::less<>> positions_;
    std::string origin_;
};

}  // namespace switchboard
