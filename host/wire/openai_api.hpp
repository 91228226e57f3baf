#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "switchboard/error.hpp"
#include "switchboard/result.hpp"
#include "switchboard/types.hpp"

namespace switchboard::wire {

// An error as the OpenAI API answers it: status and the envelope
// {"error":{"message":…,"type":…,"param":…,"code":…}} (param and code may be null).
struct ApiError {
    int status = 400;
    std::string message;
    std::string type = "invalid_request_error";
    std::optional<std::string> param;
    std::optional<std::string> code;

    std::string body() const;
};

// A POST /v1/embeddings body, checked as the OpenAI API checks it.
struct OpenAIEmbeddingsCall {
    EmbeddingsRequest request;  // inputs or token_inputs, model, dimensions, user
    bool base64 = false;        // encoding_format "base64" (the official clients' default)
};

// Parses and validates the body: a JSON object with `model` (non-empty string), `input` (a
// non-empty string, an array of 1–2048 non-empty strings, an array of token ids, or an array of
// such arrays), optional `encoding_format` ("float" | "base64"), `dimensions` (integer ≥ 1) and
// `user` (string); any other field is refused as the real API refuses it. Errors are 400s naming
// the field (`param`) and what was wrong.
Result<OpenAIEmbeddingsCall> parse_openai_embeddings(std::string_view body, ApiError& error);

// The response body: embeddings as JSON floats, or base64 of packed little-endian float32.
std::string to_openai_json(const EmbeddingsResponse& response, bool base64);

// How a failed call is answered: 400 bad_request, 429 rate_limited / quota / budget_exceeded,
// 502 upstream_error / auth (the host's key upstream), 503 unavailable, 504 timeout, 500 internal.
ApiError api_error_for(const Error& error);

}  // namespace switchboard::wire
