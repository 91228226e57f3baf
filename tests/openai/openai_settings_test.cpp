#include <atomic>
#include <initializer_list>
#include <memory>
#include <optional>
#include <string>
#include <utility>

#include <catch2/catch.hpp>

#include "fakes/capture_logger.hpp"
#include "fakes/manual_clock.hpp"
#include "openai_embeddings/openai_embeddings.hpp"

// start(), info() and the checks an embed() call passes before anything is sent, with an
// HttpClient that only counts sends.
namespace switchboard::openai {
namespace {

constexpr const char* origin = "switchboard.toml [backends.openai.settings]";
const std::string test_key = "sk-test-0123456789abcdef0123456789abcdef";

class CountingHttpClient final : public HttpClient {
public:
    std::atomic<int> sends{0};
    Task<Result<HttpResponse>> send(CallContext, HttpRequest) override {
        ++sends;
        co_return Error::make(ErrorKind::unavailable, "no network in this test");
    }
};

struct Host {
    testing::ManualClock clock;
    testing::CaptureLogger logger;
    CountingHttpClient http;

    HostServices services() { return HostServices{&logger, &clock, nullptr, &http}; }
    CallContext context() {
        CallContext ctx;
        ctx.request_id = "req-7";
        ctx.logger = &logger;
        return ctx;
    }
};

using SettingList = std::initializer_list<std::tuple<std::string, SettingValue, std::string>>;

BackendConfig config(SettingList settings = {}, std::string key = test_key) {
    BackendConfig config;
    config.backend = "openai";
    config.settings = Settings(origin);
    for (const auto& [name, value, position] : settings) config.settings.set(name, value, position);
    config.api_key = Secret(std::move(key));
    return config;
}

std::string start_error(SettingList settings) {
    Host host;
    OpenAIEmbeddings plugin;
    auto status = plugin.start(host.services(), config(settings));
    REQUIRE_FALSE(status.ok());
    CHECK(status.error().kind == ErrorKind::bad_request);
    return status.error().message;
}

template <class T>
T run_now(Task<T> task) {
    std::optional<T> result;
    std::move(task).start([&](T value) { result.emplace(std::move(value)); });
    REQUIRE(result.has_value());
    return std::move(*result);
}

TEST_CASE("openai-embeddings describes itself, its key and its base URL variable", "[openai]") {
    OpenAIEmbeddings plugin;
    auto info = plugin.info();
    CHECK(info.name == "openai-embeddings");
    CHECK(info.capabilities == std::vector<std::string>{"embeddings"});
    CHECK(info.api_key_prefix == "sk-");
    CHECK(info.api_key_env == "OPENAI_API_KEY");
    CHECK(info.settings_from_env == std::vector<std::pair<std::string, std::string>>{{"base_url", "OPENAI_BASE_URL"}});
}

TEST_CASE("openai-embeddings starts with the documented defaults", "[openai]") {
    Host host;
    OpenAIEmbeddings plugin;
    REQUIRE(plugin.start(host.services(), config()).ok());
    const auto& settings = plugin.settings();
    CHECK(settings.base_url == "https://api.openai.com/v1");
    CHECK(settings.model == "text-embedding-3-small");
    CHECK(settings.organization.empty());
    CHECK(settings.project.empty());
    CHECK(settings.encoding_format == EncodingFormat::base64);
    CHECK(settings.max_batch_inputs == 2048);
    CHECK(settings.max_batch_tokens == 300'000);
    CHECK(settings.batch_concurrency == 4);
    CHECK_FALSE(host.logger.contains(test_key));
}

TEST_CASE("openai-embeddings takes every setting and tolerates a trailing slash on base_url", "[openai]") {
    Host host;
    OpenAIEmbeddings plugin;
    REQUIRE(plugin.start(host.services(),
                         config({{"base_url", std::string("http://127.0.0.1:8080/v1/"), ""},
                                 {"model", std::string("text-embedding-3-large"), ""},
                                 {"organization", std::string("org-123"), ""},
                                 {"project", std::string("proj_abc"), ""},
                                 {"encoding_format", std::string("float"), ""},
                                 {"max_batch_inputs", std::int64_t{16}, ""},
                                 {"max_batch_tokens", std::int64_t{1000}, ""},
                                 {"batch_concurrency", std::int64_t{2}, ""}}))
                .ok());
    const auto& settings = plugin.settings();
    CHECK(settings.base_url == "http://127.0.0.1:8080/v1");
    CHECK(settings.model == "text-embedding-3-large");
    CHECK(settings.organization == "org-123");
    CHECK(settings.project == "proj_abc");
    CHECK(settings.encoding_format == EncodingFormat::floats);
    CHECK(settings.max_batch_inputs == 16);
    CHECK(settings.max_batch_tokens == 1000);
    CHECK(settings.batch_concurrency == 2);
}

TEST_CASE("openai-embeddings refuses bad settings naming the key and where it was written", "[openai]") {
    CHECK(start_error({{"modle", std::string("x"), ""}}) ==
          "unknown setting 'modle' in switchboard.toml [backends.openai.settings] (known: base_url, model, "
          "organization, project, encoding_format, max_batch_inputs, max_batch_tokens, batch_concurrency)");
    CHECK(start_error({{"base_url", std::string("ftp://example.com/v1"), "switchboard.toml:12:5"}}) ==
          "setting 'base_url' at switchboard.toml:12:5 must be an http:// or https:// URL, got 'ftp://example.com/v1'");
    CHECK(start_error({{"base_url", std::string("https:///v1"), "switchboard.toml:12:5"}}) ==
          "setting 'base_url' at switchboard.toml:12:5 has no host: 'https:///v1'");
    CHECK(start_error({{"base_url", std::string("https://api.openai.com/v1?x=1"), "switchboard.toml:12:5"}}) ==
          "setting 'base_url' at switchboard.toml:12:5 must be a plain URL without spaces, query or fragment, got "
          "'https://api.openai.com/v1?x=1'");
    CHECK(start_error({{"model", std::string(""), "switchboard.toml:13:5"}}) ==
          "setting 'model' at switchboard.toml:13:5 must not be empty");
    CHECK(start_error({{"model", std::int64_t{3}, "switchboard.toml:13:5"}}) ==
          "setting 'model' at switchboard.toml:13:5 must be a string");
    CHECK(start_error({{"organization", std::string("org-1\r\nX-Evil: 1"), "switchboard.toml:14:5"}}) ==
          "setting 'organization' at switchboard.toml:14:5 must not contain control characters");
    CHECK(start_error({{"encoding_format", std::string("hex"), "switchboard.toml:15:5"}}) ==
          "setting 'encoding_format' at switchboard.toml:15:5 must be \"base64\" or \"float\", got \"hex\"");
    CHECK(start_error({{"max_batch_inputs", std::int64_t{2049}, "switchboard.toml:16:5"}}) ==
          "setting 'max_batch_inputs' at switchboard.toml:16:5 must be between 1 and 2048, got 2049");
    CHECK(start_error({{"max_batch_inputs", std::int64_t{0}, ""}}) ==
          "setting 'max_batch_inputs' in switchboard.toml [backends.openai.settings] must be between 1 and 2048, got 0");
    CHECK(start_error({{"max_batch_tokens", std::int64_t{300'001}, "switchboard.toml:17:5"}}) ==
          "setting 'max_batch_tokens' at switchboard.toml:17:5 must be between 1 and 300000, got 300001");
    CHECK(start_error({{"batch_concurrency", std::int64_t{0}, "switchboard.toml:18:5"}}) ==
          "setting 'batch_concurrency' at switchboard.toml:18:5 must be between 1 and 64, got 0");
}

TEST_CASE("openai-embeddings will not start without the host's HTTP client", "[openai]") {
    Host host;
    OpenAIEmbeddings plugin;
    HostServices services = host.services();
    services.http = nullptr;
    auto status = plugin.start(services, config());
    REQUIRE_FALSE(status.ok());
    CHECK(status.error().kind == ErrorKind::internal);
    CHECK(status.error().message ==
          "openai-embeddings backend 'openai' needs the host's HTTP client (HostServices::http is null)");
}

TEST_CASE("without a key openai-embeddings starts, then every call and probe fails with auth and sends nothing",
          "[openai]") {
    Host host;
    OpenAIEmbeddings plugin;
    REQUIRE(plugin.start(host.services(), config({}, "")).ok());
    const std::string expected = "no API key for backend 'openai': set OPENAI_API_KEY or api_key in [backends.openai]";

    EmbeddingsRequest request;
    request.inputs = {"hello"};
    auto embedded = run_now(plugin.embed(host.context(), request));
    REQUIRE_FALSE(embedded.ok());
    CHECK(embedded.error().kind == ErrorKind::auth);
    CHECK(embedded.error().message == expected);

    auto probed = run_now(plugin.health(host.context()));
    REQUIRE_FALSE(probed.ok());
    CHECK(probed.error().kind == ErrorKind::auth);
    CHECK(probed.error().message == expected);
    CHECK(host.http.sends == 0);
}

TEST_CASE("a call before start() is an internal error", "[openai]") {
    Host host;
    OpenAIEmbeddings plugin;
    EmbeddingsRequest request;
    request.inputs = {"hello"};
    auto embedded = run_now(plugin.embed(host.context(), request));
    REQUIRE_FALSE(embedded.ok());
    CHECK(embedded.error().kind == ErrorKind::internal);
    CHECK(embedded.error().message == "openai-embeddings was called before start() (request req-7)");
}

TEST_CASE("requests OpenAI would refuse are bad requests sent nowhere", "[openai]") {
    Host host;
    OpenAIEmbeddings plugin;
    REQUIRE(plugin.start(host.services(), config()).ok());
    auto refused = [&](EmbeddingsRequest request) {
        auto result = run_now(plugin.embed(host.context(), std::move(request)));
        REQUIRE_FALSE(result.ok());
        CHECK(result.error().kind == ErrorKind::bad_request);
        return result.error().message;
    };

    CHECK(refused(EmbeddingsRequest{}) ==
          "the request has no inputs; send at least one text or token array (backend 'openai', request req-7)");

    EmbeddingsRequest both;
    both.inputs = {"a"};
    both.token_inputs = {{1}};
    CHECK(refused(both) == "the request sets both inputs and token_inputs; send one of them (backend 'openai', "
                           "request req-7)");

    EmbeddingsRequest empty_text;
    empty_text.inputs = {"a", ""};
    CHECK(refused(empty_text) == "input 1 is empty, which OpenAI refuses (backend 'openai', request req-7)");

    EmbeddingsRequest empty_tokens;
    empty_tokens.token_inputs = {{1, 2}, {}};
    CHECK(refused(empty_tokens) == "token input 1 is empty, which OpenAI refuses (backend 'openai', request req-7)");

    EmbeddingsRequest zero_dimensions;
    zero_dimensions.inputs = {"a"};
    zero_dimensions.dimensions = 0;
    CHECK(refused(zero_dimensions) == "dimensions must be at least 1, got 0 (backend 'openai', request req-7)");

    CHECK(host.http.sends == 0);
}

}  // namespace
}  // namespace switchboard::openai
