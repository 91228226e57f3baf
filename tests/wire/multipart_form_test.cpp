// multipart/form-data as RFC 7578 writes it and as real clients send it (Node's FormData,
// Python's httpx and requests, browsers), and the errors a broken body gets.
#include <string>

#include <catch2/catch.hpp>

#include "switchboard/multipart.hpp"
#include "wire/multipart_form.hpp"

using namespace switchboard;
using namespace switchboard::wire;

namespace {

MultipartForm parse_ok(std::string_view content_type, std::string_view body, const FormLimits& limits = {}) {
    FormError error;
    auto form = MultipartForm::parse(content_type, body, error, limits);
    INFO(error.message);
    REQUIRE(form);
    return std::move(*form);
}

FormError parse_error(std::string_view content_type, std::string_view body, const FormLimits& limits = {}) {
    FormError error;
    auto form = MultipartForm::parse(content_type, body, error, limits);
    REQUIRE_FALSE(form);
    return error;
}

}  // namespace

TEST_CASE("a form the SDK's MultipartBody writes reads back part for part", "[wire][multipart]") {
    MultipartBody builder("b0undary");
    builder.add_field("parse_mode", "parse_page_with_llm");
    builder.add_file("file", "quarterly \"final\".pdf", "application/pdf", std::string("%PDF-1.7\r\n--b0und\0ary", 20));
    builder.add_field("language", "en");
    builder.add_field("language", "fr");
    const std::string body = std::move(builder).finish();

    auto form = parse_ok(builder.content_type(), body);

    REQUIRE(form.parts().size() == 4);
    const FormPart* file = form.first("file");
    REQUIRE(file);
    CHECK(file->file_name == "quarterly \"final\".pdf");  // %22 in the quoted name, unescaped
    CHECK(file->content_type == "application/pdf");
    CHECK(file->data == std::string_view("%PDF-1.7\r\n--b0und\0ary", 20));
    CHECK(form.first("parse_mode")->data == "parse_page_with_llm");
    CHECK_FALSE(form.first("parse_mode")->file_name);
    REQUIRE(form.all("language").size() == 2);
    CHECK(form.all("language")[1]->data == "fr");
    CHECK(form.first("missing") == nullptr);
}

TEST_CASE("boundaries quoted or not, any header case, preamble, padding and epilogue are all read",
          "[wire][multipart]") {
    const std::string body =
        "This preamble is ignored.\r\n"
        "--a:b c\t \r\n"
        "CONTENT-disposition: Form-Data; NAME=\"note\"\r\n"
        "content-TYPE: text/plain; charset=utf-8\r\n"
        "\r\n"
        "hello\r\n"
        "--a:b c\r\n"
        "Content-Disposition: form-data;\r\n"
        " name=file; filename=C:\\Users\\ann\\report.pdf\r\n"  // a folded line, token values, a Windows path
        "\r\n"
        "bytes\r\n"
        "--a:b c--\r\n"
        "and an epilogue";

    auto form = parse_ok("Multipart/Form-Data; charset=utf-8; boundary=\"a:b c\"", body);

    REQUIRE(form.parts().size() == 2);
    CHECK(form.parts()[0].name == "note");
    CHECK(form.parts()[0].content_type == "text/plain; charset=utf-8");
    CHECK(form.parts()[0].data == "hello");
    CHECK(form.parts()[1].name == "file");
    CHECK(form.parts()[1].file_name == "report.pdf");  // directories are never used (RFC 7578 §4.2)
    CHECK(form.parts()[1].data == "bytes");
}

TEST_CASE("filename* wins over filename and is decoded from UTF-8 or Latin-1", "[wire][multipart]") {
    auto body = [](std::string disposition) {
        return "--x\r\nContent-Disposition: form-data; name=\"file\"; " + disposition + "\r\n\r\ndata\r\n--x--\r\n";
    };
    CHECK(parse_ok("multipart/form-data; boundary=x",
                   body("filename=\"naive.pdf\"; filename*=UTF-8''na%C3%AFve%20r%C3%A9sum%C3%A9.pdf"))
              .first("file")
              ->file_name == "naïve résumé.pdf");
    CHECK(parse_ok("multipart/form-data; boundary=x", body("filename*=iso-8859-1'fr'caf%E9.txt"))
              .first("file")
              ->file_name == "café.txt");
    CHECK(parse_ok("multipart/form-data; boundary=x", body("filename=\"say \\\"hi\\\".txt\""))
              .first("file")
              ->file_name == "say \"hi\".txt");
    CHECK(parse_ok("multipart/form-data; boundary=x", body("filename=\"\"")).first("file")->file_name == "");

    CHECK(parse_error("multipart/form-data; boundary=x", body("filename*=UTF-16''ab")).message ==
          "part 1: Content-Disposition of 'file': filename* charset 'UTF-16' is not supported; use UTF-8");
    CHECK(parse_error("multipart/form-data; boundary=x", body("filename*=UTF-8''bad%2")).message ==
          "part 1: Content-Disposition of 'file': filename* has a '%' not followed by two hex digits");
}

