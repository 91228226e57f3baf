#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

#include "switchboard/error.hpp"
#include "switchboard/http.hpp"

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
// else its type; without an envelope, a trimmed snippet of the body).
std::optional<Error> classify_answer(const HttpResponse& response, std::string_view call);

// At most `limit` bytes of `text` on one line, trimmed, cut on a UTF-8 boundary, "…" when cut.
std::string snippet(std::string_view text, std::size_t limit = 200);

}  // namespace switchboard::openai
