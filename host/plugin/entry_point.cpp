#include "plugin/entry_point.hpp"

#include <algorithm>
#include <array>
#include <cctype>
#include <exception>
#include <fstream>
#include <string_view>
#include <vector>

#include <boost/dll/library_info.hpp>

#include "switchboard/abi.hpp"

namespace switchboard::plugin {

namespace {

bool has_elf_header(const std::filesystem::path& file) {
    std::array<char, 4> magic{};
    std::ifstream in(file, std::ios::binary);
    in.read(magic.data(), magic.size());
    return in.gcount() == 4 && std::string_view(magic.data(), 4) == "\x7f" "ELF";
}

// "99" for "switchboard_plugin_v99"; empty when `symbol` is not an entry point of any ABI.
std::string entry_abi_major(std::string_view symbol) {
    constexpr std::string_view prefix = SWITCHBOARD_ENTRY_PREFIX;
    if (!symbol.starts_with(prefix) || symbol.size() == prefix.size()) return {};
    auto digits = symbol.substr(prefix.size());
    bool all_digits = std::all_of(digits.begin(), digits.end(),
                                  [](unsigned char c) { return std::isdigit(c) != 0; });
    return all_digits ? std::string(digits) : std::string();
}

std::optional<std::string> problem_in(boost::dll::library_info& info) {
    constexpr const char* entry = SWITCHBOARD_STRINGIFY(SWITCHBOARD_ENTRY_SYMBOL);
    constexpr const char* section = SWITCHBOARD_STRINGIFY(SWITCHBOARD_SECTION);

    std::vector<std::string> symbols;
    auto sections = info.sections();
    if (std::find(sections.begin(), sections.end(), section) != sections.end()) {
        symbols = info.symbols(section);
    }
    if (std::find(symbols.begin(), symbols.end(), entry) != symbols.end()) return std::nullopt;

    for (const auto& symbol : symbols) {
        if (auto major = entry_abi_major(symbol); !major.empty()) {
            return "built for plugin ABI " + major + "; this host speaks ABI " +
                   std::to_string(SWITCHBOARD_ABI_MAJOR) +
                   " (rebuild the plugin against SDK " SWITCHBOARD_SDK_VERSION ")";
        }
    }
    return std::string("no Switchboard entry point: no symbol ") + entry + " in section " +
           section + " (export the plugin with SWITCHBOARD_PLUGIN(YourClass) from "
                     "<switchboard/plugin.hpp>)";
}

}  // namespace

std::optional<std::string> entry_point_problem(const std::filesystem::path& file) {
    if (!has_elf_header(file)) {
        return "not an ELF shared library: the file does not start with an ELF header";
    }
    try {
        boost::dll::library_info info(file);
        return problem_in(info);
    } catch (const std::exception& e) {
        return std::string("not a readable ELF shared library: ") + e.what();
    }
}

}  // namespace switchboard::plugin
