#pragma once

#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace switchboard::config {

// True for a shell-style variable name: letters, digits and '_', not starting with a digit.
bool is_variable_name(std::string_view name) noexcept;

// The result of expanding ${VAR}, ${VAR:-default} and $$ in one string value.
struct Expansion {
    std::string value;
    std::vector<std::string> missing;         // variables unset and without a default, in order
    std::optional<std::string> syntax_error;  // describes the spot; never quotes the value

    bool ok() const noexcept { return missing.empty() && !syntax_error; }
};

// Returns the variable's value, or null when it is not set.
using VariableLookup = std::function<const std::string*(std::string_view name)>;

// ${NAME:-default} takes the default when NAME is unset or empty; a '$' not followed by '{' or
// '$' is literal; expanded values are not expanded again.
Expansion expand_variables(std::string_view text, const VariableLookup& lookup);

}  // namespace switchboard::config
