#pragma once

#include <chrono>
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

#include "switchboard/error.hpp"
#include "switchboard/http.hpp"
#include "switchboard/secret.hpp"

namespace switchboard::openai {

// OpenAI's error body: {"error":{"message":…,"type":…,"param":…,"code":…}}; a null field is "".
struct ErrorEnvelope {
    std::string message;
    std::string type;
    std::string param;
    std::string code;
};

// The envelope in `body`, or nullopt when the body is not one.
std::optional<ErrorEnvelope> parse_error_envelope(std::string_view body);

// The kind an OpenAI status means: 400 and 404 bad_request; 401 and 403 auth (a 403
// model_not_found too: the key's project lacks the model, which another backend may have); 408
// timeout; 429 quota when type or code is insufficient_quota (retrying cannot help), otherwise
// rate_limited; 5xx unavailable; anything else as error_for_status.
ErrorKind error_kind(int status, const ErrorEnvelope* envelope);

// Null for a 2xx answer; otherwise the error, upstream_status set, message
// "OpenAI 429 rate_limit_exceeded on POST /embeddings: <upstream message>" (the envelope's code,
// else its type; without an envelope, a trimmed snippet of the body). `key` is redacted from the
// upstream's text before it is shortened, so no piece of it survives a cut. A rate_limited 429
// without Retry-After or retry-after-ms gets retry_after from "Please try again in 2.812s." in
// its message.
std::optional<Error> classify_answer(const HttpResponse& response, std::string_view call, const Secret& key);

// "2.812s", "20ms", "1m30s" (Go's duration format, as OpenAI writes waits) after "try again in "
// in `message`, rounded up to whole milliseconds; nullopt when there is none.
std::optional<std::chrono::milliseconds> wait_in_message(std::string_view message);

// `text` with every occurrence of `key` replaced by key.redacted().
std::string redact(std::string text, const Secret& key);

// At most `limit` bytes of `text` on one line, trimmed, cut on a UTF-8 boundary, "…" when cut.
// Redact before cutting: a secret cut in two no longer matches.
std::string snippet(std::string_view text, std::size_t limit = 200);

}  // namespace switchboard::openai
