#include "fakes/fake_openai.hpp"

#include <algorithm>
#include <bit>
#include <cmath>
#include <cstring>
#include <utility>
#include <variant>

#include <boost/json.hpp>

namespace switchboard::testing {
namespace {

namespace json = boost::json;

constexpr std::int64_t limit_requests = 5'000;
constexpr std::int64_t limit_tokens = 5'000'000;

std::uint64_t fnv1a64(std::string_view bytes) {
    std::uint64_t hash = 0xcbf29ce484222325ull;
    for (char c : bytes) {
        hash ^= static_cast<unsigned char>(c);
        hash *= 0x100000001b3ull;
    }
    return hash;
}

std::uint64_t splitmix64(std::uint64_t& state) {
    std::uint64_t z = (state += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

void normalise(std::vector<float>& values) {
    double squares = 0;
    for (float v : values) squares += double(v) * v;
    double norm = std::sqrt(squares);
    if (norm == 0) return;
    for (float& v : values) v = static_cast<float>(v / norm);
}

std::vector<float> unit_vector(std::string_view model, std::string_view key, std::optional<std::int32_t> dimensions) {
    std::int32_t width = FakeOpenAI::native_dimensions(model).value_or(1536);
    std::uint64_t state = fnv1a64(std::string(model) + '\0' + std::string(key));
    std::vector<float> values(static_cast<std::size_t>(width));
    for (float& v : values) v = static_cast<float>(double(splitmix64(state) >> 11) / double(1ull << 53) * 2.0 - 1.0);
    normalise(values);
    if (dimensions && *dimensions < width) {  // what the API does: truncate, then renormalise
        values.resize(static_cast<std::size_t>(*dimensions));
        normalise(values);
    }
    return values;
}

std::string tokens_key(const std::vector<std::int64_t>& tokens) {
    std::string key = "tokens:";
    for (auto t : tokens) key += std::to_string(t) + ",";
    return key;
}

// Go's time.Duration format, as the x-ratelimit-reset-* headers use it: "12ms", "1.5s", "6m0s".
std::string go_duration(std::chrono::milliseconds ms) {
    auto count = ms.count();
    if (count < 1000) return std::to_string(count) + "ms";
    auto minutes = count / 60'000;
    auto rest = count % 60'000;
    std::string seconds = std::to_string(rest / 1000);
    if (rest % 1000 != 0) {
        std::string fraction = std::to_string(1000 + rest % 1000).substr(1);
        while (fraction.back() == '0') fraction.pop_back();
        seconds += "." + fraction;
    }
    return (minutes > 0 ? std::to_string(minutes) + "m" : std::string()) + seconds + "s";
}

json::value nullable(std::optional<std::string_view> text) {
    if (!text) return nullptr;
    return json::string(*text);
}

std::string masked(std::string_view key) {
    if (key.size() <= 8) return std::string(key.size(), '*');
    std::string shown(key.substr(0, std::min<std::size_t>(8, key.size() / 3)));
    return shown + std::string(key.size() - shown.size() - 4, '*') + std::string(key.substr(key.size() - 4));
}

Reply invalid_body(std::string_view message, std::optional<std::string_view> param = std::nullopt,
                   std::optional<std::string_view> code = std::nullopt) {
    return FakeOpenAI::error(400, message, "invalid_request_error", param, code);
}

Reply invalid_input() {
    return invalid_body("'$.input' is invalid. Please check the API reference: https://platform.openai.com/docs/api-reference.");
}

const char* type_name(const json::value& value) {
    switch (value.kind()) {
        case json::kind::null: return "null";
        case json::kind::bool_: return "a boolean";
        case json::kind::int64:
        case json::kind::uint64: return "an integer";
        case json::kind::double_: return "a decimal";
        case json::kind::string: return "a string";
        case json::kind::array: return "an array";
        case json::kind::object: return "an object";
    }
    return "a value";
}

Reply invalid_type(std::string_view field, std::string_view expected, const json::value& got) {
    return invalid_body("Invalid type for '" + std::string(field) + "': expected " + std::string(expected) +
                            ", but got " + type_name(got) + " instead.",
                        field, "invalid_type");
}

std::optional<std::int64_t> token_id(const json::value& value) {
    if (const auto* i = value.if_int64(); i && *i >= 0) return *i;
    if (const auto* u = value.if_uint64(); u && *u <= static_cast<std::uint64_t>(INT64_MAX)) {
        return static_cast<std::int64_t>(*u);
    }
    return std::nullopt;
}

// One input as the API sees it: a text or a token array.
struct Input {
    std::string text;
    std::vector<std::int64_t> tokens;
    bool is_tokens = false;
};

std::optional<std::vector<std::int64_t>> token_array(const json::value& value) {
    const auto* array = value.if_array();
    if (!array || array->empty()) return std::nullopt;
    std::vector<std::int64_t> tokens;
    for (const auto& item : *array) {
        auto id = token_id(item);
        if (!id) return std::nullopt;
        tokens.push_back(*id);
    }
    return tokens;
}

// string | string[] | int[] | int[][], or an error reply.
std::variant<std::vector<Input>, Reply> read_inputs(const json::value& input) {
    if (const auto* text = input.if_string()) {
        if (text->empty()) return invalid_input();
        return std::vector<Input>{Input{std::string(*text), {}, false}};
    }
    const auto* array = input.if_array();
    if (!array) return invalid_input();
    if (array->empty()) {
        return invalid_body("Invalid 'input': empty array. Expected an array with minimum length 1, but got an empty "
                            "array instead.",
                            "input", "empty_array");
    }
    if (static_cast<std::int64_t>(array->size()) > FakeOpenAI::max_inputs) {
        return invalid_body("Invalid 'input': array too long. Expected an array with maximum length 2048, but got an "
                            "array with length " + std::to_string(array->size()) + " instead.",
                            "input", "array_above_max_length");
    }
    std::vector<Input> inputs;
    const json::value& first = array->front();
    if (first.is_string()) {
        for (const auto& item : *array) {
            const auto* text = item.if_string();
            if (!text || text->empty()) return invalid_input();
            inputs.push_back(Input{std::string(*text), {}, false});
        }
    } else if (first.is_array()) {
        for (const auto& item : *array) {
            auto tokens = token_array(item);
            if (!tokens) return invalid_input();
            inputs.push_back(Input{{}, std::move(*tokens), true});
        }
    } else {
        auto tokens = token_array(input);
        if (!tokens) return invalid_input();
        inputs.push_back(Input{{}, std::move(*tokens), true});
    }
    return inputs;
}

}  // namespace

FakeOpenAI::FakeOpenAI(std::string api_key)
    : api_key_(std::move(api_key)),
      server_(std::make_unique<LoopbackServer>([this](const RecordedRequest& request) { return handle(request); })) {}

FakeOpenAI::~FakeOpenAI() { server_.reset(); }

std::string FakeOpenAI::base_url() const { return server_->base_url() + "/v1"; }

void FakeOpenAI::push(Reply reply) {
    push(Script([reply = std::move(reply)](const RecordedRequest&, const Reply& normal) {
        if (reply.status == 200 && reply.body.empty() && reply.fault != Fault::none) {
            Reply faulty = normal;
            faulty.fault = reply.fault;
            faulty.trickle_interval = reply.trickle_interval;
            faulty.delay = reply.delay;
            return faulty;
        }
        return reply;
    }));
}

void FakeOpenAI::push(Script script) {
    std::lock_guard lock(mutex_);
    scripts_.push_back(std::move(script));
}

std::size_t FakeOpenAI::pending() const {
    std::lock_guard lock(mutex_);
    return scripts_.size();
}

void FakeOpenAI::set_latency(std::chrono::milliseconds latency) {
    std::lock_guard lock(mutex_);
    latency_ = latency;
}

void FakeOpenAI::set_token_counting(TokenCounting counting) {
    std::lock_guard lock(mutex_);
    token_counting_ = counting;
}

Reply FakeOpenAI::handle(const RecordedRequest& request) {
    Script script;
    std::uint64_t number = 0;
    {
        std::lock_guard lock(mutex_);
        number = ++requests_seen_;
        if (!scripts_.empty()) {
            script = std::move(scripts_.front());
            scripts_.pop_front();
        }
    }
    Reply normal = answer(request, number);
    if (!script) return normal;
    Reply reply = script(request, normal);
    if (!find_header(reply.headers, "x-request-id")) {
        reply.headers.push_back({"x-request-id", "req_" + std::to_string(number)});
    }
    return reply;
}

Reply FakeOpenAI::answer(const RecordedRequest& request, std::uint64_t number) {
    Reply reply;
    auto authorization = request.header("Authorization");
    bool known_route = (request.method == "POST" && request.path == "/v1/embeddings") ||
                       (request.method == "GET" && request.path == "/v1/models");
    if (!known_route) {
        reply = error(404, "Invalid URL (" + request.method + " " + request.path + ")", "invalid_request_error");
    } else if (!authorization || !authorization->starts_with("Bearer ") || authorization->size() == 7) {
        reply = error(401,
                      "You didn't provide an API key. You need to provide your API key in an Authorization header "
                      "using Bearer auth (i.e. Authorization: Bearer YOUR_KEY). You can obtain an API key from "
                      "https://platform.openai.com/account/api-keys.",
                      "invalid_request_error", std::nullopt, "invalid_api_key");
    } else if (authorization->substr(7) != api_key_) {
        reply = error(401,
                      "Incorrect API key provided: " + masked(authorization->substr(7)) +
                          ". You can find your API key at https://platform.openai.com/account/api-keys.",
                      "invalid_request_error", std::nullopt, "invalid_api_key");
    } else if (request.method == "GET") {
        reply = models();
        std::lock_guard lock(mutex_);
        reply.delay = latency_;
    } else {
        return embeddings(request, number);
    }
    add_headers(reply, number, "");
    return reply;
}

Reply FakeOpenAI::embeddings(const RecordedRequest& request, std::uint64_t number) {
    auto finish = [&](Reply reply, std::string_view model = "") {
        add_headers(reply, number, model);
        return reply;
    };
    auto content_type = request.header("Content-Type");
    if (!content_type || !content_type->starts_with("application/json")) {
        return finish(invalid_body("Invalid Content-Type header (" + std::string(content_type.value_or("none")) +
                                   "), expected application/json."));
    }
    boost::system::error_code ec;
    json::value root = json::parse(request.body, ec);
    if (ec || !root.is_object()) {
        return finish(invalid_body(
            "We could not parse the JSON body of your request. (HINT: This likely means you aren't using your HTTP "
            "library correctly. The OpenAI API expects a JSON payload, but what was sent was not valid JSON.)"));
    }
    const json::object& body = root.get_object();
    for (const auto& field : body) {
        static constexpr std::string_view known[] = {"model", "input", "encoding_format", "dimensions", "user"};
        if (std::find(std::begin(known), std::end(known), std::string_view(field.key())) == std::end(known)) {
            return finish(invalid_body("Unrecognized request argument supplied: " + std::string(field.key())));
        }
    }

    const json::value* model_value = body.if_contains("model");
    if (!model_value) return finish(invalid_body("you must provide a model parameter"));
    if (!model_value->is_string()) return finish(invalid_type("model", "a string", *model_value));
    std::string model(model_value->get_string());

    const json::value* input_value = body.if_contains("input");
    if (!input_value) return finish(invalid_body("'input' is a required property", "input"));
    auto read = read_inputs(*input_value);
    if (auto* refused = std::get_if<Reply>(&read)) return finish(std::move(*refused));
    auto& inputs = std::get<std::vector<Input>>(read);

    bool base64 = false;
    if (const json::value* format = body.if_contains("encoding_format")) {
        if (!format->is_string()) return finish(invalid_type("encoding_format", "a string", *format));
        if (format->get_string() == "base64") base64 = true;
        else if (format->get_string() != "float") {
            return finish(invalid_body("Invalid value for 'encoding_format': expected one of 'float' or 'base64', but "
                                       "got '" + std::string(format->get_string()) + "' instead.",
                                       "encoding_format", "invalid_value"));
        }
    }
    if (const json::value* user = body.if_contains("user"); user && !user->is_string()) {
        return finish(invalid_type("user", "a string", *user));
    }

    auto native = native_dimensions(model);
    if (!native) {
        return finish(error(404, "The model `" + model + "` does not exist or you do not have access to it.",
                            "invalid_request_error", std::nullopt, "model_not_found"));
    }
    std::optional<std::int32_t> dimensions;
    if (const json::value* value = body.if_contains("dimensions")) {
        auto number_value = token_id(*value);
        if (!value->is_int64() && !value->is_uint64()) return finish(invalid_type("dimensions", "an integer", *value));
        if (!number_value || *number_value < 1) {
            return finish(invalid_body("Invalid value for 'dimensions': must be at least 1.", "dimensions",
                                       "integer_below_min_value"));
        }
        if (!model.starts_with("text-embedding-3-")) {
            return finish(invalid_body("This model does not support specifying dimensions.", "dimensions"));
        }
        if (*number_value > *native) {
            return finish(invalid_body("Invalid value for 'dimensions' = " + std::to_string(*number_value) +
                                           ". Must be less than or equal to " + std::to_string(*native) + ".",
                                       "dimensions"));
        }
        dimensions = static_cast<std::int32_t>(*number_value);
    }

    bool per_byte = false;
    {
        std::lock_guard lock(mutex_);
        per_byte = token_counting_ == TokenCounting::bytes;
    }
    std::int64_t tokens = 0;
    for (const auto& input : inputs) {
        std::int64_t count = input.is_tokens ? static_cast<std::int64_t>(input.tokens.size())
                             : per_byte      ? std::max<std::int64_t>(1, static_cast<std::int64_t>(input.text.size()))
                                             : count_tokens(input.text);
        if (count > max_tokens_per_input) {
            return finish(invalid_body("This model's maximum context length is 8192 tokens, however you requested " +
                                       std::to_string(count) + " tokens (" + std::to_string(count) +
                                       " in your prompt; 0 for the completion). Please reduce your prompt; or "
                                       "completion length."));
        }
        tokens += count;
    }
    if (tokens > max_tokens_per_request) {
        return finish(invalid_body("Requested " + std::to_string(tokens) + " tokens, max 300000 tokens per request",
                                   std::nullopt, "max_tokens_per_request"));
    }

    json::array data;
    data.reserve(inputs.size());
    for (std::size_t i = 0; i < inputs.size(); ++i) {
        auto values = inputs[i].is_tokens ? embedding(model, inputs[i].tokens, dimensions)
                                          : embedding(model, inputs[i].text, dimensions);
        json::object item;
        item.emplace("object", "embedding");
        item.emplace("index", static_cast<std::int64_t>(i));
        if (base64) {
            item.emplace("embedding", base64_floats(values));
        } else {
            json::array numbers;
            numbers.reserve(values.size());
            for (float v : values) numbers.emplace_back(static_cast<double>(v));
            item.emplace("embedding", std::move(numbers));
        }
        data.emplace_back(std::move(item));
    }
    json::object answer;
    answer.emplace("object", "list");
    answer.emplace("data", std::move(data));
    answer.emplace("model", model);
    answer.emplace("usage", json::object{{"prompt_tokens", tokens}, {"total_tokens", tokens}});

    Reply reply = Reply::json(200, json::serialize(answer));
    {
        std::lock_guard lock(mutex_);
        reply.delay = latency_;
        tokens_used_ += tokens;
    }
    return finish(std::move(reply), model);
}

Reply FakeOpenAI::models() const {
    json::array data;
    for (const char* id : {"text-embedding-3-small", "text-embedding-3-large", "text-embedding-ada-002"}) {
        data.emplace_back(json::object{{"id", id}, {"object", "model"}, {"created", 1705948997}, {"owned_by", "system"}});
    }
    return Reply::json(200, json::serialize(json::object{{"object", "list"}, {"data", std::move(data)}}));
}

void FakeOpenAI::add_headers(Reply& reply, std::uint64_t number, std::string_view model) {
    std::int64_t used = 0;
    {
        std::lock_guard lock(mutex_);
        used = tokens_used_;
    }
    auto& h = reply.headers;
    h.push_back({"x-request-id", "req_" + std::to_string(number)});
    h.push_back({"openai-processing-ms", std::to_string(reply.delay.count() + 1)});
    if (!model.empty()) h.push_back({"openai-model", std::string(model)});
    h.push_back({"x-ratelimit-limit-requests", std::to_string(limit_requests)});
    h.push_back({"x-ratelimit-limit-tokens", std::to_string(limit_tokens)});
    h.push_back({"x-ratelimit-remaining-requests",
                 std::to_string(std::max<std::int64_t>(0, limit_requests - static_cast<std::int64_t>(number)))});
    h.push_back({"x-ratelimit-remaining-tokens", std::to_string(std::max<std::int64_t>(0, limit_tokens - used))});
    h.push_back({"x-ratelimit-reset-requests", go_duration(std::chrono::milliseconds(12))});
    h.push_back({"x-ratelimit-reset-tokens",
                 go_duration(std::chrono::milliseconds(std::min(used, limit_tokens) * 60'000 / limit_tokens))});
}

Reply FakeOpenAI::error(int status, std::string_view message, std::string_view type,
                        std::optional<std::string_view> param, std::optional<std::string_view> code) {
    json::object fields;
    fields.emplace("message", message);
    fields.emplace("type", type);
    fields.emplace("param", nullable(param));
    fields.emplace("code", nullable(code));
    return Reply::json(status, json::serialize(json::object{{"error", std::move(fields)}}));
}

Reply FakeOpenAI::rate_limited(std::chrono::milliseconds retry_after, RetryAfterHeader header) {
    Reply reply = error(429,
                        "Rate limit reached for text-embedding-3-small in organization org-fake on requests per min "
                        "(RPM): Limit 3000, Used 3000, Requested 1. Please try again in " +
                            go_duration(retry_after) +
                            ". Visit https://platform.openai.com/account/rate-limits to learn more.",
                        "requests", std::nullopt, "rate_limit_exceeded");
    if (header == RetryAfterHeader::seconds) {
        reply.headers.push_back({"Retry-After", std::to_string((retry_after.count() + 999) / 1000)});
    } else if (header == RetryAfterHeader::milliseconds) {
        reply.headers.push_back({"retry-after-ms", std::to_string(retry_after.count())});
    }
    reply.headers.push_back({"x-ratelimit-remaining-requests", "0"});
    reply.headers.push_back({"x-ratelimit-reset-requests", go_duration(retry_after)});
    return reply;
}

Reply FakeOpenAI::insufficient_quota() {
    return error(429,
                 "You exceeded your current quota, please check your plan and billing details. For more information "
                 "on this error, read the docs: https://platform.openai.com/docs/guides/error-codes/api-errors.",
                 "insufficient_quota", std::nullopt, "insufficient_quota");
}

Reply FakeOpenAI::server_error(int status) {
    if (status == 503) {
        return error(503, "Our servers are experiencing high traffic. Please retry your requests after a brief wait.",
                     "server_error");
    }
    return error(status, "The server had an error while processing your request. Sorry about that!", "server_error");
}

Reply FakeOpenAI::invalid_request(std::string_view message, std::optional<std::string_view> param) {
    return error(400, message, "invalid_request_error", param);
}

Reply FakeOpenAI::malformed_json() {
    return Reply::json(200, R"({"object":"list","data":[{"object":"embedding" "index":0,"embedding":[0.5]}])");
}

Reply FakeOpenAI::truncated() { return Reply::with_fault(Fault::truncate_body); }

Reply FakeOpenAI::reset() { return Reply::with_fault(Fault::reset_mid_body); }

Reply FakeOpenAI::never_answer() { return Reply::with_fault(Fault::never_answer); }

Reply FakeOpenAI::trickle(std::chrono::milliseconds interval) {
    Reply reply;
    reply.fault = Fault::trickle;
    reply.trickle_interval = interval;
    return reply;
}

std::vector<float> FakeOpenAI::embedding(std::string_view model, std::string_view text,
                                         std::optional<std::int32_t> dimensions) {
    return unit_vector(model, text, dimensions);
}

std::vector<float> FakeOpenAI::embedding(std::string_view model, const std::vector<std::int64_t>& tokens,
                                         std::optional<std::int32_t> dimensions) {
    return unit_vector(model, tokens_key(tokens), dimensions);
}

std::int64_t FakeOpenAI::count_tokens(std::string_view text) {
    return std::max<std::int64_t>(1, static_cast<std::int64_t>((text.size() + 3) / 4));
}

std::optional<std::int32_t> FakeOpenAI::native_dimensions(std::string_view model) {
    if (model == "text-embedding-3-small" || model == "text-embedding-ada-002") return 1536;
    if (model == "text-embedding-3-large") return 3072;
    return std::nullopt;
}

std::string FakeOpenAI::base64_floats(const std::vector<float>& values) {
    static constexpr char alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    std::string bytes(values.size() * 4, '\0');
    for (std::size_t i = 0; i < values.size(); ++i) {
        std::uint32_t word = std::bit_cast<std::uint32_t>(values[i]);
        for (int b = 0; b < 4; ++b) bytes[i * 4 + b] = static_cast<char>((word >> (8 * b)) & 0xff);
    }
    // Written in place: a benchmark asks for thousands of these at once.
    std::string text((bytes.size() + 2) / 3 * 4, '=');
    const auto* in = reinterpret_cast<const unsigned char*>(bytes.data());
    char* out = text.data();
    std::size_t i = 0;
    for (; i + 3 <= bytes.size(); i += 3, out += 4) {
        std::uint32_t chunk = (std::uint32_t(in[i]) << 16) | (std::uint32_t(in[i + 1]) << 8) | in[i + 2];
        out[0] = alphabet[(chunk >> 18) & 63];
        out[1] = alphabet[(chunk >> 12) & 63];
        out[2] = alphabet[(chunk >> 6) & 63];
        out[3] = alphabet[chunk & 63];
    }
    if (i < bytes.size()) {
        std::uint32_t chunk = std::uint32_t(in[i]) << 16;
        if (i + 1 < bytes.size()) chunk |= std::uint32_t(in[i + 1]) << 8;
        out[0] = alphabet[(chunk >> 18) & 63];
        out[1] = alphabet[(chunk >> 12) & 63];
        if (i + 1 < bytes.size()) out[2] = alphabet[(chunk >> 6) & 63];
    }
    return text;
}

}  // namespace switchboard::testing
