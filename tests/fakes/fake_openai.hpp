#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "fakes/loopback_server.hpp"

namespace switchboard::testing {

// The OpenAI API on a loopback port, speaking the wire format of
// ../shared/reference/openai-embeddings.md: POST /v1/embeddings (validated like the real API,
// answered deterministically) and GET /v1/models, with the real error envelopes and headers.
// Tests and benchmarks script the next answers with push(). Thread-safe.
//
// An embedding is derived from the model and the input alone: a unit vector of the model's width
// (1536, or 3072 for text-embedding-3-large), truncated and renormalised to `dimensions` when
// asked. Usage counts ceil(bytes / 4) tokens per text (at least 1; or one a byte, see
// set_token_counting) and the length of a token array; the per-input and per-request token limits
// are checked against that count.
class FakeOpenAI {
public:
    // Answers one request instead of the default handling; `normal` is what the fake would
    // have answered (already carrying its x-request-id).
    using Script = std::function<Reply(const RecordedRequest& request, const Reply& normal)>;

    enum class RetryAfterHeader { seconds, milliseconds, none };
    // How a text's tokens are counted: ceil(bytes / 4), about what English text costs, or one a
    // byte, the most a text can cost (each token is at least a byte), which a client estimating
    // tokens by bytes must still keep within max_tokens_per_request.
    enum class TokenCounting { quarter_bytes, bytes };

    static constexpr std::int64_t max_inputs = 2048;
    static constexpr std::int64_t max_tokens_per_input = 8192;
    static constexpr std::int64_t max_tokens_per_request = 300'000;

    // Requests must carry "Authorization: Bearer <api_key>".
    explicit FakeOpenAI(std::string api_key);
    ~FakeOpenAI();
    FakeOpenAI(const FakeOpenAI&) = delete;
    FakeOpenAI& operator=(const FakeOpenAI&) = delete;

    std::string base_url() const;  // "http://127.0.0.1:PORT/v1"
    LoopbackServer& server() { return *server_; }
    std::vector<RecordedRequest> requests() const { return server_->requests(); }
    std::size_t request_count() const { return server_->request_count(); }

    // Queues an answer for the next request not yet answered by an earlier push (FIFO). A 200
    // reply with a fault and no body (truncated(), reset(), trickle()) means "the normal answer,
    // delivered with this fault".
    void push(Reply reply);
    void push(Script script);
    std::size_t pending() const;
    // Real time every default answer waits before it is sent.
    void set_latency(std::chrono::milliseconds latency);
    void set_token_counting(TokenCounting counting);  // quarter_bytes until set

    // Reference answers to push.
    static Reply error(int status, std::string_view message, std::string_view type,
                       std::optional<std::string_view> param = std::nullopt,
                       std::optional<std::string_view> code = std::nullopt);
    // 429 rate_limit_exceeded, "Please try again in …", with Retry-After (whole seconds, rounded
    // up) or retry-after-ms.
    static Reply rate_limited(std::chrono::milliseconds retry_after = std::chrono::seconds(1),
                              RetryAfterHeader header = RetryAfterHeader::seconds);
    static Reply insufficient_quota();                  // 429, type and code insufficient_quota
    static Reply server_error(int status = 500);        // 500 server error or 503 overloaded
    static Reply invalid_request(std::string_view message, std::optional<std::string_view> param = std::nullopt);
    static Reply malformed_json();                      // 200 with a body that is not JSON
    static Reply truncated();                           // the normal answer, cut half-way (FIN)
    static Reply reset();                               // the normal answer, reset half-way (RST)
    static Reply never_answer();
    static Reply trickle(std::chrono::milliseconds interval = std::chrono::milliseconds(5));

    // What the fake computes, for tests to compare with.
    static std::vector<float> embedding(std::string_view model, std::string_view text,
                                        std::optional<std::int32_t> dimensions = std::nullopt);
    static std::vector<float> embedding(std::string_view model, const std::vector<std::int64_t>& tokens,
                                        std::optional<std::int32_t> dimensions = std::nullopt);
    static std::int64_t count_tokens(std::string_view text);  // ceil(bytes / 4), at least 1
    static std::optional<std::int32_t> native_dimensions(std::string_view model);  // nullopt: unknown model
    static std::string base64_floats(const std::vector<float>& values);            // packed LE float32

private:
    Reply handle(const RecordedRequest& request);
    Reply answer(const RecordedRequest& request, std::uint64_t number);
    Reply embeddings(const RecordedRequest& request, std::uint64_t number);
    Reply models() const;
    void add_headers(Reply& reply, std::uint64_t number, std::string_view model);

    std::string api_key_;
    mutable std::mutex mutex_;
    std::deque<Script> scripts_;
    std::chrono::milliseconds latency_{0};
    TokenCounting token_counting_ = TokenCounting::quarter_bytes;
    std::uint64_t requests_seen_ = 0;
    std::int64_t tokens_used_ = 0;
    std::unique_ptr<LoopbackServer> server_;  // last: its thread calls handle() until destroyed
};

}  // namespace switchboard::testing
