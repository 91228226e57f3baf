#include <dlfcn.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <map>
#include <string>
#include <vector>

#include <catch2/catch.hpp>

#include "fakes/capture_logger.hpp"
#include "plugin/file_trust.hpp"
#include "plugin/plugin_loader.hpp"
#include "switchboard/abi.hpp"
#include "plugin_folder.hpp"
#include "call_helpers.hpp"

namespace fs = std::filesystem;
using switchboard::EmbeddingsRequest;
using switchboard::EmbeddingsResponse;
using switchboard::ErrorKind;
using switchboard::LogLevel;
using switchboard::Result;
using switchboard::plugin::LoaderOptions;
using switchboard::plugin::PluginLoader;
using switchboard::plugin::PluginRecord;
using switchboard::testing::CaptureLogger;
using switchboard::testing::PluginFolder;
using switchboard::testing::StartedTask;
using switchboard::testing::backend_config;
using switchboard::testing::embeddings_request;
using switchboard::testing::host_services;

namespace {

const std::vector<std::string> broken_plugins = {
    "no_entry", "abi_major_99", "abi_minor_new", "stdlib_mismatch",
    "ctor_throws", "create_null", "info_throws", "unresolved"};
const std::vector<std::string> good_plugins = {"echo", "thrower", "compiler_differs"};

// Every test plugin, good and broken, in one folder.
void add_every_test_plugin(const PluginFolder& folder) {
    for (const auto& name : broken_plugins) folder.add(name);
    for (const auto& name : good_plugins) folder.add(name);
    PluginFolder::copy(PluginFolder::test_plugin("not_elf"), folder.path() / "not_elf.so");
}

const PluginRecord& record_for(const std::vector<PluginRecord>& records, const fs::path& file) {
    auto it = std::find_if(records.begin(), records.end(),
                           [&](const PluginRecord& record) { return record.file == file; });
    if (it == records.end()) FAIL("no record for " << file);
    return *it;
}

std::vector<std::string> messages_at(const CaptureLogger& logger, LogLevel level) {
    std::vector<std::string> messages;
    for (const auto& line : logger.lines()) {
        if (line.level == level) messages.push_back(line.message);
    }
    return messages;
}

// True while the dynamic loader has `file` mapped into this process.
bool is_mapped(const fs::path& file) {
    void* handle = ::dlopen(file.c_str(), RTLD_NOW | RTLD_NOLOAD);
    if (handle == nullptr) return false;
    ::dlclose(handle);
    return true;
}

std::string sha256_of(const fs::path& file) {
    auto hash = switchboard::plugin::sha256_of_file(file);
    REQUIRE(hash.ok());
    return hash.value();
}

}  // namespace

TEST_CASE("each broken plugin is rejected with its exact reason while the good ones load", "[plugin]") {
    PluginFolder folder;
    add_every_test_plugin(folder);
    const std::string dir = folder.path().string();
    const std::map<std::string, std::string> expected = {
        {"not_elf.so", "not an ELF shared library: the file does not start with an ELF header"},
        {"no_entry.so",
         "no Switchboard entry point: no symbol switchboard_plugin_v2 in section sbplugin (export the "
         "plugin with SWITCHBOARD_PLUGIN(YourClass) from <switchboard/plugin.hpp>)"},
        {"abi_major_99.so",
         "built for plugin ABI 99; this host speaks ABI 2 (rebuild the plugin against SDK 0.3.0)"},
        {"abi_minor_new.so", "built for ABI 2.7; this host supports up to 2.1: upgrade the host"},
        {"stdlib_mismatch.so",
         "built with stdlib=libc++-160000; this host uses stdlib=" SWITCHBOARD_STDLIB
         ": rebuild the plugin with the host's standard library (standard library types cross the "
         "plugin boundary)"},
        {"ctor_throws.so", "constructor threw: cannot reach the model server at startup"},
        {"create_null.so", "create() returned no instance and gave no reason"},
        {"info_throws.so", "info() threw an unhandled exception: info is broken"},
        {"unresolved.so", "dlopen failed: " + dir +
                              "/unresolved.so: undefined symbol: switchboard_test_symbol_nobody_defines "
                              "(rebuild the plugin against SDK 0.3.0 and check `ldd " + dir +
                              "/unresolved.so` for missing libraries)"},
        {"echo.so", ""},
        {"thrower.so", ""},
        {"compiler_differs.so", ""},
    };

    CaptureLogger logger;
    PluginLoader loader(LoaderOptions{{folder.path()}, {}}, logger);
    auto records = loader.discover();

    REQUIRE(records.size() == expected.size());
    for (const auto& record : records) {
        CAPTURE(record.file);
        CHECK(record.rejection == expected.at(record.file.filename().string()));
        CHECK(record.rejection.empty() == record.loaded());
    }
    CHECK(std::is_sorted(records.begin(), records.end(),
                         [](const auto& a, const auto& b) { return a.file < b.file; }));
}

