#include "mock_parse/html_to_markdown.hpp"

#include <algorithm>
#include <array>
#include <charconv>
#include <cstdint>
#include <utility>
#include <vector>

#include "mock_parse/text_utils.hpp"

namespace switchboard::mock {
namespace {

// ---- entities ------------------------------------------------------------------------------

void append_utf8(std::string& out, std::uint32_t code) {
    if (code == 0 || code > 0x10FFFF || (code >= 0xD800 && code <= 0xDFFF)) code = 0xFFFD;
    if (code < 0x80) {
        out += static_cast<char>(code);
    } else if (code < 0x800) {
        out += static_cast<char>(0xC0 | (code >> 6));
        out += static_cast<char>(0x80 | (code & 0x3F));
    } else if (code < 0x10000) {
        out += static_cast<char>(0xE0 | (code >> 12));
        out += static_cast<char>(0x80 | ((code >> 6) & 0x3F));
        out += static_cast<char>(0x80 | (code & 0x3F));
    } else {
        out += static_cast<char>(0xF0 | (code >> 18));
        out += static_cast<char>(0x80 | ((code >> 12) & 0x3F));
        out += static_cast<char>(0x80 | ((code >> 6) & 0x3F));
        out += static_cast<char>(0x80 | (code & 0x3F));
    }
}

// Named entities common in real pages. &nbsp; becomes a plain space: Markdown has no use for
// the distinction and collapsing treats it like any other space.
constexpr std::array<std::pair<std::string_view, std::uint32_t>, 16> named_entities{{
    {"amp", '&'}, {"lt", '<'}, {"gt", '>'}, {"quot", '"'}, {"apos", '\''}, {"nbsp", ' '},
    {"copy", 0xA9}, {"reg", 0xAE}, {"trade", 0x2122}, {"hellip", 0x2026}, {"mdash", 0x2014},
    {"ndash", 0x2013}, {"lsquo", 0x2018}, {"rsquo", 0x2019}, {"ldquo", 0x201C}, {"rdquo", 0x201D},
}};

// Decodes the entity starting at text[0] == '&'; returns the bytes it used, 0 if it is none.
std::size_t decode_entity(std::string_view text, std::string& out) {
    auto semicolon = text.find(';');
    if (semicolon == std::string_view::npos || semicolon < 2 || semicolon > 10) return 0;
    std::string_view name = text.substr(1, semicolon - 1);
    if (name.front() == '#') {
        bool hex = name.size() > 1 && (name[1] == 'x' || name[1] == 'X');
        std::string_view digits = name.substr(hex ? 2 : 1);
        std::uint32_t code = 0;
        auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), code, hex ? 16 : 10);
        if (digits.empty() || end != digits.data() + digits.size()) return 0;
        append_utf8(out, ec == std::errc{} ? code : 0xFFFD);
        return semicolon + 1;
    }
    for (auto [entity, code] : named_entities) {
        if (entity == name) {
            append_utf8(out, code);
            return semicolon + 1;
        }
    }
    return 0;
}

std::string decode_entities(std::string_view text) {
    std::string out;
    out.reserve(text.size());
    for (std::size_t i = 0; i < text.size();) {
        if (text[i] == '&') {
            if (auto used = decode_entity(text.substr(i), out)) {
                i += used;
                continue;
            }
        }
        out += text[i++];
    }
    return out;
}

// ---- tokens --------------------------------------------------------------------------------

