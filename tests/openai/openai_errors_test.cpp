#include <chrono>
#include <string>
#include <vector>

#include <catch2/catch.hpp>

#include "openai_embeddings/openai_errors.hpp"

namespace switchboard::openai {
namespace {

std::string envelope(const std::string& message, const std::string& type, const std::string& code) {
    return R"({"error":{"message":")" + message + R"(","type":")" + type + R"(","param":null,"code":)" +
           (code.empty() ? "null" : "\"" + code + "\"") + "}}";
}

const std::string key = "sk-test-0123456789abcdef0123456789abcdef";

Error classified(int status, std::string body, std::vector<HttpHeader> headers = {}) {
    HttpResponse response;
    response.status = status;
    response.body = std::move(body);
    response.headers = std::move(headers);
    auto error = classify_answer(response, "POST /embeddings", Secret(key));
    REQUIRE(error.has_value());
    CHECK(error->upstream_status == status);
    return *error;
}

TEST_CASE("2xx answers are not errors", "[openai]") {
    HttpResponse ok;
    ok.status = 200;
    ok.body = "not even JSON";
    CHECK_FALSE(classify_answer(ok, "POST /embeddings", Secret(key)).has_value());
}

TEST_CASE("the error envelope is read with null param and code", "[openai]") {
    auto parsed = parse_error_envelope(
        R"({"error":{"message":"Bad thing","type":"invalid_request_error","param":"input","code":null}})");
    REQUIRE(parsed);
    CHECK(parsed->message == "Bad thing");
    CHECK(parsed->type == "invalid_request_error");
    CHECK(parsed->param == "input");
    CHECK(parsed->code.empty());
    CHECK_FALSE(parse_error_envelope(R"({"detail":"nope"})"));
    CHECK_FALSE(parse_error_envelope("<html>502</html>"));
}

TEST_CASE("each OpenAI status maps to the kind in the reference table", "[openai]") {
    auto e400 = classified(400, envelope("Unrecognized request argument supplied: foo", "invalid_request_error", ""));
    CHECK(e400.kind == ErrorKind::bad_request);
    CHECK(e400.message ==
          "OpenAI 400 invalid_request_error on POST /embeddings: Unrecognized request argument supplied: foo");

    auto e401 = classified(401, envelope("Incorrect API key provided: sk-te****cdef.", "invalid_request_error",
                                         "invalid_api_key"));
    CHECK(e401.kind == ErrorKind::auth);
    CHECK(e401.message == "OpenAI 401 invalid_api_key on POST /embeddings: Incorrect API key provided: sk-te****cdef.");

    auto e403 = classified(403, envelope("Project does not have access to model", "invalid_request_error",
                                         "model_not_found"));
    CHECK(e403.kind == ErrorKind::auth);
    CHECK(e403.message == "OpenAI 403 model_not_found on POST /embeddings: Project does not have access to model");

    auto e404 = classified(404, envelope("The model `nope` does not exist", "invalid_request_error", "model_not_found"));
    CHECK(e404.kind == ErrorKind::bad_request);
    CHECK(e404.message == "OpenAI 404 model_not_found on POST /embeddings: The model `nope` does not exist");

    auto e408 = classified(408, envelope("Request timed out", "timeout", ""));
    CHECK(e408.kind == ErrorKind::timeout);

    auto limited = classified(429, envelope("Rate limit reached. Please try again in 2.812s.", "requests",
                                            "rate_limit_exceeded"));
    CHECK(limited.kind == ErrorKind::rate_limited);
    CHECK(limited.message ==
          "OpenAI 429 rate_limit_exceeded on POST /embeddings: Rate limit reached. Please try again in 2.812s.");
    CHECK(limited.retry_after == std::chrono::milliseconds(2812));

    auto quota = classified(429, envelope("You exceeded your current quota", "insufficient_quota", "insufficient_quota"));
    CHECK(quota.kind == ErrorKind::quota);
    CHECK(quota.message == "OpenAI 429 insufficient_quota on POST /embeddings: You exceeded your current quota");

    CHECK_FALSE(quota.retry_after.has_value());

    auto quota_by_type = classified(429, envelope("You exceeded your current quota", "insufficient_quota", ""));
    CHECK(quota_by_type.kind == ErrorKind::quota);

    auto e500 = classified(500, envelope("The server had an error", "server_error", ""));
    CHECK(e500.kind == ErrorKind::unavailable);
    CHECK(e500.message == "OpenAI 500 server_error on POST /embeddings: The server had an error");

    CHECK(classified(503, envelope("Our servers are experiencing high traffic", "server_error", "")).kind ==
          ErrorKind::unavailable);
    CHECK(classified(502, "").kind == ErrorKind::unavailable);
    CHECK(classified(402, envelope("Pay", "billing", "")).kind == ErrorKind::quota);
    CHECK(classified(409, envelope("Conflict", "conflict", "")).kind == ErrorKind::bad_request);
    CHECK(classified(302, "").kind == ErrorKind::upstream_error);
}

TEST_CASE("a 429 without Retry-After takes its wait from \"Please try again in …\"", "[openai]") {
    auto wait_of = [](const std::string& message, std::vector<HttpHeader> headers = {}) {
        return classified(429, envelope(message, "tokens", "rate_limit_exceeded"), std::move(headers)).retry_after;
    };
    using std::chrono::milliseconds;
    CHECK(wait_of("Rate limit reached on tokens per min (TPM). Please try again in 2.812s. Visit the docs.") ==
          milliseconds(2812));
    CHECK(wait_of("Rate limit reached. Please try again in 20ms.") == milliseconds(20));
    CHECK(wait_of("Rate limit reached. Please try again in 1m30s.") == milliseconds(90'000));
    CHECK(wait_of("Rate limit reached. Please try again in 6m0s.") == milliseconds(360'000));
    CHECK(wait_of("Rate limit reached. Please try again in 1.5ms.") == milliseconds(2));  // rounded up
    // The host reads the headers itself; the message is only the fallback.
    CHECK_FALSE(wait_of("Please try again in 2.812s.", {{"Retry-After", "3"}}).has_value());
    CHECK_FALSE(wait_of("Please try again in 2.812s.", {{"retry-after-ms", "2812"}}).has_value());
    CHECK_FALSE(wait_of("Rate limit reached.").has_value());
    CHECK_FALSE(wait_of("Please try again in a moment.").has_value());
    CHECK_FALSE(wait_of("Please try again in 5 minutes.").has_value());
    CHECK_FALSE(classified(503, envelope("Please try again in 2s.", "server_error", "")).retry_after.has_value());
}

TEST_CASE("the key is redacted from upstream text before it is cut, so no piece of it survives", "[openai]") {
    // The key starts 12 bytes before each cut: 500 for an envelope's message, 200 for a body.
    auto message = classified(400, envelope(std::string(488, 'm') + key + " tail-end", "invalid_request_error", ""));
    CHECK(message.message == "OpenAI 400 invalid_request_error on POST /embeddings: " + std::string(488, 'm') +
                                 "sk-**** tail…");
    auto body = classified(502, std::string(188, 'b') + key + " tail-end");
    CHECK(body.message == "OpenAI 502 on POST /embeddings: " + std::string(188, 'b') + "sk-**** tail…");
    auto code = classified(400, envelope("bad", "invalid_request_error", std::string(52, 'c') + key));
    CHECK(code.message == "OpenAI 400 " + std::string(52, 'c') + "sk-**** on POST /embeddings: bad");
    for (const auto& error : {message, body, code}) {
        for (std::size_t at = 0; at + 8 <= key.size(); ++at) {
            INFO(key.substr(at, 8));
            CHECK(error.message.find(key.substr(at, 8)) == std::string::npos);
        }
    }
}

TEST_CASE("a body that is not the envelope is quoted as a trimmed one-line snippet", "[openai]") {
    auto html = classified(502, "\n  <html>\r\n<body>Bad gateway</body></html>\n");
    CHECK(html.message == "OpenAI 502 on POST /embeddings: <html>  <body>Bad gateway</body></html>");

    auto empty = classified(503, "");
    CHECK(empty.message == "OpenAI 503 on POST /embeddings: (empty body)");

    auto long_body = classified(500, std::string(1000, 'x'));
    CHECK(long_body.message == "OpenAI 500 on POST /embeddings: " + std::string(200, 'x') + "…");
}

TEST_CASE("an envelope whose error is a bare string is still quoted", "[openai]") {
    auto error = classified(400, R"({"error":"input too long"})");
    CHECK(error.kind == ErrorKind::bad_request);
    CHECK(error.message == "OpenAI 400 on POST /embeddings: input too long");
}

TEST_CASE("snippets never cut a UTF-8 character in two", "[openai]") {
    // "é" is two bytes; a cut after byte 3 would split the second one.
    CHECK(snippet("aéé", 4) == "aé…");
    CHECK(snippet("  spaced  ", 200) == "spaced");
}

}  // namespace
}  // namespace switchboard::openai
