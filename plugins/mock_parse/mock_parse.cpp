#include "mock_parse/mock_parse.hpp"

#include <algorithm>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "mock_common/sha256.hpp"
#include "mock_parse/html_to_markdown.hpp"
#include "mock_parse/text_utils.hpp"
#include "mock_parse/page_selection.hpp"

namespace switchboard::mock {
namespace {

enum class DocumentKind { text, markdown, html, other };

std::string_view trim(std::string_view text, std::string_view blanks = " \t\n\f\v") {
    auto first = text.find_first_not_of(blanks);
    if (first == std::string_view::npos) return {};
    return text.substr(first, text.find_last_not_of(blanks) - first + 1);
}

// "text/html; charset=utf-8" -> "text/html".
std::string mime_essence(std::string_view mime) {
    return ascii_lowercase(trim(mime.substr(0, mime.find(';'))));
}

// ".pdf" for "reports/Q3.PDF"; empty when the name has no extension.
std::string extension_of(std::string_view file_name) {
    auto slash = file_name.find_last_of("/\\");
    if (slash != std::string_view::npos) file_name.remove_prefix(slash + 1);
    auto dot = file_name.rfind('.');
    return dot == std::string_view::npos || dot == 0 ? "" : ascii_lowercase(file_name.substr(dot));
}

// The MIME type decides; the file name only when the type is missing or generic.
DocumentKind classify(const ParseRequest& request) {
    auto mime = mime_essence(request.mime_type);
    if (mime == "text/plain") return DocumentKind::text;
    if (mime == "text/markdown" || mime == "text/x-markdown") return DocumentKind::markdown;
    if (mime == "text/html" || mime == "application/xhtml+xml") return DocumentKind::html;
    if (!mime.empty() && mime != "application/octet-stream") return DocumentKind::other;
    auto extension = extension_of(request.file_name);
    if (extension == ".txt" || extension == ".text") return DocumentKind::text;
    if (extension == ".md" || extension == ".markdown") return DocumentKind::markdown;
    if (extension == ".html" || extension == ".htm") return DocumentKind::html;
    return DocumentKind::other;
}

std::string_view to_string(DocumentKind kind) {
    switch (kind) {
        case DocumentKind::text: return "text";
        case DocumentKind::markdown: return "markdown";
        case DocumentKind::html: return "html";
        case DocumentKind::other: return "summary";
    }
    return "summary";
}

std::string guess_mime(std::string_view file_name) {
    static constexpr std::pair<std::string_view, std::string_view> known[] = {
        {".pdf", "application/pdf"},
        {".docx", "application/vnd.openxmlformats-officedocument.wordprocessingml.document"},
        {".xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"},
        {".pptx", "application/vnd.openxmlformats-officedocument.presentationml.presentation"},
        {".doc", "application/msword"},
        {".png", "image/png"},
        {".jpg", "image/jpeg"},
        {".jpeg", "image/jpeg"},
        {".csv", "text/csv"},
        {".json", "application/json"},
    };
    auto extension = extension_of(file_name);
    for (auto [ext, mime] : known) {
        if (ext == extension) return std::string(mime);
    }
    return "application/octet-stream";
}

// Markdown paragraphs from plain text: blank lines separate paragraphs; each line is trimmed
// (leading spaces would turn a line into a code block).
std::string paragraphs_of(std::string_view text) {
    std::string markdown;
    bool in_paragraph = false;
    bool paragraph_ended = false;
    while (!text.empty()) {
        auto newline = text.find('\n');
        auto line = trim(text.substr(0, newline), " \t\f\v");
        text.remove_prefix(newline == std::string_view::npos ? text.size() : newline + 1);
        if (line.empty()) {
            paragraph_ended = in_paragraph;
            continue;
        }
        if (in_paragraph) markdown += paragraph_ended ? "\n\n" : "\n";
        markdown += line;
        in_paragraph = true;
        paragraph_ended = false;
    }
    return markdown;
}

// Pages of a text file, split at form feeds (a final form feed does not start a page).
std::vector<PageItem> text_pages(const std::string& text) {
    std::vector<std::string_view> parts;
    std::string_view rest = text;
    while (true) {
        auto feed = rest.find('\f');
        parts.push_back(rest.substr(0, feed));
        if (feed == std::string_view::npos) break;
        rest.remove_prefix(feed + 1);
    }
    if (parts.size() > 1 && trim(parts.back()).empty()) parts.pop_back();
    std::vector<PageItem> pages;
    for (std::size_t i = 0; i < parts.size(); ++i) {
        pages.push_back(PageItem{static_cast<std::int32_t>(i + 1), paragraphs_of(parts[i]),
                                 std::string(trim(parts[i]))});
    }
    return pages;
}

bool is_pdf_space(char c) {
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\0';
}

bool is_pdf_delimiter(char c) {
    return is_pdf_space(c) || c == '(' || c == ')' || c == '<' || c == '>' || c == '[' || c == ']' ||
           c == '{' || c == '}' || c == '/' || c == '%';
}

// Counts page objects ("/Type /Page"), not the page tree nodes ("/Type /Pages"). Pages inside
// compressed object streams are invisible to this; such a file counts as one page.
std::int32_t count_pdf_pages(std::string_view pdf) {
    std::int32_t pages = 0;
    for (auto at = pdf.find("/Type"); at != std::string_view::npos; at = pdf.find("/Type", at + 5)) {
        auto next = at + 5;
        while (next < pdf.size() && is_pdf_space(pdf[next])) ++next;
        if (pdf.substr(next, 5) != "/Page") continue;
        next += 5;
        if (next == pdf.size() || is_pdf_delimiter(pdf[next])) ++pages;
    }
    return pages;
}

std::string display_name(const ParseRequest& request) {
    return request.file_name.empty() ? "(unnamed file)" : request.file_name;
}

struct Summary {
    std::string markdown;
    std::string text;
};

// The stand-in for a file the mock cannot read: the facts any parser could state about it.
Result<Summary> summarise(const ParseRequest& request, std::int32_t page_count) {
    auto sha256 = sha256_hex(request.data);
    if (!sha256) return std::move(sha256).error();
    auto mime = trim(request.mime_type);
    std::vector<std::pair<std::string, std::string>> facts = {
        {"MIME type", mime.empty() ? guess_mime(request.file_name) : std::string(mime)},
        {"Size", std::to_string(request.data.size()) + " bytes"},
        {"SHA-256", sha256.value()},
        {"Pages", std::to_string(page_count)},
    };
    const ParseOptions& options = request.options;
    if (!trim(options.target_pages).empty()) facts.emplace_back("Target pages", options.target_pages);
    if (!options.mode.empty()) facts.emplace_back("Mode", options.mode);
    if (!options.language.empty()) facts.emplace_back("Language", options.language);

    std::string name = display_name(request);
    std::string note = std::string(MockParse::plugin_name) + " does not extract the content of " +
                       facts[0].second + " files; this summary stands in for it.";
    std::string markdown = "# " + name + "\n\n";
    std::string text = name + "\n\n";
    for (const auto& [label, value] : facts) {
        markdown += "- " + label + ": " + value + "\n";
        text += label + ": " + value + "\n";
    }
    markdown += "\n" + note;
    text += "\n" + note;
    return Summary{std::move(markdown), std::move(text)};
}

std::string joined(const std::vector<PageItem>& pages, std::string PageItem::*field) {
    std::string out;
    for (const auto& page : pages) {
        if ((page.*field).empty()) continue;
        if (!out.empty()) out += "\n\n";
        out += page.*field;
    }
    return out;
}

Error with_request(Error error, const CallContext& ctx) {
    error.message += " (request " + ctx.request_id + ")";
    return error;
}

}  // namespace

PluginInfo MockParse::info() const {
    PluginInfo info;
    info.name = std::string(plugin_name);
    info.version = "1.0.0";
    info.capabilities = {std::string(capability::parse)};
    return info;
}

Task<Result<ParseResponse>> MockParse::parse(CallContext ctx, ParseRequest request) {
    if (auto error = guard_started(ctx)) co_return std::move(*error);
    CallPlan plan = next_call();
    auto response = compute(ctx, request);
    if (!response) co_return std::move(response);
    if (debug_enabled(ctx)) {
        ctx.log(LogLevel::debug, "parse call " + std::to_string(plan.call) + ": file '" + request.file_name +
                                     "' as " + std::string(to_string(classify(request))) + ", bytes " +
                                     std::to_string(request.data.size()) + ", pages " +
                                     std::to_string(response->pages.size()) + ", latency " +
                                     std::to_string(plan.latency.count()) + " ms");
    }

    auto status = co_await enact(plan, ctx);
    if (!status) co_return std::move(status).error();
    // A page numbered 0 breaks the 1-based contract, as a faulty upstream might.
    if (plan.malformed()) response->pages.front().page = 0;
    co_return std::move(response);
}

Result<ParseResponse> MockParse::compute(const CallContext& ctx, const ParseRequest& request) const {
    auto selection = PageSelection::parse(request.options.target_pages);
    if (!selection) return with_request(std::move(selection).error(), ctx);

    ParseResponse response;
    std::vector<PageItem> pages;
    auto kind = classify(request);
    if (kind == DocumentKind::text) {
        pages = text_pages(normalise_line_endings(request.data));
    } else if (kind == DocumentKind::markdown) {
        auto markdown = normalise_line_endings(request.data);
        pages.push_back(PageItem{1, markdown, markdown});
    } else if (kind == DocumentKind::html) {
        auto document = HtmlToMarkdown::convert(request.data);
        pages.push_back(PageItem{1, std::move(document.markdown), std::move(document.text)});
    } else {
        bool is_pdf = request.data.starts_with("%PDF-");
        std::int32_t count = is_pdf ? std::max(count_pdf_pages(request.data), 1) : 1;
        auto summary = summarise(request, count);
        if (!summary) return std::move(summary).error();
        response.markdown = std::move(summary->markdown);
        response.text = std::move(summary->text);
        std::string name = display_name(request);
        for (std::int32_t page = 1; page <= count; ++page) {
            std::string line = name + ", page " + std::to_string(page) + " of " + std::to_string(count) +
                               ": content not extracted by " + std::string(plugin_name);
            pages.push_back(PageItem{page, line, line});
        }
    }

    auto selected = selection->resolve(static_cast<std::int32_t>(pages.size()));
    if (!selected) return with_request(std::move(selected).error(), ctx);
    for (auto index : selected.value()) response.pages.push_back(std::move(pages[index]));
    if (kind != DocumentKind::other) {
        response.markdown = joined(response.pages, &PageItem::markdown);
        response.text = joined(response.pages, &PageItem::text);
    }
    response.usage.pages = static_cast<std::int64_t>(response.pages.size());
    response.usage.credits = 0.0;
    return response;
}

}  // namespace switchboard::mock
