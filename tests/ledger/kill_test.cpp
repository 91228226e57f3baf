#include <chrono>
#include <string>
#include <unordered_set>
#include <vector>

#include <catch2/catch.hpp>

#include "fakes/capture_logger.hpp"
#include "fakes/child_process.hpp"
#include "fakes/temp_dir.hpp"
#include "ledger/ledger.hpp"

using namespace switchboard;
using namespace switchboard::testing;

namespace {

// Kills the load child once it has printed 5,000 acknowledged ids, then checks that every id it
// printed is in the file and that the file opens again.
void check_kill(const std::vector<std::string>& child_args) {
    TempDir dir;
    const auto path = dir.path() / "ledger.sqlite";
    std::vector<std::string> args{LEDGER_LOAD_CHILD, path.string()};
    args.insert(args.end(), child_args.begin(), child_args.end());
    std::vector<std::string> acknowledged;
    {
        ChildProcess child(args);
        const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
        REQUIRE(child.read_lines(acknowledged, 5'000, deadline));
        const int status = child.kill();
        CHECK(WIFSIGNALED(status));
        CHECK(WTERMSIG(status) == SIGKILL);
        // Whatever it printed before dying was acknowledged too; EOF ends this read.
        child.read_lines(acknowledged, SIZE_MAX, deadline);
    }
    REQUIRE(acknowledged.size() >= 5'000);

    std::unordered_set<std::string> stored;
    ledger::Reader(path).for_each({}, [&](const ledger::Row& row) { stored.insert(row.request_id); });
    std::size_t missing = 0;
    for (const auto& id : acknowledged) missing += stored.count(id) == 0;
    INFO(acknowledged.size() << " acknowledged, " << stored.size() << " stored");
    CHECK(missing == 0);

    // And a restarted ledger opens the file as it was left.
    CaptureLogger log;
    ledger::Ledger ledger(ledger::Options{.path = path}, log);
    CHECK(ledger.healthy());
}

}  // namespace

TEST_CASE("after kill -9 under load every acknowledged row is in the ledger", "[ledger][kill]") { check_kill({}); }

// NORMAL skips the fsync per commit, not the commit: killing the process (not the OS) loses none.
TEST_CASE("with Sync::normal too, after kill -9 under load every acknowledged row is in the ledger",
          "[ledger][kill]") {
    check_kill({"normal"});
}
