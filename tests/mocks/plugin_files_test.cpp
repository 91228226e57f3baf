#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <string>

#include <dlfcn.h>

#include <boost/dll/import.hpp>
#include <boost/dll/shared_library.hpp>
#include <catch2/catch.hpp>

#include "mocks/mock_harness.hpp"
#include "switchboard/abi.hpp"
#include "switchboard/service_interface.hpp"

// Loads the built plugin files the plain Boost.DLL way, without the host's loader: proof that
// each file exports a working descriptor.
namespace switchboard::mock {
namespace {

std::filesystem::path plugin_file(const std::string& name) {
    std::filesystem::path path = std::filesystem::path(SWITCHBOARD_PLUGIN_DIR) / name;
    INFO("plugin file " << path);
    REQUIRE(std::filesystem::exists(path));
    return path;
}

// The library stays loaded while the descriptor (which holds it) lives.
boost::shared_ptr<const PluginDescriptor> load(const std::string& name) {
    boost::dll::shared_library library(plugin_file(name),
                                       boost::dll::load_mode::rtld_now | boost::dll::load_mode::rtld_local);
    REQUIRE(library.has(SWITCHBOARD_STRINGIFY(SWITCHBOARD_ENTRY_SYMBOL)));
    auto descriptor = boost::dll::import_alias<const PluginDescriptor>(library, "switchboard_plugin_v2");
    CHECK(descriptor->abi_major == SWITCHBOARD_ABI_MAJOR);
    CHECK(descriptor->abi_minor == SWITCHBOARD_ABI_MINOR);
    CHECK(std::string(descriptor->sdk_version) == SWITCHBOARD_SDK_VERSION);
    CHECK(std::string(descriptor->build_fingerprint) == SWITCHBOARD_BUILD_FINGERPRINT);
    return descriptor;
}

std::unique_ptr<ServiceInterface> create(const PluginDescriptor& descriptor) {
    std::string error;
    std::unique_ptr<ServiceInterface> instance(descriptor.create(&error));
    INFO(error);
    REQUIRE(instance);
    return instance;
}

TEST_CASE("mock-embeddings.so loads, starts and embeds", "[mocks]") {
    auto descriptor = load("mock-embeddings.so");
    testing::Host host;
    {
        auto plugin = create(*descriptor);
        CHECK(plugin->info().name == "mock-embeddings");
        auto started = plugin->start(host.services(), testing::backend_config({{"dimensions", std::int64_t{8}}}));
        REQUIRE(started.ok());
        EmbeddingsRequest request;
        request.inputs = {"hello from a plugin file"};
        testing::Started call(plugin->embed(host.context(), request));
        REQUIRE(call.done());
        REQUIRE(call.result().ok());
        const auto& vector = call.result()->vectors.at(0);
        CHECK(vector.size() == 8);
        double squares = 0;
        for (float x : vector) squares += double(x) * x;
        CHECK(std::abs(std::sqrt(squares) - 1.0) < 1e-5);
        plugin->shutdown();
    }
}

TEST_CASE("mock-parse.so loads, starts and parses", "[mocks]") {
    auto descriptor = load("mock-parse.so");
    testing::Host host;
    {
        auto plugin = create(*descriptor);
        CHECK(plugin->info().name == "mock-parse");
        REQUIRE(plugin->start(host.services(), testing::backend_config({{"latency_ms", std::int64_t{5}}})).ok());
        ParseRequest request;
        request.file_name = "hello.html";
        request.data = "<h1>Hello</h1><p>from a <em>plugin</em> file</p>";
        testing::Started call(plugin->parse(host.context(), request));
        CHECK_FALSE(call.done());
        host.clock.advance(std::chrono::milliseconds(5));
        REQUIRE(call.done());
        REQUIRE(call.result().ok());
        CHECK(call.result()->markdown == "# Hello\n\nfrom a *plugin* file");
        plugin->shutdown();
    }
}

TEST_CASE("a mock plugin refuses a bad setting across the library boundary", "[mocks]") {
    auto descriptor = load("mock-embeddings.so");
    testing::Host host;
    auto plugin = create(*descriptor);
    auto started =
        plugin->start(host.services(), testing::backend_config({{"failure_kind", std::string("boom")}}));
    REQUIRE_FALSE(started.ok());
    CHECK(started.error().kind == ErrorKind::bad_request);
    CHECK(started.error().message ==
          "setting 'failure_kind' in switchboard.toml [backends.mock.settings] must be one of unavailable, "
          "timeout, rate_limited, malformed; got 'boom'");
}

TEST_CASE("mock plugin files unload once the last handle is gone", "[mocks]") {
    for (std::string name : {"mock-embeddings.so", "mock-parse.so"}) {
        auto path = plugin_file(name);
        {
            auto descriptor = load(name);
            testing::Host host;
            auto plugin = create(*descriptor);
            REQUIRE(plugin->start(host.services(), testing::backend_config()).ok());
        }
        // A GNU-unique symbol in the file would pin it in memory for good.
        INFO(name << " is still loaded");
        void* still_loaded = dlopen(path.c_str(), RTLD_NOW | RTLD_NOLOAD);
        if (still_loaded) dlclose(still_loaded);
        CHECK(still_loaded == nullptr);
    }
}

}  // namespace
}  // namespace switchboard::mock
