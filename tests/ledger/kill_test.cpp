#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <string>
#include <unordered_set>
#include <vector>

#include <catch2/catch.hpp>

#include "fakes/capture_logger.hpp"
#include "fakes/temp_dir.hpp"
#include "ledger/ledger.hpp"

extern char** environ;

using namespace switchboard;
using namespace switchboard::testing;

namespace {

// The load child with its stdout on a pipe; killed with SIGKILL if the test ends early.
class LoadChild {
public:
    explicit LoadChild(const std::filesystem::path& ledger_path) {
        int fds[2];
        REQUIRE(::pipe2(fds, O_CLOEXEC) == 0);
        posix_spawn_file_actions_t actions;
        posix_spawn_file_actions_init(&actions);
        posix_spawn_file_actions_adddup2(&actions, fds[1], STDOUT_FILENO);
        std::string program = LEDGER_LOAD_CHILD;
        std::string file = ledger_path.string();
        char* argv[] = {program.data(), file.data(), nullptr};
        const int rc = ::posix_spawn(&pid_, program.c_str(), &actions, nullptr, argv, environ);
        posix_spawn_file_actions_destroy(&actions);
        ::close(fds[1]);
        out_ = fds[0];
        REQUIRE(rc == 0);
    }
    ~LoadChild() {
        if (pid_ > 0) kill();
        ::close(out_);
    }
    LoadChild(const LoadChild&) = delete;
    LoadChild& operator=(const LoadChild&) = delete;

    // Reads what the child printed, up to `wanted` ids or until it stops printing (EOF or the
    // deadline); returns false on EOF or timeout.
    bool read_ids(std::vector<std::string>& ids, std::size_t wanted, std::chrono::steady_clock::time_point deadline) {
        char buffer[65536];
        while (ids.size() < wanted) {
            const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
            pollfd poll_fd{out_, POLLIN, 0};
            if (left.count() <= 0 || ::poll(&poll_fd, 1, static_cast<int>(left.count())) <= 0) return false;
            const auto n = ::read(out_, buffer, sizeof buffer);
            if (n <= 0) return false;
            partial_.append(buffer, static_cast<std::size_t>(n));
            std::size_t start = 0;
            for (auto end = partial_.find('\n'); end != std::string::npos; end = partial_.find('\n', start)) {
                ids.push_back(partial_.substr(start, end - start));
                start = end + 1;
            }
            partial_.erase(0, start);
        }
        return true;
    }

    // SIGKILL, then the exit status.
    int kill() {
        ::kill(pid_, SIGKILL);
        int status = 0;
        ::waitpid(pid_, &status, 0);
        pid_ = -1;
        return status;
    }

private:
    pid_t pid_ = -1;
    int out_ = -1;
    std::string partial_;
};

}  // namespace

TEST_CASE("after kill -9 under load every acknowledged row is in the ledger", "[ledger][kill]") {
    TempDir dir;
    const auto path = dir.path() / "ledger.sqlite";
    std::vector<std::string> acknowledged;
    {
        LoadChild child(path);
        const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
        REQUIRE(child.read_ids(acknowledged, 5'000, deadline));
        const int status = child.kill();
        CHECK(WIFSIGNALED(status));
        CHECK(WTERMSIG(status) == SIGKILL);
        // Whatever it printed before dying was acknowledged too; EOF ends this read.
        child.read_ids(acknowledged, SIZE_MAX, deadline);
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