TEST_CASE("every rejection is logged once as a warning naming the file", "[plugin]") {
    PluginFolder folder;
    add_every_test_plugin(folder);
    CaptureLogger logger;
    PluginLoader loader(LoaderOptions{{folder.path()}, {}}, logger);
    auto records = loader.discover();

    std::vector<std::string> expected;
    for (const auto& record : records) {
        if (record.loaded()) continue;
        expected.push_back("plugin " + record.file.string() + " rejected: " + record.rejection);
    }
    CHECK(expected.size() == broken_plugins.size() + 1);
    CHECK(messages_at(logger, LogLevel::warn) == expected);
}

TEST_CASE("a loaded plugin reports its info, ABI and build, and is logged", "[plugin]") {
    PluginFolder folder;
    auto file = folder.add("echo");
    CaptureLogger logger;
    PluginLoader loader(LoaderOptions{{folder.path()}, {}}, logger);

    auto record = loader.load_file(file);

    REQUIRE(record.loaded());
    CHECK(record.info.name == "echo");
    CHECK(record.info.version == "1.0.0");
    CHECK(record.info.capabilities == std::vector<std::string>{"embeddings"});
    CHECK(record.info.api_key_prefix.empty());
    CHECK(record.abi_major == 2);
    CHECK(record.abi_minor == 1);
    CHECK(record.sdk_version == "0.3.0");
    CHECK(record.fingerprint == switchboard::plugin::host_fingerprint());
    CHECK(messages_at(logger, LogLevel::info) ==
          std::vector<std::string>{"loaded plugin 'echo' 1.0.0 from " + file.string() +
                                   ": embeddings (ABI 2.1, SDK 0.3.0)"});
}

TEST_CASE("a plugin rejected for its descriptor still reports the versions it declared", "[plugin]") {
    PluginFolder folder;
    CaptureLogger logger;
    PluginLoader loader(LoaderOptions{{folder.path()}, {}}, logger);

    auto record = loader.load_file(folder.add("abi_minor_new"));

    CHECK_FALSE(record.loaded());
    CHECK(record.abi_major == 2);
    CHECK(record.abi_minor == 7);
    CHECK(record.sdk_version == "0.3.0");
    CHECK(record.info.name.empty());
    CHECK(record.library == nullptr);
}

TEST_CASE("a plugin built by another compiler and Boost loads and the difference is logged", "[plugin]") {
    PluginFolder folder;
    auto file = folder.add("compiler_differs");
    CaptureLogger logger;
    PluginLoader loader(LoaderOptions{{folder.path()}, {}}, logger);

    auto record = loader.load_file(file);

    CHECK(record.loaded());
    CHECK(record.info.name == "other-compiler");
    CHECK(logger.contains("plugin " + file.string() +
                          " was built with compiler=clang-99, boost=100000; this host with "
                          "compiler=" SWITCHBOARD_COMPILER ", boost=" SWITCHBOARD_STRINGIFY(BOOST_VERSION)
                          "; loading it anyway (only the standard library must match)"));
}

TEST_CASE("the good plugin serves calls beside the broken ones", "[plugin]") {
    PluginFolder folder;
    add_every_test_plugin(folder);
    CaptureLogger logger;
    PluginLoader loader(LoaderOptions{{folder.path()}, {}}, logger);
    auto records = loader.discover();

    auto echo = loader.create(record_for(records, folder.path() / "echo.so"));
    REQUIRE(echo.ok());
    REQUIRE(echo.value()->start(host_services(&logger), backend_config("echo-backend")).ok());
    StartedTask<Result<EmbeddingsResponse>> call(echo.value()->embed({}, embeddings_request({"hi", ""})));

    REQUIRE(call.done());
    REQUIRE(call.result().ok());
    CHECK(call.result().value().vectors == std::vector<std::vector<float>>{{2.0f, 104.0f}, {0.0f, 0.0f}});
    CHECK(call.result().value().usage.prompt_tokens == 2);
}

TEST_CASE("two files offering the same plugin name: the later one is rejected naming the first", "[plugin]") {
    PluginFolder folder;
    auto first = folder.add("echo");
    auto second = folder.add("echo", "echo_copy");
    CaptureLogger logger;
    PluginLoader loader(LoaderOptions{{folder.path()}, {}}, logger);

    auto records = loader.discover();

    REQUIRE(records.size() == 2);
    CHECK(record_for(records, first).loaded());
    const auto& duplicate = record_for(records, second);
    CHECK(duplicate.rejection ==
          "plugin name 'echo' is already provided by " + first.string() + "; remove one of the two files");
    CHECK(duplicate.library == nullptr);
    CHECK(messages_at(logger, LogLevel::warn).size() == 1);
}

