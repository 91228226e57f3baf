#include "mock_parse/page_selection.hpp"

#include <algorithm>
#include <charconv>
#include <optional>
#include <string>

namespace switchboard::mock {
namespace {

std::string_view trim_spaces(std::string_view text) {
    while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) text.remove_prefix(1);
    while (!text.empty() && (text.back() == ' ' || text.back() == '\t')) text.remove_suffix(1);
    return text;
}

std::optional<std::int32_t> page_number(std::string_view text) {
    text = trim_spaces(text);
    std::int32_t value = 0;
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (text.empty() || text.front() == '-' || ec != std::errc{} || end != text.data() + text.size()) {
        return std::nullopt;
    }
    return value;
}

Error bad_option(const std::string& problem) {
    return Error::make(ErrorKind::bad_request, "option 'target_pages' " + problem);
}

}  // namespace

Result<PageSelection> PageSelection::parse(std::string_view spec) {
    PageSelection selection;
    if (trim_spaces(spec).empty()) return selection;

    auto syntax_error = [&] {
        return bad_option(
            "must be 0-based page numbers or ranges separated by commas, like \"0,2-4\"; got \"" +
            std::string(spec) + "\"");
    };
    std::string_view rest = spec;
    while (true) {
        auto comma = rest.find(',');
        std::string_view item = rest.substr(0, comma);
        auto dash = item.find('-');
        auto first = page_number(item.substr(0, dash));
        auto last = dash == std::string_view::npos ? first : page_number(item.substr(dash + 1));
        if (!first || !last) return syntax_error();
        if (*first > *last) {
            return bad_option("has the range \"" + std::string(trim_spaces(item)) +
                              "\", whose start is after its end");
        }
        selection.ranges_.emplace_back(*first, *last);
        if (comma == std::string_view::npos) break;
        rest.remove_prefix(comma + 1);
    }
    return selection;
}

Result<std::vector<std::int32_t>> PageSelection::resolve(std::int32_t page_count) const {
    std::vector<std::int32_t> pages;
    if (ranges_.empty()) {
        for (std::int32_t page = 0; page < page_count; ++page) pages.push_back(page);
        return pages;
    }
    for (auto [first, last] : ranges_) {
        if (last >= page_count) {
            return bad_option("selects page " + std::to_string(last) + ", but the document has " +
                              std::to_string(page_count) + (page_count == 1 ? " page" : " pages") +
                              " (numbered from 0)");
        }
        for (std::int32_t page = first; page <= last; ++page) pages.push_back(page);
    }
    std::sort(pages.begin(), pages.end());
    pages.erase(std::unique(pages.begin(), pages.end()), pages.end());
    return pages;
}

}  // namespace switchboard::mock