bool is_space(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f'; }
bool is_alpha(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }
struct Tag {
    std::string name;  // lowercase
    bool closing = false;
    bool self_closing = false;
    std::vector<std::pair<std::string, std::string>> attributes;  // names lowercase, values decoded

    std::string_view attribute(std::string_view key) const {
        for (const auto& [name, value] : attributes) {
            if (name == key) return value;
        }
        return {};
    }
};

struct Token {
    bool is_tag = false;
    std::string text;  // decoded, when !is_tag
    Tag tag;
};

bool is_one_of(std::string_view name, std::initializer_list<std::string_view> names) {
    return std::find(names.begin(), names.end(), name) != names.end();
}

bool is_void_element(std::string_view name) {
    return is_one_of(name, {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta",
                            "source", "track", "wbr"});
}

// Finds `needle` in `haystack` from `from`, ignoring ASCII case.
std::size_t find_ignoring_case(std::string_view haystack, std::string_view needle, std::size_t from) {
    for (std::size_t i = from; i + needle.size() <= haystack.size(); ++i) {
        bool match = true;
        for (std::size_t j = 0; match && j < needle.size(); ++j) {
            match = ascii_lower(haystack[i + j]) == needle[j];
        }
        if (match) return i;
    }
    return std::string_view::npos;
}

// Reads a tag whose '<' is at html[at]; returns the position after its '>'.
std::size_t read_tag(std::string_view html, std::size_t at, Tag& tag) {
    std::size_t i = at + 1;
    if (html[i] == '/') {
        tag.closing = true;
        ++i;
    }
    std::size_t name_start = i;
    while (i < html.size() && (is_alpha(html[i]) || (html[i] >= '0' && html[i] <= '9') || html[i] == '-' ||
                               html[i] == ':')) {
        ++i;
    }
    tag.name = ascii_lowercase(html.substr(name_start, i - name_start));
    while (i < html.size()) {
        while (i < html.size() && is_space(html[i])) ++i;
        if (i >= html.size()) break;
        if (html[i] == '>') return i + 1;
        if (html[i] == '/') {
            tag.self_closing = i + 1 < html.size() && html[i + 1] == '>';
            ++i;
            continue;
        }
        std::size_t key_start = i;
        while (i < html.size() && !is_space(html[i]) && html[i] != '=' && html[i] != '>' && html[i] != '/') {
            ++i;
        }
        std::string key = ascii_lowercase(html.substr(key_start, i - key_start));
        if (key.empty()) {
            ++i;  // a stray '=': skip it
            continue;
        }
        while (i < html.size() && is_space(html[i])) ++i;
        std::string value;
        if (i < html.size() && html[i] == '=') {
            ++i;
            while (i < html.size() && is_space(html[i])) ++i;
            if (i < html.size() && (html[i] == '"' || html[i] == '\'')) {
                auto close = html.find(html[i], i + 1);
                if (close == std::string_view::npos) close = html.size();
                value = decode_entities(html.substr(i + 1, close - i - 1));
                i = std::min(close + 1, html.size());
            } else {
                std::size_t value_start = i;
                while (i < html.size() && !is_space(html[i]) && html[i] != '>') ++i;
                value = decode_entities(html.substr(value_start, i - value_start));
            }
        }
        tag.attributes.emplace_back(std::move(key), std::move(value));
    }
    return html.size();
}

std::vector<Token> tokenize(std::string_view html) {
    std::vector<Token> tokens;
    std::string text;
    auto flush_text = [&] {
        if (!text.empty()) tokens.push_back(Token{false, decode_entities(text), {}});
        text.clear();
    };
    std::size_t i = 0;
    while (i < html.size()) {
        if (html[i] != '<') {
            text += html[i++];
            continue;
        }
        if (html.substr(i, 4) == "<!--") {
            auto end = html.find("-->", i + 4);
            i = end == std::string_view::npos ? html.size() : end + 3;
            continue;
        }
        if (i + 1 < html.size() && (html[i + 1] == '!' || html[i + 1] == '?')) {
            auto end = html.find('>', i);
            i = end == std::string_view::npos ? html.size() : end + 1;
            continue;
        }
        std::size_t name_at = i + 1 + (i + 1 < html.size() && html[i + 1] == '/' ? 1 : 0);
        if (name_at >= html.size() || !is_alpha(html[name_at])) {
            text += html[i++];  // a literal '<'
            continue;
        }
        flush_text();
        Token token{true, {}, {}};
        i = read_tag(html, i, token.tag);
        if (is_void_element(token.tag.name)) token.tag.self_closing = true;
        bool raw_text = !token.tag.closing && !token.tag.self_closing &&
                        (token.tag.name == "script" || token.tag.name == "style");
        if (raw_text) {
            // Dropped with their content, which is not HTML and may contain '<'.
            auto end = find_ignoring_case(html, "</" + token.tag.name, i);
            if (end == std::string_view::npos) return tokens;
            auto close = html.find('>', end);
            i = close == std::string_view::npos ? html.size() : close + 1;
            continue;
        }
        tokens.push_back(std::move(token));
    }
    flush_text();
    return tokens;
}

// ---- rendering -----------------------------------------------------------------------------

enum class Flavor { markdown, text };

bool is_block_element(std::string_view name) {
    return is_one_of(name, {"address", "article", "aside", "blockquote", "body", "caption", "center", "dd",
                            "details", "dialog", "div", "dl", "dt", "fieldset", "figcaption", "figure",
                            "footer", "form", "header", "hgroup", "html", "main", "nav", "p", "section",
                            "summary", "table", "tbody", "tfoot", "thead", "tr"});
}

bool is_skipped_element(std::string_view name) {
    return is_one_of(name, {"head", "title", "noscript", "template"});
}

int heading_level(std::string_view name) {
    if (name.size() == 2 && name[0] == 'h' && name[1] >= '1' && name[1] <= '6') return name[1] - '0';
    return 0;
}

// The language of a code block from class="language-cpp" (or "lang-cpp").
std::string code_language(const Tag& tag) {
    std::string_view classes = tag.attribute("class");
    while (!classes.empty()) {
        auto end = classes.find(' ');
        std::string_view word = classes.substr(0, end);
        for (std::string_view prefix : {"language-", "lang-"}) {
            if (word.size() > prefix.size() && word.substr(0, prefix.size()) == prefix) {
                return std::string(word.substr(prefix.size()));
            }
        }
        if (end == std::string_view::npos) break;
        classes.remove_prefix(end + 1);
    }
    return {};
}

// Walks the tokens once, collecting blocks. The block being built is `inline_`; `prefix_` is
// the marker ("## ", "- ") the next non-empty block starts with.
class Renderer {
public:
    explicit Renderer(Flavor flavor) : flavor_(flavor) {}

    std::string render(const std::vector<Token>& tokens) {
        for (const auto& token : tokens) {
            if (!token.is_tag) {
                add_text(token.text);
            } else if (token.tag.closing) {
                close(token.tag.name);
            } else {
                open(token.tag);
            }
        }
        if (in_pre_) finish_pre();
        flush();
        return std::move(out_);
    }

private:
    struct List {
        bool ordered = false;
        int next = 1;
        std::string indent;       // before this list's markers
        std::string item_indent;  // before the continuation lines of its current item
    };
    struct Span {
        std::string kind;  // "strong", "em", "code" or "a"
        std::size_t start = 0;
        std::string href;
    };

    bool markdown() const { return flavor_ == Flavor::markdown; }

    bool in_code_span() const {
        return std::any_of(spans_.begin(), spans_.end(),
                           [](const Span& span) { return span.kind == "code"; });
    }

    void add_text(std::string_view text) {
        if (skip_depth_ > 0) return;
        if (in_pre_) {
            pre_ += text;
            return;
        }
        bool escape = markdown() && !in_code_span();
        for (char c : text) {
            if (!is_space(c)) {
                // Text that would read as Markdown syntax stays text.
                if (escape && std::string_view("\\*`[]<").find(c) != std::string_view::npos) inline_ += '\\';
                inline_ += c;
            } else if (!inline_.empty() && inline_.back() != ' ' && inline_.back() != '\n') {
                inline_ += ' ';
            }
        }
    }

    void open(const Tag& tag) {
        const std::string& name = tag.name;
        if (name == "body") skip_depth_ = 0;  // a head left unclosed ends here
        if (is_skipped_element(name)) {
            if (!tag.self_closing) ++skip_depth_;
            return;
        }
        if (skip_depth_ > 0) return;
        if (in_pre_) {
            if (name == "br") pre_ += '\n';
            if (name == "code" && pre_language_.empty()) pre_language_ = code_language(tag);
            return;
        }
        if (int level = heading_level(name)) {
            flush();
            prefix_ = markdown() ? std::string(level, '#') + ' ' : "";
            in_heading_ = true;
        } else if (is_block_element(name)) {
            flush();
        } else if (name == "ul" || name == "ol") {
            flush();
            List list;
            list.ordered = name == "ol";
            if (list.ordered) {
                auto start = tag.attribute("start");
                std::from_chars(start.data(), start.data() + start.size(), list.next);
            }
            list.indent = lists_.empty() ? "" : lists_.back().item_indent;
            lists_.push_back(std::move(list));
        } else if (name == "li") {
            flush();
            if (lists_.empty()) lists_.push_back(List{});
            List& list = lists_.back();
            std::string marker = list.ordered ? std::to_string(list.next++) + ". " : "- ";
            prefix_ = list.indent + marker;
            list.item_indent = list.indent + std::string(marker.size(), ' ');
        } else if (name == "br") {
            while (!inline_.empty() && inline_.back() == ' ') inline_.pop_back();
            inline_ += '\n';
        } else if (name == "hr") {
            flush();
            if (markdown()) emit("---");
        } else if (name == "img") {
            std::string alt(tag.attribute("alt"));
            std::string_view src = tag.attribute("src");
            inline_ += markdown() && !src.empty() ? "![" + alt + "](" + std::string(src) + ")" : alt;
        } else if (name == "pre") {
            flush();
            in_pre_ = true;
            pre_.clear();
            pre_language_ = code_language(tag);
        } else if (name == "strong" || name == "b") {
            spans_.push_back(Span{"strong", inline_.size(), {}});
        } else if (name == "em" || name == "i") {
            spans_.push_back(Span{"em", inline_.size(), {}});
        } else if (name == "code") {
            spans_.push_back(Span{"code", inline_.size(), {}});
        } else if (name == "a") {
            spans_.push_back(Span{"a", inline_.size(), std::string(tag.attribute("href"))});
        } else if (name == "td" || name == "th") {
            if (!inline_.empty() && inline_.back() != ' ' && inline_.back() != '\n') inline_ += ' ';
        }
    }

    void close(const std::string& name) {
        if (is_skipped_element(name)) {
            if (skip_depth_ > 0) --skip_depth_;
            return;
        }
        if (skip_depth_ > 0) return;
        if (in_pre_) {
            if (name == "pre") finish_pre();
            return;
        }
        if (heading_level(name)) {
            flush();
            prefix_.clear();
            in_heading_ = false;
        } else if (is_block_element(name)) {
            flush();
        } else if (name == "ul" || name == "ol") {
            flush();
            prefix_.clear();
            if (!lists_.empty()) lists_.pop_back();
            if (lists_.empty()) last_tight_ = false;  // the next list is a list of its own
        } else if (name == "li") {
            flush();
            prefix_.clear();
        } else if (name == "strong" || name == "b") {
            close_span("strong");
        } else if (name == "em" || name == "i") {
            close_span("em");
        } else if (name == "code") {
            close_span("code");
        } else if (name == "a") {
            close_span("a");
        }
    }

    void close_span(std::string_view kind) {
        auto it = std::find_if(spans_.rbegin(), spans_.rend(), [&](const Span& s) { return s.kind == kind; });
        if (it == spans_.rend()) return;  // a stray closing tag
        Span span = *it;
        spans_.erase(std::prev(it.base()), spans_.end());  // spans left open inside it end here too

        std::size_t start = std::min(span.start, inline_.size());
        std::string content = inline_.substr(start);
        inline_.resize(start);
        auto first = content.find_first_not_of(" \n");
        if (first == std::string::npos) {
            inline_ += content;
            return;
        }
        auto last = content.find_last_not_of(" \n");
        std::string core = content.substr(first, last - first + 1);
        // Spaces stay outside the markers: "** bold **" is not emphasis in Markdown.
        inline_ += content.substr(0, first);
        inline_ += markdown() ? decorate(span, core) : core;
        inline_ += content.substr(last + 1);
    }

    static std::string decorate(const Span& span, const std::string& core) {
        if (span.kind == "strong") return "**" + core + "**";
        if (span.kind == "em") return "*" + core + "*";
        if (span.kind == "code") {
            return core.find('`') == std::string::npos ? "`" + core + "`" : "`` " + core + " ``";
        }
        return span.href.empty() ? core : "[" + core + "](" + span.href + ")";
    }

    void finish_pre() {
        in_pre_ = false;
        std::string_view content = pre_;
        if (content.starts_with('\n')) content.remove_prefix(1);  // as browsers do
        while (!content.empty() && is_space(content.back())) content.remove_suffix(1);
        if (content.empty()) return;
        if (markdown()) {
            std::string fence = content.find("```") == std::string_view::npos ? "```" : "~~~";
            emit(fence + pre_language_ + "\n" + std::string(content) + "\n" + fence);
        } else {
            emit(std::string(content));
        }
    }

    // Ends the block being built: emits it if it has any text.
    void flush() {
        for (auto& span : spans_) span.start = 0;  // spans open across a block wrap the next one
        auto first = inline_.find_first_not_of(" \n");
        if (first == std::string::npos) {
            inline_.clear();
            return;
        }
        auto last = inline_.find_last_not_of(" \n");
        std::string body = inline_.substr(first, last - first + 1);
        inline_.clear();

        bool in_list = !lists_.empty();
        std::string lead = !prefix_.empty() ? prefix_ : in_list ? lists_.back().item_indent : "";
        std::string continuation = in_list ? lists_.back().item_indent : "";
        std::string block = lead;
        for (char c : body) {
            if (c != '\n') {
                block += c;
            } else if (in_heading_) {
                block += ' ';  // a heading is one line
            } else {
                block += '\n' + continuation;
            }
        }
        prefix_.clear();
        emit(block, in_list);
    }

    // Appends a finished block: list items follow each other on the next line, everything
    // else after a blank line.
    void emit(const std::string& block, bool tight = false) {
        if (!out_.empty()) out_ += tight && last_tight_ ? "\n" : "\n\n";
        out_ += block;
        last_tight_ = tight;
    }

    Flavor flavor_;
    std::string out_;
    bool last_tight_ = false;
    std::string inline_;
    std::string prefix_;
    bool in_heading_ = false;
    std::vector<List> lists_;
    std::vector<Span> spans_;
    int skip_depth_ = 0;
    bool in_pre_ = false;
    std::string pre_;
    std::string pre_language_;
};

}  // namespace

HtmlToMarkdown::Document HtmlToMarkdown::convert(std::string_view html) {
    auto tokens = tokenize(normalise_line_endings(html));
    return Document{Renderer(Flavor::markdown).render(tokens), Renderer(Flavor::text).render(tokens)};
}

}  // namespace switchboard::mock
