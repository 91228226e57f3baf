#pragma once

#include <string>
#include <string_view>

namespace switchboard::mock {

// Converts an HTML document to Markdown, and to plain text with the same block structure, for
// the mock parser: headings, paragraphs, lists, links, emphasis, images, code blocks and line
// breaks; head, script and style are dropped, common entities decoded, whitespace collapsed.
// Forgiving like a browser: unclosed or stray tags never fail the conversion.
class HtmlToMarkdown {
public:
    struct Document {
        std::string markdown;
        std::string text;
    };

    static Document convert(std::string_view html);
};

}  // namespace switchboard::mock
