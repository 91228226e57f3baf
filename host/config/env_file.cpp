#include "config/env_file.hpp"

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>

#include "config/interpolation.hpp"

namespace switchboard::config {
namespace {

bool is_blank(char c) { return c == ' ' || c == '\t'; }

std::size_t skip_blanks(std::string_view line, std::size_t pos) {
    while (pos < line.size() && is_blank(line[pos])) ++pos;
    return pos;
}

std::string_view trim_right(std::string_view text) {
    while (!text.empty() && is_blank(text.back())) text.remove_suffix(1);
    return text;
}

// Parses one line into `file`; `number` is 1-based.
class LineParser {
public:
    LineParser(EnvFile& file, const std::string& label, std::map<std::string, int>& first_seen)
        : file_(file), label_(label), first_seen_(first_seen) {}

    void parse(std::string_view line, int number) {
        std::size_t pos = skip_blanks(line, 0);
        if (pos == line.size() || line[pos] == '#') return;
        if (line.substr(pos, 6) == "export" && pos + 6 < line.size() && is_blank(line[pos + 6])) {
            pos = skip_blanks(line, pos + 6);
        }

        auto equals = line.find('=', pos);
        if (equals == std::string_view::npos) {
            fail(number, pos, "expected KEY=VALUE");
            return;
        }
        std::string name(trim_right(line.substr(pos, equals - pos)));
        if (!is_variable_name(name)) {
            fail(number, pos, "invalid variable name before '='; use letters, digits and '_', not starting with a digit");
            return;
        }

        std::size_t value_start = skip_blanks(line, equals + 1);
        std::string value;
        if (value_start < line.size() && (line[value_start] == '"' || line[value_start] == '\'')) {
            if (!parse_quoted(line, value_start, number, name, value)) return;
        } else {
            value = std::string(trim_right(line.substr(value_start)));
        }

        auto [seen, inserted] = first_seen_.emplace(name, number);
        if (!inserted) {
            file_.problems.push_back({Severity::warning, Position{label_, number, static_cast<int>(pos) + 1}, "",
                                      name + " is already set on line " + std::to_string(seen->second) +
                                          "; the later value wins"});
        }
        file_.variables[name] = std::move(value);
    }

private:
    bool parse_quoted(std::string_view line, std::size_t open, int number, const std::string& name,
                      std::string& value) {
        char quote = line[open];
        std::size_t pos = open + 1;
        bool closed = false;
        while (pos < line.size()) {
            char c = line[pos++];
            if (c == quote) {
                closed = true;
                break;
            }
            if (quote == '"' && c == '\\' && pos < line.size()) {
                char escaped = line[pos++];
                switch (escaped) {
                    case 'n': value += '\n'; break;
                    case 't': value += '\t'; break;
                    case '"': value += '"'; break;
                    case '\\': value += '\\'; break;
                    default: value += '\\'; value += escaped; break;
                }
                continue;
            }
            value += c;
        }
        std::string quote_name = quote == '"' ? "double quote" : "single quote";
        if (!closed) {
            fail(number, open, "unterminated " + quote_name + " in the value of " + name);
            return false;
        }
        std::size_t rest = skip_blanks(line, pos);
        if (rest < line.size() && line[rest] != '#') {
            fail(number, rest, "unexpected text after the closing " + quote_name + " in the value of " + name);
            return false;
        }
        return true;
    }

    void fail(int number, std::size_t pos, std::string message) {
        file_.problems.push_back(
            {Severity::error, Position{label_, number, static_cast<int>(pos) + 1}, "", std::move(message)});
    }

    EnvFile& file_;
    const std::string& label_;
    std::map<std::string, int>& first_seen_;
};

}  // namespace

EnvFile EnvFile::parse(std::string_view text, const std::string& file_label) {
    EnvFile file;
    std::map<std::string, int> first_seen;
    LineParser parser(file, file_label, first_seen);
    int number = 0;
    while (!text.empty()) {
        ++number;
        auto newline = text.find('\n');
        std::string_view line = text.substr(0, newline);
        if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
        parser.parse(line, number);
        if (newline == std::string_view::npos) break;
        text.remove_prefix(newline + 1);
    }
    return file;
}

EnvFile EnvFile::read(const std::filesystem::path& path) {
    std::error_code error;
    if (!std::filesystem::exists(path, error)) return {};
    std::ifstream in(path, std::ios::binary);
    if (!in) {
        EnvFile file;
        file.problems.push_back({Severity::error, Position{path.string()}, "",
                                 std::string("cannot read the file: ") + std::strerror(errno)});
        return file;
    }
    std::ostringstream text;
    text << in.rdbuf();
    return parse(text.str(), path.string());
}

}  // namespace switchboard::config
