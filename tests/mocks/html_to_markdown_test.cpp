#include <string>

#include <catch2/catch.hpp>

#include "mock_parse/html_to_markdown.hpp"

namespace switchboard::mock {
namespace {

const std::string release_notes = R"html(<!DOCTYPE html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <title>Switchboard &ndash; Release notes</title>
  <style>body { font-family: sans-serif; } p > a { color: red; }</style>
  <script>if (a < b && c > d) { document.write("<p>no</p>"); }</script>
</head>
<body>
  <nav><a href="/">Home</a> | <a href="/docs?page=1&amp;lang=en">Docs</a></nav>
  <!-- main content -->
  <main>
    <h1>Release   notes</h1>
    <p>Switchboard <strong>0.2</strong> routes requests to <em>mock</em> or <b>real</b> backends.
       Read the <a href="https://example.com/guide">setup guide</a> first.</p>
    <h2>What&#39;s new</h2>
    <ul>
      <li>Hybrid mode with <code>fallback_timeout</code></li>
      <li>Plugins:
        <ul>
          <li>mock-embeddings</li>
          <li>mock-parse</li>
        </ul>
      </li>
    </ul>
    <h3>Upgrade steps</h3>
    <ol>
      <li>Stop the host.</li>
      <li>Replace the binary &amp; restart.</li>
    </ol>
    <pre><code class="language-toml">[host]
default_mode = "hybrid"
</code></pre>
    <p>Questions? Write to<br>support&#64;example.com &lt;support&gt;</p>
  </main>
  <script src="app.js"></script>
  <footer><p>&copy; 2024 Switchboard&nbsp;team</p></footer>
</body>
</html>
)html";

TEST_CASE("a realistic HTML page becomes the expected Markdown", "[mocks]") {
    CHECK(HtmlToMarkdown::convert(release_notes).markdown ==
          "[Home](/) | [Docs](/docs?page=1&lang=en)\n"
          "\n"
          "# Release notes\n"
          "\n"
          "Switchboard **0.2** routes requests to *mock* or **real** backends. Read the "
          "[setup guide](https://example.com/guide) first.\n"
          "\n"
          "## What's new\n"
          "\n"
          "- Hybrid mode with `fallback_timeout`\n"
          "- Plugins:\n"
          "  - mock-embeddings\n"
          "  - mock-parse\n"
          "\n"
          "### Upgrade steps\n"
          "\n"
          "1. Stop the host.\n"
          "2. Replace the binary & restart.\n"
          "\n"
          "```toml\n"
          "[host]\n"
          "default_mode = \"hybrid\"\n"
          "```\n"
          "\n"
          "Questions? Write to\n"
          "support@example.com \\<support>\n"
          "\n"
          "\xC2\xA9 2024 Switchboard team");
}

TEST_CASE("the same page becomes plain text with the same blocks", "[mocks]") {
    CHECK(HtmlToMarkdown::convert(release_notes).text ==
          "Home | Docs\n"
          "\n"
          "Release notes\n"
          "\n"
          "Switchboard 0.2 routes requests to mock or real backends. Read the setup guide first.\n"
          "\n"
          "What's new\n"
          "\n"
          "- Hybrid mode with fallback_timeout\n"
          "- Plugins:\n"
          "  - mock-embeddings\n"
          "  - mock-parse\n"
          "\n"
          "Upgrade steps\n"
          "\n"
          "1. Stop the host.\n"
          "2. Replace the binary & restart.\n"
          "\n"
          "[host]\n"
          "default_mode = \"hybrid\"\n"
          "\n"
          "Questions? Write to\n"
          "support@example.com <support>\n"
          "\n"
          "\xC2\xA9 2024 Switchboard team");
}

TEST_CASE("entities decode to their characters", "[mocks]") {
    CHECK(
        HtmlToMarkdown::convert("<p>&amp; &lt; &gt; &quot; &#39; &apos; a&nbsp;b &#233; &#xE9; &#X1F600;</p>")
            .text == "& < > \" ' ' a b \xC3\xA9 \xC3\xA9 \xF0\x9F\x98\x80");
    // Unknown or unterminated entities stay as written; impossible code points become U+FFFD.
    CHECK(HtmlToMarkdown::convert("<p>&bogus; &amp &#0; &#xD800;</p>").text ==
          "&bogus; &amp \xEF\xBF\xBD \xEF\xBF\xBD");
}

TEST_CASE("headings of every level get their number of hashes", "[mocks]") {
    CHECK(HtmlToMarkdown::convert("<h1>A</h1><h2>B</h2><h3>C</h3><h4>D</h4><h5>E</h5><h6>F</h6>").markdown ==
          "# A\n\n## B\n\n### C\n\n#### D\n\n##### E\n\n###### F");
    CHECK(HtmlToMarkdown::convert("<h2>Two<br>lines</h2><h3></h3><p>after</p>").markdown == "## Two lines\n\nafter");
}

TEST_CASE("emphasis keeps spaces outside its markers", "[mocks]") {
    CHECK(HtmlToMarkdown::convert("<p>a<strong> bold </strong>b <em>it</em>, <i></i><b> </b>c</p>").markdown ==
          "a **bold** b *it*, c");
    CHECK(HtmlToMarkdown::convert("<p><code>a`b</code> and 2*3</p>").markdown == "`` a`b `` and 2\\*3");
}

TEST_CASE("lists nest, number from their start and stay separate", "[mocks]") {
    CHECK(HtmlToMarkdown::convert("<ol start=\"9\"><li>nine<ol><li>inner</li></ol></li><li>ten</li></ol>"
                                  "<ul><li><p>para item</p></li></ul><p>end</p>")
              .markdown == "9. nine\n   1. inner\n10. ten\n\n- para item\n\nend");
    CHECK(HtmlToMarkdown::convert("<ul><li>a</li></ul><ul><li>b</li></ul>").markdown == "- a\n\n- b");
}

TEST_CASE("images and links without text degrade gracefully", "[mocks]") {
    auto document = HtmlToMarkdown::convert(
        "<p><a href=\"/x\"><img src=\"logo.png\" alt=\"Logo\"></a> <a>no href</a> <a href=\"/y\"></a>end</p>");
    CHECK(document.markdown == "[![Logo](logo.png)](/x) no href end");
    CHECK(document.text == "Logo no href end");
}

TEST_CASE("broken HTML converts without failing", "[mocks]") {
    CHECK(HtmlToMarkdown::convert("<p>open <b>bold <i>both</p><p>next").markdown == "open bold both\n\nnext");
    CHECK(HtmlToMarkdown::convert("a < b and </b> stray <3").markdown == "a \\< b and stray \\<3");
    CHECK(HtmlToMarkdown::convert("<script>never closed <p>x</p>").markdown.empty());
    CHECK(HtmlToMarkdown::convert("<head><title>t</title><body><p>body without closed head</p>").markdown ==
          "body without closed head");
    CHECK(HtmlToMarkdown::convert("<pre>\n  indented\n    code\n</pre>").markdown == "```\n  indented\n    code\n```");
    CHECK(HtmlToMarkdown::convert("<p a='1' b=2 c>x</p><div/>y<br/>z").markdown == "x\n\ny\nz");
    CHECK(HtmlToMarkdown::convert("").markdown.empty());
}

}  // namespace
}  // namespace switchboard::mock
