#pragma once

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <string>
#include <vector>

#include <catch2/catch.hpp>

extern char** environ;

namespace switchboard::testing {

// A program run as a child process with its stdout on a pipe, read line by line; killed with
// SIGKILL if the test ends first. For tests that kill a process under load.
class ChildProcess {
public:
    // `with_stderr`: the child's stderr goes to the same pipe, so its log lines are read too.
    explicit ChildProcess(std::vector<std::string> argv, bool with_stderr = false) {
        int fds[2];
        REQUIRE(::pipe2(fds, O_CLOEXEC) == 0);
        posix_spawn_file_actions_t actions;
        posix_spawn_file_actions_init(&actions);
        posix_spawn_file_actions_adddup2(&actions, fds[1], STDOUT_FILENO);
        if (with_stderr) posix_spawn_file_actions_adddup2(&actions, fds[1], STDERR_FILENO);
        std::vector<char*> args;
        for (auto& arg : argv) args.push_back(arg.data());
        args.push_back(nullptr);
        const int rc = ::posix_spawn(&pid_, argv.front().c_str(), &actions, nullptr, args.data(), environ);
        posix_spawn_file_actions_destroy(&actions);
        ::close(fds[1]);
        out_ = fds[0];
        REQUIRE(rc == 0);
    }
    ~ChildProcess() {
        if (pid_ > 0) kill();
        ::close(out_);
    }
    ChildProcess(const ChildProcess&) = delete;
    ChildProcess& operator=(const ChildProcess&) = delete;

    // Reads what the child printed into `lines`, until there are `wanted` or it stops printing
    // (EOF, or nothing by the deadline); false in the second case.
    bool read_lines(std::vector<std::string>& lines, std::size_t wanted, std::chrono::steady_clock::time_point deadline) {
        char buffer[65536];
        while (lines.size() < wanted) {
            const auto left =
                std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
            pollfd poll_fd{out_, POLLIN, 0};
            if (left.count() <= 0 || ::poll(&poll_fd, 1, static_cast<int>(left.count())) <= 0) return false;
            const auto n = ::read(out_, buffer, sizeof buffer);
            if (n <= 0) return false;
            partial_.append(buffer, static_cast<std::size_t>(n));
            std::size_t start = 0;
            for (auto end = partial_.find('\n'); end != std::string::npos; end = partial_.find('\n', start)) {
                lines.push_back(partial_.substr(start, end - start));
                start = end + 1;
            }
            partial_.erase(0, start);
        }
        return true;
    }

    // SIGKILL, then the wait status.
    int kill() {
        ::kill(pid_, SIGKILL);
        return wait();
    }

    // Waits for the child to end by itself; its wait status.
    int wait() {
        int status = 0;
        ::waitpid(pid_, &status, 0);
        pid_ = -1;
        return status;
    }

    pid_t pid() const noexcept { return pid_; }

private:
    pid_t pid_ = -1;
    int out_ = -1;
    std::string partial_;
};

}  // namespace switchboard::testing
