#include <string>
#include <vector>

#include <catch2/catch.hpp>

#include "mock_parse/mock_parse.hpp"
#include "mocks/mock_harness.hpp"

namespace switchboard::mock {
namespace {

using testing::Host;
using testing::Started;

ParseRequest document(std::string file_name, std::string mime_type, std::string data) {
    ParseRequest request;
    request.file_name = std::move(file_name);
    request.mime_type = std::move(mime_type);
    request.data = std::move(data);
    return request;
}

Result<ParseResponse> parse(ParseRequest request,
                            std::initializer_list<std::pair<std::string, SettingValue>> settings = {}) {
    Host host;
    MockParse plugin;
    testing::start_or_fail(plugin, host, settings);
    Started call(plugin.parse(host.context(), std::move(request)));
    REQUIRE(call.done());
    return std::move(call.result());
}

ParseResponse parsed(ParseRequest request) {
    auto response = parse(std::move(request));
    INFO((response.ok() ? std::string() : response.error().message));
    REQUIRE(response.ok());
    return std::move(response).value();
}

std::vector<std::int32_t> page_numbers(const ParseResponse& response) {
    std::vector<std::int32_t> numbers;
    for (const auto& page : response.pages) numbers.push_back(page.page);
    return numbers;
}

// Three page objects (spelled three ways) under one page tree node, which must not count.
const std::string three_page_pdf =
    "%PDF-1.4\n"
    "1 0 obj << /Type /Catalog /Pages 2 0 R >> endobj\n"
    "2 0 obj << /Type /Pages /Kids [3 0 R 4 0 R 5 0 R] /Count 3 >> endobj\n"
    "3 0 obj << /Type /Page /Parent 2 0 R >> endobj\n"
    "4 0 obj << /Type/Page/Parent 2 0 R >> endobj\n"
    "5 0 obj <</Type\n/Page>> endobj\n"
    "trailer << /Root 1 0 R >>\n"
    "%%EOF\n";
const std::string three_page_pdf_sha256 = "039057c8f0ca75d41341a6bdbd9f96f5d43184985eb37c81a3beaa14e8799d05";

TEST_CASE("mock-parse describes itself as a parse plugin", "[mocks]") {
    MockParse plugin;
    auto info = plugin.info();
    CHECK(info.name == "mock-parse");
    CHECK(info.version == "1.0.0");
    CHECK(info.capabilities == std::vector<std::string>{"parse"});
    CHECK(info.api_key_prefix.empty());
}

TEST_CASE("plain text becomes Markdown paragraphs, one page per form feed", "[mocks]") {
    auto response =
        parsed(document("notes.txt", "text/plain",
                        "  First line\r\nsame paragraph\r\n\r\n\r\nSecond\tparagraph  \n\fPage two\n\f"));
    CHECK(response.markdown == "First line\nsame paragraph\n\nSecond\tparagraph\n\nPage two");
    CHECK(response.text == "First line\nsame paragraph\n\n\nSecond\tparagraph\n\nPage two");
    REQUIRE(response.pages.size() == 2);
    CHECK(response.pages[0].page == 1);
    CHECK(response.pages[0].markdown == "First line\nsame paragraph\n\nSecond\tparagraph");
    CHECK(response.pages[1].page == 2);
    CHECK(response.pages[1].text == "Page two");
    CHECK(response.usage.pages == 2);
    CHECK(response.usage.credits == 0.0);
}

TEST_CASE("the file name decides the type when the MIME type is missing or generic", "[mocks]") {
    CHECK(parsed(document("a.TXT", "", "x\ny")).markdown == "x\ny");
    CHECK(parsed(document("a.md", "application/octet-stream", "# T\r\n")).markdown == "# T\n");
    CHECK(parsed(document("a.htm", "", "<h2>T</h2>")).markdown == "## T");
    // A declared type wins over the name.
    CHECK(parsed(document("page.txt", "text/html; charset=utf-8", "<b>x</b>")).markdown == "**x**");
}

TEST_CASE("Markdown passes through with normalised line endings", "[mocks]") {
    const std::string source = "# Title\r\n\r\nSome *text*\rwith [a link](x).\n\n- item\n";
    auto response = parsed(document("readme.md", "text/markdown", source));
    CHECK(response.markdown == "# Title\n\nSome *text*\nwith [a link](x).\n\n- item\n");
    CHECK(response.text == response.markdown);
    REQUIRE(response.pages.size() == 1);
    CHECK(response.pages[0].page == 1);
    CHECK(response.pages[0].markdown == response.markdown);
}

TEST_CASE("HTML becomes Markdown on one page", "[mocks]") {
    auto response = parsed(document("index.html", "text/html",
                                    "<html><head><title>x</title></head><body><h1>Hi &amp; bye</h1>"
                                    "<p>See <a href=\"https://x.test\">this</a>.</p></body></html>"));
    CHECK(response.markdown == "# Hi & bye\n\nSee [this](https://x.test).");
    CHECK(response.text == "Hi & bye\n\nSee this.");
    REQUIRE(response.pages.size() == 1);
    CHECK(response.pages[0].markdown == response.markdown);
    CHECK(response.usage.pages == 1);
}

TEST_CASE("a PDF gets a summary with its page count, not counting the page tree", "[mocks]") {
    auto response = parsed(document("report.pdf", "application/pdf", three_page_pdf));
    CHECK(response.markdown ==
          "# report.pdf\n"
          "\n"
          "- MIME type: application/pdf\n"
          "- Size: 282 bytes\n"
          "- SHA-256: " + three_page_pdf_sha256 + "\n"
          "- Pages: 3\n"
          "\n"
          "mock-parse does not extract the content of application/pdf files; this summary stands in for it.");
    CHECK(response.text ==
          "report.pdf\n"
          "\n"
          "MIME type: application/pdf\n"
          "Size: 282 bytes\n"
          "SHA-256: " + three_page_pdf_sha256 + "\n"
          "Pages: 3\n"
          "\n"
          "mock-parse does not extract the content of application/pdf files; this summary stands in for it.");
    CHECK(page_numbers(response) == std::vector<std::int32_t>{1, 2, 3});
    CHECK(response.pages[1].markdown == "report.pdf, page 2 of 3: content not extracted by mock-parse");
    CHECK(response.usage.pages == 3);
    CHECK(response.usage.credits == 0.0);
}

TEST_CASE("a PDF's options are echoed and target_pages selects its pages", "[mocks]") {
    auto request = document("report.pdf", "", three_page_pdf);
    request.options.target_pages = "0,2";
    request.options.mode = "parse_page_with_llm";
    request.options.language = "de";
    auto response = parsed(request);
    CHECK(response.markdown ==
          "# report.pdf\n"
          "\n"
          "- MIME type: application/pdf\n"
          "- Size: 282 bytes\n"
          "- SHA-256: " + three_page_pdf_sha256 + "\n"
          "- Pages: 3\n"
          "- Target pages: 0,2\n"
          "- Mode: parse_page_with_llm\n"
          "- Language: de\n"
          "\n"
          "mock-parse does not extract the content of application/pdf files; this summary stands in for it.");
    CHECK(page_numbers(response) == std::vector<std::int32_t>{1, 3});
    CHECK(response.usage.pages == 2);
}

TEST_CASE("a binary file gets a summary with its exact SHA-256", "[mocks]") {
    const std::string png("\x89PNG\r\n\x1a\n\0\0\0\rIHDR\0\0\0\x01", 20);
    auto response = parsed(document("pixel.png", "image/png", png));
    CHECK(response.markdown ==
          "# pixel.png\n"
          "\n"
          "- MIME type: image/png\n"
          "- Size: 20 bytes\n"
          "- SHA-256: d51696591e6a664adeecee08d772d017975c6d8d466d015246afd911ca06d7e8\n"
          "- Pages: 1\n"
          "\n"
          "mock-parse does not extract the content of image/png files; this summary stands in for it.");
    REQUIRE(response.pages.size() == 1);
    CHECK(response.pages[0].page == 1);
    CHECK(response.pages[0].text == "pixel.png, page 1 of 1: content not extracted by mock-parse");
    CHECK(response.usage.pages == 1);

    // Without a MIME type the name suggests one; without a name the summary says so.
    auto unnamed = parsed(document("", "", "\x01\x02"));
    CHECK(unnamed.markdown.starts_with("# (unnamed file)\n\n- MIME type: application/octet-stream\n- Size: 2 bytes\n"));
    CHECK(parsed(document("deck.pptx", "", "PK")).markdown.find(
              "- MIME type: application/vnd.openxmlformats-officedocument.presentationml.presentation\n") !=
          std::string::npos);
}

TEST_CASE("target_pages selects pages of a text file", "[mocks]") {
    auto request = document("book.txt", "text/plain", "zero\fone\ftwo\fthree\ffour");
    request.options.target_pages = "0,2-3";
    auto response = parsed(request);
    CHECK(page_numbers(response) == std::vector<std::int32_t>{1, 3, 4});
    CHECK(response.markdown == "zero\n\ntwo\n\nthree");
    CHECK(response.usage.pages == 3);
}

TEST_CASE("invalid target_pages are a bad request naming the option", "[mocks]") {
    auto request = document("book.txt", "text/plain", "zero\fone");
    request.options.target_pages = "0-x";
    auto bad_syntax = parse(request);
    REQUIRE_FALSE(bad_syntax.ok());
    CHECK(bad_syntax.error().kind == ErrorKind::bad_request);
    CHECK(bad_syntax.error().message ==
          "option 'target_pages' must be 0-based page numbers or ranges separated by commas, like \"0,2-4\"; "
          "got \"0-x\" (request req-1)");

    request.options.target_pages = "1-2";
    auto past_end = parse(request);
    REQUIRE_FALSE(past_end.ok());
    CHECK(past_end.error().message ==
          "option 'target_pages' selects page 2, but the document has 2 pages (numbered from 0) (request req-1)");
}

TEST_CASE("a malformed injection numbers a page 0", "[mocks]") {
    auto response = parse(document("a.txt", "text/plain", "a\fb"),
                          {{"failure_rate", 1.0}, {"failure_kind", std::string("malformed")}});
    REQUIRE(response.ok());
    CHECK(page_numbers(response.value()) == std::vector<std::int32_t>{0, 2});
    CHECK(response->markdown == "a\n\nb");
    auto single = parse(document("a.md", "text/markdown", "# A"),
                        {{"failure_rate", 1.0}, {"failure_kind", std::string("malformed")}});
    REQUIRE(single.ok());
    CHECK(page_numbers(single.value()) == std::vector<std::int32_t>{0});
}

TEST_CASE("mock-parse injects failures and latency like every mock", "[mocks]") {
    Host host;
    MockParse plugin;
    testing::start_or_fail(plugin, host, {{"failure_rate", 1.0}, {"failure_kind", std::string("rate_limited")},
                                          {"latency_ms", std::int64_t{30}}, {"seed", std::int64_t{3}}});
    Started call(plugin.parse(host.context("req-5"), document("a.txt", "text/plain", "x")));
    host.clock.advance(std::chrono::milliseconds(29));
    CHECK_FALSE(call.done());
    host.clock.advance(std::chrono::milliseconds(1));
    REQUIRE(call.done());
    CHECK(call.result().error().kind == ErrorKind::rate_limited);
    CHECK(call.result().error().retry_after == std::chrono::milliseconds(1000));
    CHECK(call.result().error().message ==
          "mock-parse injected a 'rate_limited' failure on call 0 (request req-5; failure_rate 1, seed 3): "
          "retry after 1000 ms");
    CHECK(host.logger.lines().at(1).message == "parse call 0: file 'a.txt' as text, bytes 1, pages 1, latency 30 ms");
    CHECK(host.logger.lines().at(1).request_id == "req-5");
}

TEST_CASE("mock-parse refuses unknown and bad settings", "[mocks]") {
    auto unknown = testing::start_error<MockParse>({{"dimensions", std::int64_t{3}}});
    CHECK(unknown.message ==
          "unknown setting 'dimensions' in switchboard.toml [backends.mock.settings] (known: seed, failure_rate, "
          "failure_kind, retry_after_ms, latency_ms, latency_min_ms, latency_max_ms, timeout_hang_ms)");
    CHECK(testing::start_error<MockParse>({{"failure_rate", -0.1}}).message ==
          "setting 'failure_rate' in switchboard.toml [backends.mock.settings] must be between 0 and 1, got -0.1");
}

}  // namespace
}  // namespace switchboard::mock
