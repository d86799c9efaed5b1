#include "spawn.hpp"

#include "mob/error.hpp"

#include <fcntl.h>
#include <fmt/format.h>
#include <signal.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <climits>

extern char** environ;

namespace mob::detail {

pid_t spawn(const spawn_request& request) {
    // Everything the child needs is laid out before fork: after it, only
    // async-signal-safe calls.
    std::vector<char*> argv;
    for (const auto& a : request.argv)
        argv.push_back(const_cast<char*>(a.c_str()));
    argv.push_back(nullptr);
    std::vector<char*> envp;
    for (const auto& e : request.env)
        envp.push_back(const_cast<char*>(e.c_str()));
    envp.push_back(nullptr);
    const pid_t parent = ::getpid();

    pid_t pid = ::fork();
    if (pid < 0)
        throw error(fmt::format("fork failed: {}", ::strerror(errno)));
    if (pid > 0)
        return pid;

    sigset_t none;
    sigemptyset(&none);
    ::sigprocmask(SIG_SETMASK, &none, nullptr);
    ::prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (::getppid() != parent)
        ::_exit(126);  // the kingpin died before prctl
    if (request.crash_fd > 2) {
        int flags = ::fcntl(request.crash_fd, F_GETFD);
        ::fcntl(request.crash_fd, F_SETFD, flags & ~FD_CLOEXEC);
        ::close_range(3, static_cast<unsigned>(request.crash_fd) - 1, 0);
        ::close_range(static_cast<unsigned>(request.crash_fd) + 1, UINT_MAX, 0);
    } else {
        ::close_range(3, UINT_MAX, 0);
    }
    ::execve(request.exe.c_str(), argv.data(), envp.data());
    ::_exit(127);
}

std::vector<std::string> worker_environment(const std::vector<std::string>& extra) {
    std::vector<std::string> env;
    for (char** e = environ; e != nullptr && *e != nullptr; ++e) {
        if (std::strncmp(*e, "MOB_", 4) == 0 && std::strncmp(*e, "MOB_LOG=", 8) != 0 &&
            std::strncmp(*e, "MOB_RUNTIME_DIR=", 16) != 0) {
            continue;
        }
        env.emplace_back(*e);
    }
    env.insert(env.end(), extra.begin(), extra.end());
    return env;
}

crash_pipe make_crash_pipe() {
    int fds[2];
    if (::pipe2(fds, O_CLOEXEC | O_NONBLOCK) != 0)
        return {};
    int high = ::fcntl(fds[1], F_DUPFD_CLOEXEC, 64);
    ::close(fds[1]);
    if (high < 0) {
        ::close(fds[0]);
        return {};
    }
    return {fds[0], high};
}

std::string describe_exit(int status) {
    if (WIFEXITED(status))
        return fmt::format("exit code {}", WEXITSTATUS(status));
    if (WIFSIGNALED(status)) {
        const char* name = ::sigabbrev_np(WTERMSIG(status));
        return name != nullptr ? fmt::format("signal SIG{}", name)
                               : fmt::format("signal {}", WTERMSIG(status));
    }
    return fmt::format("status {}", status);
}

}  // namespace mob::detail
