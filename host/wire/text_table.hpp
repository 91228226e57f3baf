#pragma once

#include <algorithm>
#include <ostream>
#include <string>
#include <vector>

namespace switchboard::wire {

// Prints rows as left-aligned columns, the first row being the header: the text tables of the
// CLI and of the reports.
inline void print_table(std::ostream& out, const std::vector<std::vector<std::string>>& rows) {
    std::vector<std::size_t> widths;
    for (const auto& row : rows) {
        widths.resize(std::max(widths.size(), row.size()));
        for (std::size_t i = 0; i < row.size(); ++i) widths[i] = std::max(widths[i], row[i].size());
    }
    for (const auto& row : rows) {
        for (std::size_t i = 0; i < row.size(); ++i) {
            out << row[i];
            if (i + 1 < row.size()) out << std::string(widths[i] - row[i].size() + 2, ' ');
        }
        out << '\n';
    }
}

}  // namespace switchboard::wire
