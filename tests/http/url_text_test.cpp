#include <catch2/catch.hpp>

#include "http/url_text.hpp"

using switchboard::http::url_for_messages;
using switchboard::http::url_password;

TEST_CASE("a URL's credentials are taken out for messages and the password found for redaction", "[http][url]") {
    CHECK(url_for_messages("https://gw:s3cret@api.example.test/v1?x=a@b") == "https://api.example.test/v1?x=a@b");
    CHECK(url_password("https://gw:s3cret@api.example.test/v1?x=a@b") == "s3cret");
    CHECK(url_for_messages("http://user@host:8080/") == "http://host:8080/");
    CHECK_FALSE(url_password("http://user@host:8080/"));
    // An '@' after the authority is not a credential.
    CHECK(url_for_messages("https://api.example.test/v1/a@b") == "https://api.example.test/v1/a@b");
    CHECK_FALSE(url_password("https://api.example.test/v1/a@b"));
    CHECK(url_for_messages("not a url") == "not a url");
}
