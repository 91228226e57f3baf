#include <string>
#include <vector>

#include <boost/json.hpp>
#include <catch2/catch.hpp>

#include "fakes/fake_llamaparse.hpp"
#include "fakes/http_harness.hpp"

// The fake's routes that the plugin does not use, as benchmarks and other clients see them.
namespace switchboard::testing {
namespace {

namespace json = boost::json;

const std::string key = "llx-test-fedcba9876543210fedcba9876543210";

struct Client {
    HttpHarness harness;
    FakeLlamaParse fake{key};

    HttpResponse send(std::string method, std::string path, std::string body = {}, std::string content_type = {},
                      std::string auth = key) {
        HttpRequest request;
        request.method = std::move(method);
        request.url = fake.base_url() + path;
        request.headers.push_back({"Authorization", "Bearer " + auth});
        if (!content_type.empty()) request.headers.push_back({"Content-Type", content_type});
        request.body = std::move(body);
        request.retry = false;
        request.classify = [](const HttpResponse&) { return std::optional<Error>(); };
        auto result = harness.run(harness.client().send(harness.context(), std::move(request)));
        REQUIRE(result.ok());
        return std::move(result).value();
    }
};

json::value body_of(const HttpResponse& response) { return json::parse(response.body); }

TEST_CASE("fake LlamaParse serves v1 under /api/v1/parsing too", "[llamaparse]") {
    Client client;
    MultipartBody form("bnd");
    form.add_file("file", "notes.txt", "text/plain", "alpha\fbeta\f");
    form.add_field("page_separator", "\n\n=====\n\n");
    auto content_type = form.content_type();
    auto created = client.send("POST", "/api/v1/parsing/upload", std::move(form).finish(), content_type);
    CHECK(created.status == 200);
    std::string id(body_of(created).at("id").as_string());
    CHECK(body_of(client.send("GET", "/api/v1/parsing/job/" + id)).at("status") == "PENDING");
    CHECK(body_of(client.send("GET", "/api/v1/parsing/job/" + id)).at("status") == "SUCCESS");
    auto markdown = body_of(client.send("GET", "/api/v1/parsing/job/" + id + "/result/markdown"));
    CHECK(markdown.at("markdown") == "# Page 1\n\nalpha\n\n=====\n\n# Page 2\n\nbeta");
    CHECK(markdown.at("job_metadata").at("job_pages") == 2);
    CHECK(markdown.at("job_metadata").at("job_credits_usage") == 6.0);
    CHECK(client.fake.uploads().at(0).field("page_separator") == "\n\n=====\n\n");
}

TEST_CASE("fake LlamaParse creates v2 jobs from a source_url and lists them newest first", "[llamaparse]") {
    Client client;
    auto first = client.send("POST", "/api/v2/parse",
                             R"({"tier":"cost_effective","version":"latest","source_url":"https://x.test/a.pdf"})",
                             "application/json");
    CHECK(first.status == 200);
    CHECK(body_of(first).at("id") == "pjb-000001");
    auto second = client.send("POST", "/api/v2/parse", R"({"tier":"fast","version":"latest","file_id":"dfl-9"})",
                              "application/json");
    CHECK(body_of(second).at("status") == "PENDING");

    auto running = body_of(client.send("GET", "/api/v2/parse/pjb-000001?expand=markdown&expand=usage"));
    CHECK(running.at("job").at("usage").at("credits").is_null());  // not billed yet
    auto done = body_of(client.send("GET", "/api/v2/parse/pjb-000001?expand=markdown&expand=job_metadata"));
    CHECK(done.at("job").at("status") == "COMPLETED");
    CHECK_FALSE(done.at("job").as_object().contains("usage"));  // only with expand=usage
    auto billed = body_of(client.send("GET", "/api/v2/parse/pjb-000001?expand=usage"));
    CHECK(billed.at("job").at("usage").at("credits") == 3.0);
    CHECK(done.at("markdown").at("pages").at(0).at("markdown") == "# Page 1\n\nContent of https://x.test/a.pdf");
    CHECK_FALSE(done.as_object().contains("text"));

    auto list = body_of(client.send("GET", "/api/v2/parse?page_size=1"));
    CHECK(list.at("items").as_array().size() == 1);
    CHECK(list.at("items").at(0).at("id") == "pjb-000002");
    CHECK(list.at("next_page_token") == "1");
    CHECK(list.at("total_size") == 2);
    auto rest = body_of(client.send("GET", "/api/v2/parse?page_size=1&page_token=1"));
    CHECK(rest.at("items").at(0).at("id") == "pjb-000001");
    CHECK(rest.at("next_page_token").is_null());
}

TEST_CASE("fake LlamaParse refuses like the API: bad key, bad configuration, unknown job or route", "[llamaparse]") {
    Client client;
    auto unauthorised = client.send("GET", "/api/v2/parse", {}, {}, "llx-other");
    CHECK(unauthorised.status == 401);
    CHECK(unauthorised.body == R"({"detail":"Invalid authentication token"})");

    MultipartBody form("b");
    form.add_file("file", "a.pdf", "application/pdf", "x");
    form.add_field("configuration", R"({"version":"latest"})");
    auto content_type = form.content_type();
    auto invalid = client.send("POST", "/api/v2/parse/upload", std::move(form).finish(), content_type);
    CHECK(invalid.status == 422);
    CHECK(invalid.body ==
          R"({"detail":[{"type":"missing","loc":["body","configuration","tier"],"msg":"Field required","input":null}]})");

    CHECK(client.send("GET", "/api/v2/parse/pjb-404?expand=text").status == 404);
    CHECK(client.send("GET", "/api/v2/parse/pjb-404?expand=pages").status == 422);
    CHECK(client.send("GET", "/api/v3/parse").status == 404);
    CHECK(client.send("DELETE", "/api/v2/parse/upload").status == 405);
    CHECK(client.send("POST", "/api/parsing/upload", "not multipart", "text/plain").status == 400);
}

TEST_CASE("fake LlamaParse cancels a running v2 job once, and records every cancel call", "[llamaparse]") {
    Client client;
    client.fake.script_next_job(JobScript::stays_pending());
    client.send("POST", "/api/v2/parse", R"({"tier":"fast","version":"latest","source_url":"https://x.test"})",
                "application/json");
    auto cancelled = client.send("POST", "/api/v2/parse/pjb-000001/cancel");
    CHECK(cancelled.status == 200);
    CHECK(body_of(cancelled).at("status") == "CANCELLED");
    CHECK(body_of(client.send("GET", "/api/v2/parse/pjb-000001")).at("job").at("status") == "CANCELLED");
    CHECK(client.send("POST", "/api/v2/parse/pjb-000001/cancel").status == 400);
    CHECK(client.fake.cancelled_jobs() == std::vector<std::string>{"pjb-000001", "pjb-000001"});
}

}  // namespace
}  // namespace switchboard::testing