TEST_CASE("a world-writable plugin file is refused before it is loaded", "[plugin]") {
    PluginFolder folder;
    auto file = folder.add("echo");
    PluginFolder::chmod(file, 0666);
    CaptureLogger logger;
    PluginLoader loader(LoaderOptions{{folder.path()}, {}}, logger);

    auto record = loader.load_file(file);

    CHECK(record.rejection == "file is writable by group or others (mode 0666): whoever can write it can "
                              "run code in the host; run `chmod go-w " + file.string() + "`");
    CHECK_FALSE(is_mapped(file));
}

TEST_CASE("a plugin in a world-writable folder is refused before it is loaded", "[plugin]") {
    PluginFolder folder;
    auto file = folder.add("echo");
    PluginFolder::chmod(folder.path(), 0777);
    CaptureLogger logger;
    PluginLoader loader(LoaderOptions{{folder.path()}, {}}, logger);

    auto records = loader.discover();

    REQUIRE(records.size() == 1);
    const auto dir = folder.path().string();
    CHECK(records[0].rejection == "folder " + dir + " is writable by group or others (mode 0777): whoever "
                                  "can write it can run code in the host; run `chmod go-w " + dir + "`");
    CHECK_FALSE(is_mapped(file));
}

TEST_CASE("a plugin below a world-writable folder is refused unless that folder is sticky", "[plugin]") {
    PluginFolder outer;
    auto inner = outer.path() / "plugins";
    auto file = PluginFolder::copy(PluginFolder::test_plugin("echo"), inner / "echo.so");
    PluginFolder::chmod(inner, 0755);
    CaptureLogger logger;
    PluginLoader loader(LoaderOptions{{inner}, {}}, logger);

    PluginFolder::chmod(outer.path(), 0777);
    const auto dir = outer.path().string();
    CHECK(loader.load_file(file).rejection ==
          "folder " + dir + " above the plugin is writable by anyone (mode 0777) without the sticky bit: "
          "anyone could swap the plugin folder; run `chmod o-w " + dir + "`");
    CHECK_FALSE(is_mapped(file));

    PluginFolder::chmod(outer.path(), 01777);  // like /tmp: only owners may rename entries
    CHECK(loader.load_file(file).loaded());
    PluginFolder::chmod(outer.path(), 0755);
}

TEST_CASE("a group-writable plugin file is refused too", "[plugin]") {
    PluginFolder folder;
    auto file = folder.add("echo");
    PluginFolder::chmod(file, 0775);
    CaptureLogger logger;
    PluginLoader loader(LoaderOptions{{folder.path()}, {}}, logger);

    CHECK(loader.load_file(file).rejection ==
          "file is writable by group or others (mode 0775): whoever can write it can run code in the "
          "host; run `chmod go-w " + file.string() + "`");
}

TEST_CASE("a plugin file owned by another user is refused", "[plugin]") {
    if (::geteuid() != 0) {
        WARN("only root can give a file to another user; ownership refusal not exercised");
        return;
    }
    PluginFolder folder;
    auto file = folder.add("echo");
    REQUIRE(::chown(file.c_str(), 65534, 65534) == 0);
    CaptureLogger logger;
    PluginLoader loader(LoaderOptions{{folder.path()}, {}}, logger);

    CHECK(loader.load_file(file).rejection ==
          "file is owned by uid 65534, neither this user (uid 0) nor root: only load code you own; run "
          "`chown 0 " + file.string() + "` if you trust it");
}

