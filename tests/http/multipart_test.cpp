#include <catch2/catch.hpp>

#include <set>

#include "switchboard/multipart.hpp"

using switchboard::MultipartBody;
using namespace std::string_literals;

TEST_CASE("a multipart body has the exact RFC 7578 layout: headers, blank line, content", "[http][multipart]") {
    MultipartBody form("XyZ");
    form.add_field("configuration", R"({"tier":"fast"})");
    form.add_file("file", "report.pdf", "application/pdf", std::string("%PDF\0\r\n--XyZ", 12));
    form.add_field("empty", "");

    CHECK(form.content_type() == "multipart/form-data; boundary=XyZ");
    CHECK(std::move(form).finish() == "--XyZ\r\n"
                                                  "Content-Disposition: form-data; name=\"configuration\"\r\n"
                                                  "\r\n"
                                                  "{\"tier\":\"fast\"}\r\n"
                                                  "--XyZ\r\n"
                                                  "Content-Disposition: form-data; name=\"file\"; filename=\"report.pdf\"\r\n"
                                                  "Content-Type: application/pdf\r\n"
                                                  "\r\n"
                                                  "%PDF\0\r\n--XyZ\r\n"
                                                  "--XyZ\r\n"
                                                  "Content-Disposition: form-data; name=\"empty\"\r\n"
                                                  "\r\n"
                                                  "\r\n"
                                                  "--XyZ--\r\n"s);
}

TEST_CASE("quotes and line breaks in names are percent-encoded, a file without a type is octet-stream", "[http][multipart]") {
    MultipartBody form("b");
    form.add_file("file", "a\"b\r\nc.txt", "", "x");
    CHECK(std::move(form).finish() == "--b\r\n"
                                      "Content-Disposition: form-data; name=\"file\"; filename=\"a%22b%0D%0Ac.txt\"\r\n"
                                      "Content-Type: application/octet-stream\r\n"
                                      "\r\n"
                                      "x\r\n"
                                      "--b--\r\n");
}

TEST_CASE("each body gets its own random boundary", "[http][multipart]") {
    std::set<std::string> boundaries;
    for (int i = 0; i < 50; ++i) boundaries.insert(MultipartBody().boundary());
    CHECK(boundaries.size() == 50);
    CHECK(MultipartBody().boundary().rfind("----switchboard-", 0) == 0);
    CHECK(MultipartBody().boundary().size() == 16 + 24);
}
