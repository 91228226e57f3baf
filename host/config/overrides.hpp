#pragma once

#include <functional>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include <toml++/toml.h>

#include "config/config.hpp"

namespace switchboard::config {

// Environment variables SWITCHBOARD__SECTION__[NAME__]KEY=value that replace config values
// before validation. Segments match key names case-insensitively, with '-' read as '_'.
class Overrides {
public:
    static constexpr std::string_view prefix = "SWITCHBOARD__";

    // Applies every SWITCHBOARD__ variable to `root`, parsing each value to the type its key
    // needs; one problem for each variable that cannot be applied.
    static Overrides apply(toml::table& root, const std::map<std::string, std::string>& variables,
                           std::vector<Problem>& problems);

    // The variable that set the value at `key_path`, or null when the file's value stands.
    const std::string* variable_for(std::string_view key_path) const;

private:
    std::map<std::string, std::string, std::less<>> variable_by_path_;
};

}  // namespace switchboard::config
