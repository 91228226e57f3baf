#pragma once

#include <cstdint>
#include <string_view>
#include <utility>
#include <vector>

#include "switchboard/result.hpp"

namespace switchboard::mock {

// The pages a parse request asks for, in LlamaParse's target_pages syntax: 0-based page numbers
// and inclusive ranges separated by commas ("0,2-4"). An empty spec selects every page.
class PageSelection {
public:
    // Errors are bad_request naming the option; the caller adds which request it was.
    static Result<PageSelection> parse(std::string_view spec);

    bool selects_all() const noexcept { return ranges_.empty(); }

    // The selected 0-based page indices, ascending and without repeats; an error if the
    // selection reaches past the document's last page.
    Result<std::vector<std::int32_t>> resolve(std::int32_t page_count) const;

private:
    std::vector<std::pair<std::int32_t, std::int32_t>> ranges_;  // inclusive
};

}  // namespace switchboard::mock
