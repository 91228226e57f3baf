#include "config/overrides.hpp"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cstdint>
#include <optional>

#include "config/schema.hpp"
#include "config/suggest.hpp"

namespace switchboard::config {
namespace {

std::string normalize(std::string_view name) {
    std::string folded;
    for (char c : name) folded += c == '-' ? '_' : static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return folded;
}

std::vector<std::string> split_segments(std::string_view text) {
    std::vector<std::string> segments;
    while (true) {
        auto separator = text.find("__");
        segments.emplace_back(text.substr(0, separator));
        if (separator == std::string_view::npos) break;
        text.remove_prefix(separator + 2);
    }
    return segments;
}

std::string_view trim(std::string_view text) {
    while (!text.empty() && std::isspace(static_cast<unsigned char>(text.front()))) text.remove_prefix(1);
    while (!text.empty() && std::isspace(static_cast<unsigned char>(text.back()))) text.remove_suffix(1);
    return text;
}

std::optional<ValueKind> kind_of(const toml::node& node) {
    switch (node.type()) {
        case toml::node_type::string: return ValueKind::string;
        case toml::node_type::integer: return ValueKind::integer;
        case toml::node_type::floating_point: return ValueKind::floating;
        case toml::node_type::boolean: return ValueKind::boolean;
        case toml::node_type::array: {
            const auto* array = node.as_array();
            bool integers = !array->empty() && array->is_homogeneous(toml::node_type::integer);
            return integers ? ValueKind::integer_array : ValueKind::string_array;
        }
        case toml::node_type::table: return ValueKind::table;
        default: return std::nullopt;
    }
}

// Resolves and applies one variable; reports through `fail`.
class OverrideApplier {
public:
    OverrideApplier(toml::table& root, std::string variable, std::string value, std::vector<Problem>& problems)
        : root_(root), variable_(std::move(variable)), value_(std::move(value)), problems_(problems) {}

    // The key path set, or empty when the override could not be applied.
    std::string apply() {
        auto segments = split_segments(std::string_view(variable_).substr(Overrides::prefix.size()));
        if (std::any_of(segments.begin(), segments.end(), [](const auto& s) { return s.empty(); })) {
            return fail("", "malformed override name; expected SWITCHBOARD__SECTION__KEY or "
                            "SWITCHBOARD__SECTION__NAME__KEY, segments separated by '__'");
        }
        std::string wanted = normalize(segments[0]);
        auto section = std::find_if(sections.begin(), sections.end(),
                                    [&](const SectionSpec& s) { return s.name == wanted; });
        if (section == sections.end()) {
            return fail("", "unknown section '" + wanted + "'" + did_you_mean(wanted, section_names()) +
                                "; expected host, health, cost, server, plugins, backends or services");
        }
        std::string path(section->name);
        return section->has_entries() ? apply_to_entry(*section, segments, path)
                                      : apply_to_table(*section, segments, path);
    }

private:
    std::string apply_to_table(const SectionSpec& section, const std::vector<std::string>& segments,
                               const std::string& path) {
        if (segments.size() != 2) {
            return fail(path, "expected exactly one key after the section, as in SWITCHBOARD__" +
                                  upper(section.name) + "__" + upper(section.keys.front().name));
        }
        const KeySpec* key = find_key(section.keys, segments[1], path);
        if (!key) return {};
        toml::node* node = root_.get(section.name);
        if (!node) node = &root_.insert_or_assign(section.name, toml::table{}).first->second;
        toml::table* table = node->as_table();
        if (!table) return fail(path, "cannot apply the override: " + path + " is not a table in the config file");
        return set(*table, key->name, key->kind, join_key_path(path, key->name));
    }

    std::string apply_to_entry(const SectionSpec& section, const std::vector<std::string>& segments,
                               std::string path) {
        if (segments.size() < 3) {
            return fail(path, "expected an entry name and a key after the section, as in SWITCHBOARD__" +
                                  upper(section.name) + "__NAME__" + upper(section.keys.front().name));
        }
        std::string noun(section.entry_noun);
        toml::node* entries_node = root_.get(section.name);
        toml::table* entries = entries_node ? entries_node->as_table() : nullptr;
        if (!entries) {
            return fail(path, "no " + noun + " named like '" + normalize(segments[1]) +
                                  "' is defined; an override can only change what the file defines");
        }
        if (!find_table_entry(*entries, segments[1], noun, path)) return {};
        toml::table* entry = entries->get(entry_name_)->as_table();
        if (!entry) {
            return fail(join_key_path(path, entry_name_), "cannot apply the override: it is not a table in the config file");
        }
        path = join_key_path(path, entry_name_);

        const KeySpec* key = find_key(section.keys, segments[2], path);
        if (!key) return {};
        if (key->kind != ValueKind::table) {
            if (segments.size() != 3) return fail(path, "unexpected segments after '" + std::string(key->name) + "'");
            return set(*entry, key->name, key->kind, join_key_path(path, key->name));
        }
        return apply_to_table(*entry, key->name, segments, join_key_path(path, key->name));
    }

