#include <filesystem>
#include <memory>
#include <string>

#include <boost/dll/import.hpp>
#include <boost/dll/shared_library.hpp>
#include <catch2/catch.hpp>

#include "openai/openai_harness.hpp"
#include "switchboard/abi.hpp"

// The built openai-embeddings.so, loaded the plain Boost.DLL way: it exports a working descriptor
// and its plugin embeds against the fake.
namespace switchboard::openai {
namespace {

using namespace testing;

TEST_CASE("openai-embeddings.so loads, describes itself and embeds against the fake", "[openai]") {
    std::filesystem::path path = std::filesystem::path(SWITCHBOARD_PLUGIN_DIR) / "openai-embeddings.so";
    INFO("plugin file " << path);
    REQUIRE(std::filesystem::exists(path));
    boost::dll::shared_library library(path, boost::dll::load_mode::rtld_now | boost::dll::load_mode::rtld_local);
    auto descriptor = boost::dll::import_alias<const PluginDescriptor>(
        library, SWITCHBOARD_STRINGIFY(SWITCHBOARD_ENTRY_SYMBOL));
    CHECK(descriptor->abi_major == SWITCHBOARD_ABI_MAJOR);
    CHECK(std::string(descriptor->build_fingerprint) == SWITCHBOARD_BUILD_FINGERPRINT);

    FakeOpenAI fake(test_key);
    HttpHarness harness;
    std::string error;
    std::unique_ptr<ServiceInterface> plugin(descriptor->create(&error));
    INFO(error);
    REQUIRE(plugin);
    auto info = plugin->info();
    CHECK(info.name == "openai-embeddings");
    CHECK(info.api_key_env == "OPENAI_API_KEY");

    BackendConfig config;
    config.backend = "openai";
    config.settings.set("base_url", fake.base_url());
    config.api_key = Secret(test_key);
    REQUIRE(plugin->start(harness.services(), config).ok());
    auto result = harness.run(plugin->embed(harness.context(), texts({"from the plugin file"})));
    REQUIRE(result.ok());
    CHECK(result->vectors.at(0) == FakeOpenAI::embedding("text-embedding-3-small", "from the plugin file"));
    plugin->shutdown();
    plugin.reset();
}

}  // namespace
}  // namespace switchboard::openai
