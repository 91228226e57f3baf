#include "openai_embeddings/openai_settings.hpp"

#include <span>
#include <utility>

namespace switchboard::openai {
namespace {

Error bad_setting(const Settings& settings, std::string_view key, std::string_view problem) {
    return Error::make(ErrorKind::bad_request,
                       "setting '" + std::string(key) + "'" + settings.where(key) + " " + std::string(problem));
}

Result<std::int64_t> int_in_range(const Settings& settings, std::string_view key, std::int64_t fallback,
                                  std::int64_t min, std::int64_t max) {
    auto value = settings.get<std::int64_t>(key, fallback);
    if (!value) return value;
    if (value.value() < min || value.value() > max) {
        return bad_setting(settings, key,
                           "must be between " + std::to_string(min) + " and " + std::to_string(max) +
                               ", got " + std::to_string(value.value()));
    }
    return value;
}

// A header value: no control characters, which would end the header early.
Result<std::string> header_value(const Settings& settings, std::string_view key) {
    auto value = settings.get<std::string>(key, "");
    if (!value) return value;
    for (char c : value.value()) {
        if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) {
            return bad_setting(settings, key, "must not contain control characters");
        }
    }
    return value;
}

Result<std::string> http_url(const Settings& settings, std::string fallback) {
    auto value = settings.get<std::string>("base_url", std::move(fallback));
    if (!value) return value;
    std::string url = std::move(value).value();
    while (!url.empty() && url.back() == '/') url.pop_back();
    std::string_view rest = url;
    if (rest.starts_with("https://")) rest.remove_prefix(8);
    else if (rest.starts_with("http://")) rest.remove_prefix(7);
    else return bad_setting(settings, "base_url", "must be an http:// or https:// URL, got '" + url + "'");
    if (rest.empty() || rest.front() == '/') {
        return bad_setting(settings, "base_url", "has no host: '" + url + "'");
    }
    for (char c : rest) {
        if (static_cast<unsigned char>(c) <= 0x20 || c == 0x7f || c == '?' || c == '#') {
            return bad_setting(settings, "base_url",
                               "must be a plain URL without spaces, query or fragment, got '" + url + "'");
        }
    }
    return url;
}

}  // namespace

Result<OpenAISettings> OpenAISettings::from(const Settings& settings) {
    if (auto known = settings.only_keys(std::span<const std::string_view>(keys)); !known) {
        return std::move(known).error();
    }
    OpenAISettings result;

    auto url = http_url(settings, result.base_url);
    if (!url) return std::move(url).error();
    result.base_url = std::move(url).value();

    auto model = settings.get<std::string>("model", result.model);
    if (!model) return std::move(model).error();
    if (model.value().empty()) return bad_setting(settings, "model", "must not be empty");
    result.model = std::move(model).value();

    auto organization = header_value(settings, "organization");
    if (!organization) return std::move(organization).error();
    result.organization = std::move(organization).value();
    auto project = header_value(settings, "project");
    if (!project) return std::move(project).error();
    result.project = std::move(project).value();

    auto format = settings.get<std::string>("encoding_format", "base64");
    if (!format) return std::move(format).error();
    if (format.value() == "base64") result.encoding_format = EncodingFormat::base64;
    else if (format.value() == "float") result.encoding_format = EncodingFormat::floats;
    else return bad_setting(settings, "encoding_format", "must be \"base64\" or \"float\", got \"" + format.value() + "\"");

    auto inputs = int_in_range(settings, "max_batch_inputs", api_max_inputs, 1, api_max_inputs);
    if (!inputs) return std::move(inputs).error();
    result.max_batch_inputs = static_cast<std::size_t>(inputs.value());

    auto tokens = int_in_range(settings, "max_batch_tokens", api_max_tokens, 1, api_max_tokens);
    if (!tokens) return std::move(tokens).error();
    result.max_batch_tokens = tokens.value();

    auto concurrency = int_in_range(settings, "batch_concurrency", 4, 1, 64);
    if (!concurrency) return std::move(concurrency).error();
    result.batch_concurrency = static_cast<std::size_t>(concurrency.value());
    return result;
}

}  // namespace switchboard::openai