TEST_CASE("sha256_of_file hashes the file's bytes", "[plugin]") {
    PluginFolder folder;
    auto file = folder.path() / "abc.txt";
    std::ofstream(file) << "abc";

    CHECK(sha256_of(file) == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    CHECK(switchboard::plugin::sha256_of_file(folder.path() / "missing").error().message ==
          "cannot read " + (folder.path() / "missing").string() + " to hash it: No such file or directory");
}

TEST_CASE("a plugin whose sha256 matches its pin loads, whatever the case of the pin", "[plugin]") {
    PluginFolder folder;
    auto file = folder.add("echo");
    std::string pin = sha256_of(file);
    std::transform(pin.begin(), pin.end(), pin.begin(), [](unsigned char c) { return std::toupper(c); });
    CaptureLogger logger;
    PluginLoader loader(LoaderOptions{{folder.path()}, {{"echo", pin}}}, logger);

    CHECK(loader.discover().at(0).loaded());
    CHECK(messages_at(logger, LogLevel::warn).empty());
}

TEST_CASE("a plugin whose sha256 differs from its pin is refused showing both hashes", "[plugin]") {
    PluginFolder folder;
    auto file = folder.add("echo");
    const std::string pin(64, '0');
    CaptureLogger logger;
    PluginLoader loader(LoaderOptions{{folder.path()}, {{"echo", pin}}}, logger);

    auto record = loader.load_file(file);

    CHECK(record.rejection == "sha256 mismatch: the file has " + sha256_of(file) +
                                  " but plugins.echo.sha256 in the config pins " + pin +
                                  "; if this build is the one you want, update the pin");
    CHECK_FALSE(is_mapped(file));
}

TEST_CASE("a pin for a plugin that is in no folder is reported", "[plugin]") {
    PluginFolder folder;
    folder.add("echo");
    CaptureLogger logger;
    PluginLoader loader(LoaderOptions{{folder.path()}, {{"ghost", std::string(64, 'a')}}}, logger);

    loader.discover();

    CHECK(messages_at(logger, LogLevel::warn) ==
          std::vector<std::string>{"plugins.ghost.sha256 pins ghost.so, which is in no plugin folder: check the "
                                   "name or remove the pin"});
}

TEST_CASE("the loader only looks at *.so files directly inside the configured folders", "[plugin]") {
    PluginFolder unconfigured;
    auto elsewhere = unconfigured.add("echo");
    PluginFolder folder;
    auto thrower = folder.add("thrower");
    auto nested = PluginFolder::copy(PluginFolder::test_plugin("echo"), folder.path() / "nested" / "echo.so");
    auto backup = PluginFolder::copy(PluginFolder::test_plugin("echo"), folder.path() / "echo.so.bak");
    std::ofstream(folder.path() / "README.txt") << "not a plugin";
    CaptureLogger logger;
    PluginLoader loader(LoaderOptions{{folder.path(), folder.path()}, {}}, logger);

    auto records = loader.discover();

    REQUIRE(records.size() == 1);
    CHECK(records[0].file == thrower);
    CHECK(records[0].loaded());
    CHECK_FALSE(is_mapped(elsewhere));
    CHECK_FALSE(is_mapped(nested));
    CHECK_FALSE(is_mapped(backup));
}

TEST_CASE("a missing plugin folder is reported and the other folders still load", "[plugin]") {
    PluginFolder folder;
    folder.add("echo");
    const fs::path missing = folder.path() / "no-such-folder";
    CaptureLogger logger;
    PluginLoader loader(LoaderOptions{{missing, folder.path()}, {}}, logger);

    auto records = loader.discover();

    REQUIRE(records.size() == 1);
    CHECK(records[0].loaded());
    CHECK(messages_at(logger, LogLevel::warn) ==
          std::vector<std::string>{"plugin folder " + missing.string() +
                                   " is not a readable folder (No such file or directory): check host.plugin_dirs"});
}

TEST_CASE("an instance keeps its library loaded after the loader and the record are gone", "[plugin]") {
    PluginFolder folder;
    auto file = folder.add("echo");
    std::shared_ptr<switchboard::ServiceInterface> instance;
    {
        CaptureLogger logger;
        PluginLoader loader(LoaderOptions{{folder.path()}, {}}, logger);
        auto records = loader.discover();
        REQUIRE(records.size() == 1);
        auto created = loader.create(records.front());
        REQUIRE(created.ok());
        instance = created.value();
    }

    REQUIRE(is_mapped(file));
    CHECK(instance->info().name == "echo");
    StartedTask<Result<EmbeddingsResponse>> call(instance->embed({}, embeddings_request({"kept"})));
    REQUIRE(call.done());
    CHECK(call.result().value().vectors == std::vector<std::vector<float>>{{4.0f, 107.0f}});

    instance.reset();
    CHECK_FALSE(is_mapped(file));
}

TEST_CASE("create on a rejected record is an error naming the rejection", "[plugin]") {
    PluginFolder folder;
    auto file = folder.add("create_null");
    CaptureLogger logger;
    PluginLoader loader(LoaderOptions{{folder.path()}, {}}, logger);
    auto record = loader.load_file(file);

    auto created = loader.create(record);

    REQUIRE_FALSE(created.ok());
    CHECK(created.error().kind == ErrorKind::unavailable);
    CHECK(created.error().message ==
          "plugin " + file.string() + " is not loaded: create() returned no instance and gave no reason");
}

TEST_CASE("a plugin path that is not a regular file is rejected with what to do", "[plugin]") {
    PluginFolder folder;
    const fs::path file = folder.path() / "pipe.so";
    REQUIRE(::mkfifo(file.c_str(), 0644) == 0);
    PluginFolder::chmod(file, 0644);
    CaptureLogger logger;
    PluginLoader loader(LoaderOptions{{folder.path()}, {}}, logger);

    auto record = loader.load_file(file);

    CHECK_FALSE(record.loaded());
    CHECK(record.rejection == "not a regular file, so it cannot be a plugin library: move it out of the plugin "
                              "folder or replace it with the built plugin");
}
