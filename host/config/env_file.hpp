#pragma once

#include <filesystem>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "config/config.hpp"

namespace switchboard::config {

// A .env file: KEY=VALUE lines, '#' comments, blank lines, an optional "export " prefix and
// optional single or double quotes around the value. Problems never quote a value.
struct EnvFile {
    std::map<std::string, std::string> variables;
    std::vector<Problem> problems;

    // `file_label` is the file name used in problem positions.
    static EnvFile parse(std::string_view text, const std::string& file_label);
    // An absent file is an empty EnvFile; an unreadable one is a problem.
    static EnvFile read(const std::filesystem::path& path);
};

}  // namespace switchboard::config