TEST_CASE("a part with no headers is refused for want of a name, and an empty form is empty", "[wire][multipart]") {
    CHECK(parse_ok("multipart/form-data; boundary=x", "--x--\r\n").parts().empty());
    auto error = parse_error("multipart/form-data; boundary=x", "--x\r\n\r\nvalue\r\n--x--\r\n");
    CHECK(error.status == 400);
    CHECK(error.message ==
          "part 1 has no Content-Disposition header; each part needs 'Content-Disposition: form-data; name=\"...\"'");
}

TEST_CASE("a malformed body is refused with a message that says what and where", "[wire][multipart]") {
    const std::string type = "multipart/form-data; boundary=B";
    struct Case {
        std::string content_type;
        std::string body;
        std::string message;
    };
    auto c = GENERATE_COPY(values<Case>({
        {"application/json", "{}", "the Content-Type is 'application/json'; send the form as multipart/form-data"},
        {"", "x", "the request has no Content-Type; send the form as multipart/form-data"},
        {"multipart/form-data", "x", "the multipart/form-data Content-Type has no boundary parameter"},
        {"multipart/form-data; boundary=\"B", "x",
         "the Content-Type's parameters are malformed: the quoted value of 'boundary' has no closing quote"},
        {"multipart/form-data; boundary=" + std::string(71, 'b'), "x",
         "the boundary '" + std::string(71, 'b') +
             "' is not valid: 1 to 70 characters, no line breaks, not ending in a space (RFC 2046)"},
        {type, "--C\r\n\r\n--C--",
         "the body has no boundary line '--B': check that the Content-Type's boundary is the one the body uses"},
        {type, "--B\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\nvalue",
         "the body ends inside part 1 ('a'): the closing boundary '--B--' is missing; the body may be cut short"},
        {type, "--B\r\nContent-Disposition: form-data; name=\"a\"\r\n",
         "part 1: the headers never end (no blank line); the body may be cut short"},
        {type, "--Bjunk\r\n", "a boundary line is followed by 'junk\\r\\n' instead of a line break (after part 0)"},
        {type, "--B\r\nContent-Disposition: attachment; name=\"a\"\r\n\r\nv\r\n--B--",
         "part 1: Content-Disposition is 'attachment'; a form part must be 'form-data'"},
        {type, "--B\r\nContent-Disposition: form-data; filename=\"a.pdf\"\r\n\r\nv\r\n--B--",
         "part 1: Content-Disposition has no name parameter (form-data; name=\"...\")"},
        {type, "--B\r\nContent-Disposition: form-data; name\r\n\r\nv\r\n--B--",
         "part 1: Content-Disposition: parameter 'name' has no '=value'"},
        {type, "--B\r\nno colon here\r\n\r\nv\r\n--B--", "part 1: header line 'no colon here' is not 'Name: value'"},
        {type, "--B\r\nContent-Disposition: form-data; name=\"f\"\r\nContent-Transfer-Encoding: base64\r\n\r\nAA==\r\n--B--",
         "part 1: Content-Transfer-Encoding 'base64' is not supported (RFC 7578 deprecates it); send the bytes as "
         "they are"},
    }));
    INFO(c.body);
    auto error = parse_error(c.content_type, c.body);
    CHECK(error.status == 400);
    CHECK(error.message == c.message);
}

TEST_CASE("limits on parts, header size and field size answer 413", "[wire][multipart]") {
    FormLimits limits;
    limits.max_parts = 2;
    limits.max_part_header_bytes = 64;
    limits.max_field_bytes = 4;
    const std::string type = "multipart/form-data; boundary=B";
    auto field = [](std::string name, std::string value) {
        return "--B\r\nContent-Disposition: form-data; name=\"" + name + "\"\r\n\r\n" + value + "\r\n";
    };

    auto parts = parse_error(type, field("a", "1") + field("b", "2") + field("c", "3") + "--B--", limits);
    CHECK(parts.status == 413);
    CHECK(parts.message == "the form has more than 2 parts");

    auto headers = parse_error(type, field(std::string(80, 'n'), "1") + "--B--", limits);
    CHECK(headers.status == 413);
    CHECK(headers.message == "part 1: the headers are longer than 64 bytes");

    auto big = parse_error(type, field("note", "12345") + "--B--", limits);
    CHECK(big.status == 413);
    CHECK(big.message == "field 'note' (part 1) is 5 bytes; a field may hold at most 4 (send large content as a file)");

    // A file is not a field: its size is the HTTP server's body limit's business.
    auto file = parse_ok(type,
                         "--B\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a\"\r\n\r\n123456789\r\n--B--",
                         limits);
    CHECK(file.first("file")->data == "123456789");
}

TEST_CASE("a part whose headers end right at the next boundary has an empty body (RFC 2046)", "[wire][multipart]") {
    auto form = parse_ok("multipart/form-data; boundary=x",
                         "--x\r\nContent-Disposition: form-data; name=\"empty\"\r\n"
                         "\r\n--x\r\nContent-Disposition: form-data; name=\"next\"\r\n\r\nvalue\r\n--x--\r\n");
    REQUIRE(form.parts().size() == 2);
    CHECK(form.first("empty")->data.empty());
    CHECK(form.first("next")->data == "value");
}
