#include "ledger/export.hpp"

#include <chrono>
#include <cstdint>
#include <iterator>

#include <fmt/format.h>

#include "cost/money.hpp"

namespace switchboard::ledger {
namespace {

constexpr std::string_view csv_header =
    "time,request_id,client,service,backend,model,mode,fallback_reason,input_tokens,pages,credits,cost_usd,"
    "shadow_cost_usd,latency_ms,outcome\r\n";

void append_csv_field(std::string& out, std::string_view text) {
    if (text.find_first_of(",\"\r\n") == std::string_view::npos) {
        out.append(text);
        return;
    }
    out.push_back('"');
    for (char c : text) {
        if (c == '"') out.push_back('"');
        out.push_back(c);
    }
    out.push_back('"');
}

// The length of the well-formed UTF-8 sequence starting text[i], or 0 when it is not one.
std::size_t utf8_sequence(std::string_view text, std::size_t i) {
    const auto byte = [&](std::size_t k) { return static_cast<unsigned char>(text[k]); };
    const unsigned char lead = byte(i);
    std::size_t length = 0;
    unsigned char low = 0x80;  // the allowed range of the second byte (no overlongs, no surrogates)
    unsigned char high = 0xBF;
    if (lead >= 0xC2 && lead <= 0xDF) {
        length = 2;
    } else if (lead >= 0xE0 && lead <= 0xEF) {
        length = 3;
        if (lead == 0xE0) low = 0xA0;
        if (lead == 0xED) high = 0x9F;
    } else if (lead >= 0xF0 && lead <= 0xF4) {
        length = 4;
        if (lead == 0xF0) low = 0x90;
        if (lead == 0xF4) high = 0x8F;
    } else {
        return 0;
    }
    if (i + length > text.size()) return 0;
    if (byte(i + 1) < low || byte(i + 1) > high) return 0;
    for (std::size_t k = 2; k < length; ++k) {
        if (byte(i + k) < 0x80 || byte(i + k) > 0xBF) return 0;
    }
    return length;
}

// Control characters escaped; bytes that are not UTF-8 become U+FFFD so the output stays JSON.
void append_json_string(std::string& out, std::string_view text) {
    out.push_back('"');
    for (std::size_t i = 0; i < text.size();) {
        const auto c = static_cast<unsigned char>(text[i]);
        if (c >= 0x80) {
            if (const auto length = utf8_sequence(text, i)) {
                out.append(text.substr(i, length));
                i += length;
            } else {
                out.append("\\ufffd");
                ++i;
            }
            continue;
        }
        switch (c) {
            case '"': out.append("\\\""); break;
            case '\\': out.append("\\\\"); break;
            case '\b': out.append("\\b"); break;
            case '\f': out.append("\\f"); break;
            case '\n': out.append("\\n"); break;
            case '\r': out.append("\\r"); break;
            case '\t': out.append("\\t"); break;
            default:
                if (c < 0x20) {
                    fmt::format_to(std::back_inserter(out), "\\u{:04x}", c);
                } else {
                    out.push_back(static_cast<char>(c));
                }
        }
        ++i;
    }
    out.push_back('"');
}

// "2026-11-29T08:00:00.000123Z"
void append_time(std::string& out, WallTime time) {
    using namespace std::chrono;
    const auto micros = floor<microseconds>(time);
    const auto day = floor<days>(micros);
    const year_month_day date{day};
    const hh_mm_ss clock{micros - day};
    fmt::format_to(std::back_inserter(out), "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:06}Z",
                   static_cast<int>(date.year()), static_cast<unsigned>(date.month()),
                   static_cast<unsigned>(date.day()), clock.hours().count(), clock.minutes().count(),
                   clock.seconds().count(), clock.subseconds().count());
}

// The exact decimal of value / 1000, without trailing zeros: "1.5", "12", "0.125".
void append_thousandths(std::string& out, std::int64_t value) {
    const bool negative = value < 0;
    const std::uint64_t magnitude =
        negative ? std::uint64_t{0} - static_cast<std::uint64_t>(value) : static_cast<std::uint64_t>(value);
    if (negative) out.push_back('-');
    fmt::format_to(std::back_inserter(out), "{}", magnitude / 1000);
    if (auto fraction = magnitude % 1000; fraction != 0) {
        int digits = 3;
        while (fraction % 10 == 0) {
            fraction /= 10;
            --digits;
        }
        fmt::format_to(std::back_inserter(out), ".{:0{}}", fraction, digits);
    }
}

void append_csv_row(std::string& out, const Row& row) {
    append_time(out, row.time);
    for (const auto* text : {&row.request_id, &row.client, &row.service, &row.backend, &row.model, &row.mode,
                             &row.fallback_reason}) {
        out.push_back(',');
        append_csv_field(out, *text);
    }
    fmt::format_to(std::back_inserter(out), ",{},{},", row.input_tokens, row.pages);
    append_thousandths(out, row.credits_milli);
    out.append(",").append(cost::to_decimal(row.cost));
    out.append(",").append(cost::to_decimal(row.shadow_cost));
    out.push_back(',');
    append_thousandths(out, row.latency.count());
    out.push_back(',');
    append_csv_field(out, row.outcome);
    out.append("\r\n");
}

void append_json_row(std::string& out, const Row& row) {
    out.append("{\"time\":\"");
    append_time(out, row.time);
    out.push_back('"');
    auto text = [&](std::string_view name, std::string_view value) {
        out.append(",\"").append(name).append("\":");
        append_json_string(out, value);
    };
    text("request_id", row.request_id);
    text("client", row.client);
    text("service", row.service);
    text("backend", row.backend);
    text("model", row.model);
    text("mode", row.mode);
    text("fallback_reason", row.fallback_reason);
    fmt::format_to(std::back_inserter(out), ",\"input_tokens\":{},\"pages\":{},\"credits\":", row.input_tokens,
                   row.pages);
    append_thousandths(out, row.credits_milli);
    out.append(",\"cost_usd\":").append(cost::to_decimal(row.cost));
    out.append(",\"shadow_cost_usd\":").append(cost::to_decimal(row.shadow_cost));
    out.append(",\"latency_ms\":");
    append_thousandths(out, row.latency.count());
    text("outcome", row.outcome);
    out.push_back('}');
}

}  // namespace

std::string csv_field(std::string_view text) {
    std::string out;
    append_csv_field(out, text);
    return out;
}

std::string json_string(std::string_view text) {
    std::string out;
    append_json_string(out, text);
    return out;
}

std::int64_t export_rows(const Reader& reader, const Query& query, Format format, std::ostream& out) {
    return export_rows(&reader, query, format, out);
}

std::string thousandths(std::int64_t value) {
    std::string text;
    append_thousandths(text, value);
    return text;
}

std::int64_t export_rows(const Reader* reader, const Query& query, Format format, std::ostream& out) {
    std::int64_t count = 0;
    std::string line;  // reused: one row's text at a time
    auto emit = [&] {
        out.write(line.data(), static_cast<std::streamsize>(line.size()));
        if (!out) {
            throw std::runtime_error(fmt::format(
                "the export stopped after {} rows: its output could not be written (disk full or closed pipe?)",
                count));
        }
    };
    line = format == Format::csv ? csv_header : "[";
    emit();
    auto write_row = [&](const Row& row) {
        line.clear();
        if (format == Format::csv) {
            append_csv_row(line, row);
        } else {
            line.append(count == 0 ? "\n" : ",\n");
            append_json_row(line, row);
        }
        emit();
        ++count;
    };
    if (reader != nullptr) reader->for_each(query, write_row);
    if (format == Format::json) {
        line = count == 0 ? "]\n" : "\n]\n";
        emit();
    }
    if (!out.flush()) {
        throw std::runtime_error(fmt::format(
            "the export of {} rows could not be written to its end (disk full or closed pipe?)", count));
    }
    return count;
}

}  // namespace switchboard::ledger