    // SWITCHBOARD__BACKENDS__NAME__SETTINGS__A__B (or __HTTP__KEY): replaces an existing value of
    // the entry's sub-table, keeping its type.
    std::string apply_to_table(toml::table& entry, std::string_view table_key, const std::vector<std::string>& segments,
                               std::string path) {
        if (segments.size() == 3) {
            return fail(path, "is a table; override one of its keys, as in " + variable_ + "__KEY");
        }
        toml::node* node = entry.get(table_key);
        for (std::size_t i = 3; i < segments.size(); ++i) {
            if (!node) {
                return fail(path, "no setting named like '" + normalize(segments[i]) +
                                      "' is defined; an override can only change what the file defines");
            }
            toml::table* table = node->as_table();
            if (!table) return fail(path, "is not a table, so it has no setting '" + normalize(segments[i]) + "'");
            if (!find_table_entry(*table, segments[i], "setting", path)) return {};
            path = join_key_path(path, entry_name_);
            node = table->get(entry_name_);
            if (i + 1 == segments.size()) {
                auto kind = kind_of(*node);
                if (!kind) return fail(path, "dates and times cannot be overridden from the environment");
                if (*kind == ValueKind::table) {
                    return fail(path, "is a table; override one of its keys, as in " + variable_ + "__KEY");
                }
                return set(*table, entry_name_, *kind, path);
            }
        }
        return {};
    }

    const KeySpec* find_key(std::span<const KeySpec> keys, const std::string& segment, const std::string& path) {
        std::string wanted = normalize(segment);
        for (const auto& key : keys) {
            if (key.name == wanted) return &key;
        }
        fail(path, "unknown key '" + wanted + "'" + did_you_mean(wanted, key_names(keys)));
        return nullptr;
    }

    // Finds the one key of `parent` matching `segment`; leaves its name in entry_name_.
    bool find_table_entry(toml::table& parent, const std::string& segment, const std::string& noun,
                          const std::string& path) {
        std::string wanted = normalize(segment);
        std::vector<std::string> matches;
        std::vector<std::string> names;
        for (auto&& [key, node] : parent) {
            names.emplace_back(key.str());
            if (normalize(key.str()) == wanted) matches.emplace_back(key.str());
        }
        if (matches.empty()) {
            fail(path, "no " + noun + " named like '" + wanted + "' is defined" + did_you_mean(wanted, names) +
                           "; an override can only change what the file defines");
            return false;
        }
        if (matches.size() > 1) {
            fail(path, "'" + wanted + "' matches both '" + matches[0] + "' and '" + matches[1] +
                           "'; rename one of them to override it");
            return false;
        }
        entry_name_ = matches.front();
        return true;
    }

    std::string set(toml::table& table, std::string_view key, ValueKind kind, const std::string& path) {
        switch (kind) {
            case ValueKind::string:
                table.insert_or_assign(key, value_);
                return path;
            case ValueKind::integer: {
                std::int64_t number = 0;
                auto [end, error] = std::from_chars(value_.data(), value_.data() + value_.size(), number);
                if (error != std::errc{} || end != value_.data() + value_.size()) {
                    return fail(path, "expected an integer, got '" + value_ + "'");
                }
                table.insert_or_assign(key, number);
                return path;
            }
            case ValueKind::floating: {
                double number = 0;
                auto [end, error] = std::from_chars(value_.data(), value_.data() + value_.size(), number);
                if (error != std::errc{} || end != value_.data() + value_.size()) {
                    return fail(path, "expected a number, got '" + value_ + "'");
                }
                table.insert_or_assign(key, number);
                return path;
            }
            case ValueKind::boolean: {
                std::string folded = normalize(value_);
                if (folded != "true" && folded != "false") return fail(path, "expected true or false, got '" + value_ + "'");
                table.insert_or_assign(key, folded == "true");
                return path;
            }
            case ValueKind::string_array: {
                toml::array items;
                std::string_view rest = value_;
                while (!trim(rest).empty()) {
                    auto comma = rest.find(',');
                    if (auto item = trim(rest.substr(0, comma)); !item.empty()) items.push_back(std::string(item));
                    if (comma == std::string_view::npos) break;
                    rest.remove_prefix(comma + 1);
                }
                table.insert_or_assign(key, std::move(items));
                return path;
            }
            case ValueKind::integer_array: {
                toml::array items;
                std::string_view rest = value_;
                while (!trim(rest).empty()) {
                    auto comma = rest.find(',');
                    std::string_view item = trim(rest.substr(0, comma));
                    std::int64_t number = 0;
                    auto [end, error] = std::from_chars(item.data(), item.data() + item.size(), number);
                    if (item.empty() || error != std::errc{} || end != item.data() + item.size()) {
                        return fail(path, "expected comma-separated integers, got '" + value_ + "'");
                    }
                    items.push_back(number);
                    if (comma == std::string_view::npos) break;
                    rest.remove_prefix(comma + 1);
                }
                table.insert_or_assign(key, std::move(items));
                return path;
            }
            case ValueKind::table:
                break;
        }
        return fail(path, "is a table; override one of its keys");
    }

    static std::string upper(std::string_view text) {
        std::string result;
        for (char c : text) result += static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
        return result;
    }

    std::string fail(std::string key_path, std::string message) {
        problems_.push_back({Severity::error, Position{"environment variable " + variable_}, std::move(key_path),
                             std::move(message)});
        return {};
    }

    toml::table& root_;
    std::string variable_;
    std::string value_;
    std::vector<Problem>& problems_;
    std::string entry_name_;
};

}  // namespace

Overrides Overrides::apply(toml::table& root, const std::map<std::string, std::string>& variables,
                           std::vector<Problem>& problems) {
    Overrides overrides;
    for (const auto& [name, value] : variables) {
        if (!name.starts_with(prefix)) continue;
        std::string path = OverrideApplier(root, name, value, problems).apply();
        if (!path.empty()) overrides.variable_by_path_[path] = name;
    }
    return overrides;
}

const std::string* Overrides::variable_for(std::string_view key_path) const {
    auto it = variable_by_path_.find(key_path);
    return it == variable_by_path_.end() ? nullptr : &it->second;
}

}  // namespace switchboard::config
