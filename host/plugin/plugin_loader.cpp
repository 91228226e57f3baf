#include "plugin/plugin_loader.hpp"

#include <algorithm>
#include <cctype>
#include <exception>
#include <set>
#include <string_view>
#include <system_error>
#include <utility>

#include <fmt/format.h>

#include "plugin/entry_point.hpp"
#include "plugin/file_trust.hpp"
#include "plugin/loaded_library.hpp"
#include "switchboard/abi.hpp"
#include "switchboard/task.hpp"

namespace switchboard::plugin {

namespace {

constexpr std::string_view stdlib_key = "stdlib";

// "compiler=gcc-12;stdlib=libstdc++-12 cxx11abi=1;…" as key -> value.
std::map<std::string, std::string> fingerprint_parts(std::string_view fingerprint) {
    std::map<std::string, std::string> parts;
    while (!fingerprint.empty()) {
        auto end = fingerprint.find(';');
        auto part = fingerprint.substr(0, end);
        auto equals = part.find('=');
        if (equals != std::string_view::npos) {
            parts[std::string(part.substr(0, equals))] = std::string(part.substr(equals + 1));
        }
        fingerprint = end == std::string_view::npos ? std::string_view() : fingerprint.substr(end + 1);
    }
    return parts;
}

std::string part_or_unknown(const std::map<std::string, std::string>& parts, std::string_view key) {
    auto it = parts.find(std::string(key));
    return std::string(key) + "=" + (it == parts.end() ? "unknown" : it->second);
}

std::string lowercase(std::string text) {
    std::transform(text.begin(), text.end(), text.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    return text;
}

// The *.so entries directly inside `dir` that are not folders, sorted.
std::vector<std::filesystem::path> plugin_files_in(const std::filesystem::path& dir, std::error_code& ec) {
    std::vector<std::filesystem::path> files;
    for (std::filesystem::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
        std::error_code type_ec;
        if (it->path().extension() == ".so" && !it->is_directory(type_ec)) files.push_back(it->path());
    }
    std::sort(files.begin(), files.end());
    return files;
}

// A new instance from the plugin's create(), or why there is none. The caller must destroy the
// instance while `library` is still loaded.
Result<std::unique_ptr<ServiceInterface>> new_instance(const LoadedLibrary& library) {
    std::string error;
    std::unique_ptr<ServiceInterface> instance(library.descriptor().create(&error));
    if (!instance) {
        return Error::make(ErrorKind::internal, error.empty() ? "create() returned no instance and gave no reason"
                                                              : "constructor threw: " + error);
    }
    return instance;
}

}  // namespace

std::string_view host_fingerprint() noexcept { return SWITCHBOARD_BUILD_FINGERPRINT; }

PluginLoader::PluginLoader(LoaderOptions options, Logger& logger)
    : options_(std::move(options)), logger_(logger) {}

std::vector<PluginRecord> PluginLoader::discover() {
    std::vector<PluginRecord> records;
    std::set<std::filesystem::path> folders_seen;
    std::set<std::string> stems_seen;
    std::map<std::string, std::filesystem::path> provider_of;  // plugin name -> first file

    for (const auto& dir : options_.dirs) {
        std::error_code ec;
        auto folder = std::filesystem::canonical(dir, ec);
        if (ec || !std::filesystem::is_directory(folder, ec)) {
            warn(fmt::format("plugin folder {} is not a readable folder{}: check host.plugin_dirs",
                             dir.string(), ec ? " (" + ec.message() + ")" : std::string()));
            continue;
        }
        if (!folders_seen.insert(folder).second) continue;  // listed twice

        auto files = plugin_files_in(dir, ec);
        if (ec) warn(fmt::format("listing plugin folder {} failed: {}", dir.string(), ec.message()));

        for (const auto& file : files) {
            stems_seen.insert(file.stem().string());
            PluginRecord record = examine(file);
            if (record.loaded()) {
                auto [first, inserted] = provider_of.emplace(record.info.name, record.file);
                if (!inserted) {
                    auto reason = fmt::format("plugin name '{}' is already provided by {}; remove one "
                                              "of the two files",
                                              record.info.name, first->second.string());
                    record = reject(std::move(record), std::move(reason));
                }
            }
            report(record);
            records.push_back(std::move(record));
        }
    }

    for (const auto& [stem, sha256] : options_.pins) {
        if (!stems_seen.contains(stem)) {
            warn(fmt::format("plugins.{}.sha256 pins {}.so, which is in no plugin folder: check the "
                             "name or remove the pin",
                             stem, stem));
        }
    }
    return records;
}

PluginRecord PluginLoader::load_file(const std::filesystem::path& file) {
    PluginRecord record = examine(file);
    report(record);
    return record;
}

Result<std::shared_ptr<ServiceInterface>> PluginLoader::create(const PluginRecord& record) {
    if (!record.loaded()) {
        return Error::make(ErrorKind::unavailable,
                           fmt::format("plugin {} is not loaded: {}", record.file.string(),
                                       record.rejection.empty() ? "it has no library" : record.rejection));
    }
    auto instance = new_instance(*record.library);
    if (!instance) {
        return Error::make(ErrorKind::internal,
                           fmt::format("plugin '{}' ({}) could not create an instance: {}", record.info.name,
                                       record.file.string(), instance.error().message));
    }
    // The deleter runs host code and holds the library until the object is gone.
    return std::shared_ptr<ServiceInterface>(
        std::move(instance).value().release(),
        [library = record.library](ServiceInterface* doomed) { delete doomed; });
}

PluginRecord PluginLoader::examine(const std::filesystem::path& file) {
    std::error_code ec;
    auto absolute = std::filesystem::absolute(file, ec).lexically_normal();
    PluginRecord record;
    record.file = ec ? file : absolute;  // never a bare name: dlopen would search the library path
    auto shown = record.file;
    try {
        return examine_into(std::move(record));
    } catch (...) {
        PluginRecord failed;
        failed.file = shown;
        return reject(std::move(failed), "loading threw an " + detail::describe_current_exception());
    }
}

PluginRecord PluginLoader::examine_into(PluginRecord record) {
    const std::filesystem::path file = record.file;
    if (auto problem = trust_problem(file)) return reject(std::move(record), *problem);
    std::error_code ec;
    if (!std::filesystem::is_regular_file(file, ec)) {
        return reject(std::move(record), "not a regular file, so it cannot be a plugin library: move it out of "
                                         "the plugin folder or replace it with the built plugin");
    }

    if (auto pin = options_.pins.find(file.stem().string()); pin != options_.pins.end()) {
        auto actual = sha256_of_file(file);
        if (!actual) return reject(std::move(record), actual.error().message);
        if (lowercase(pin->second) != actual.value()) {
            return reject(std::move(record),
                          fmt::format("sha256 mismatch: the file has {} but plugins.{}.sha256 in the config "
                                      "pins {}; if this build is the one you want, update the pin",
                                      actual.value(), pin->first, pin->second));
        }
    }

    if (auto problem = entry_point_problem(file)) return reject(std::move(record), *problem);

    auto loaded = LoadedLibrary::load(file);
    if (!loaded) return reject(std::move(record), loaded.error().message);
    std::shared_ptr<LoadedLibrary> library = std::move(loaded).value();
    const PluginDescriptor& descriptor = library->descriptor();
    record.abi_major = descriptor.abi_major;
    record.abi_minor = descriptor.abi_minor;
    record.sdk_version = descriptor.sdk_version ? descriptor.sdk_version : "";
    record.fingerprint = descriptor.build_fingerprint ? descriptor.build_fingerprint : "";
    if (auto problem = descriptor_problem(record)) return reject(std::move(record), *problem);
    if (descriptor.create == nullptr) {
        return reject(std::move(record), "the descriptor has no create function");
    }

    // One probe instance, destroyed before `library` whatever happens.
    auto probe = new_instance(*library);
    if (!probe) return reject(std::move(record), probe.error().message);
    PluginInfo info;
    try {
        info = probe.value()->info();
    } catch (...) {
        return reject(std::move(record), "info() threw an " + detail::describe_current_exception());
    }
    probe.value().reset();
    if (info.name.empty()) return reject(std::move(record), "info() returned an empty plugin name");

    record.info = std::move(info);
    record.library = std::move(library);
    return record;
}

std::optional<std::string> PluginLoader::descriptor_problem(const PluginRecord& record) {
    if (record.abi_major != SWITCHBOARD_ABI_MAJOR) {
        return fmt::format("the descriptor says plugin ABI {}.{} but is exported as {}: rebuild the "
                           "plugin against SDK {} with SWITCHBOARD_PLUGIN",
                           record.abi_major, record.abi_minor,
                           SWITCHBOARD_STRINGIFY(SWITCHBOARD_ENTRY_SYMBOL), SWITCHBOARD_SDK_VERSION);
    }
    if (record.abi_minor > SWITCHBOARD_ABI_MINOR) {
        return fmt::format("built for ABI {}.{}; this host supports up to {}.{}: upgrade the host",
                           record.abi_major, record.abi_minor, SWITCHBOARD_ABI_MAJOR, SWITCHBOARD_ABI_MINOR);
    }

    auto plugin_parts = fingerprint_parts(record.fingerprint);
    static const auto host_parts = fingerprint_parts(host_fingerprint());
    auto plugin_stdlib = part_or_unknown(plugin_parts, stdlib_key);
    auto host_stdlib = part_or_unknown(host_parts, stdlib_key);
    if (plugin_stdlib != host_stdlib || !host_parts.contains(std::string(stdlib_key))) {
        return fmt::format("built with {}; this host uses {}: rebuild the plugin with the host's "
                           "standard library (standard library types cross the plugin boundary)",
                           plugin_stdlib, host_stdlib);
    }

    std::string plugin_side, host_side;
    for (const auto& key : {"compiler", "boost", "std"}) {
        auto theirs = part_or_unknown(plugin_parts, key);
        auto ours = part_or_unknown(host_parts, key);
        if (theirs == ours) continue;
        plugin_side += (plugin_side.empty() ? "" : ", ") + theirs;
        host_side += (host_side.empty() ? "" : ", ") + ours;
    }
    if (!plugin_side.empty()) {
        logger_.log(LogLevel::info, "",
                    fmt::format("plugin {} was built with {}; this host with {}; loading it anyway "
                                "(only the standard library must match)",
                                record.file.string(), plugin_side, host_side));
    }
    return std::nullopt;
}

PluginRecord PluginLoader::reject(PluginRecord record, std::string reason) {
    record.rejection = std::move(reason);
    record.library.reset();
    return record;
}

void PluginLoader::report(const PluginRecord& record) {
    if (!record.loaded()) {
        warn(fmt::format("plugin {} rejected: {}", record.file.string(), record.rejection));
        return;
    }
    std::string capabilities;
    for (const auto& capability : record.info.capabilities) {
        capabilities += (capabilities.empty() ? "" : ", ") + capability;
    }
    logger_.log(LogLevel::info, "",
                fmt::format("loaded plugin '{}' {} from {}: {} (ABI {}.{}, SDK {})", record.info.name,
                            record.info.version, record.file.string(),
                            capabilities.empty() ? "no capabilities" : capabilities, record.abi_major,
                            record.abi_minor, record.sdk_version));
}

void PluginLoader::warn(const std::string& message) { logger_.log(LogLevel::warn, "", message); }

}  // namespace switchboard::plugin
