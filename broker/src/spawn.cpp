#include "spawn.hpp"

#include "mob/error.hpp"

#include <fcntl.h>
#include <fmt/format.h>
#include <linux/close_range.h>
#include <signal.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <climits>

extern char** environ;

namespace mob::detail {

namespace {
/// Writes `n` in decimal and a NUL at `out` (room for 20 digits): safe after fork.
void write_decimal(char* out, long n) {
    char digits[24];
    int len = 0;
    do {
        digits[len++] = static_cast<char>('0' + n % 10);
        n /= 10;
    } while (n > 0 && len < 20);
    for (int i = 0; i < len; ++i)
        out[i] = digits[len - 1 - i];
    out[len] = '\0';
}

/// systemd's variables for the kingpin itself (socket activation, sd_notify, the
/// watchdog): a worker must not answer for it, nor take its sockets.
bool is_systemd_variable(const char* e) {
    for (const char* v : {"LISTEN_FDS=", "LISTEN_PID=", "LISTEN_FDNAMES=", "NOTIFY_SOCKET=",
                          "WATCHDOG_USEC=", "WATCHDOG_PID="}) {
        if (std::strncmp(e, v, std::strlen(v)) == 0)
            return true;
    }
    return false;
}
}  // namespace

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
    // systemd's socket activation: the child's own pid is only known after fork, so
    // LISTEN_PID gets room for it here and the child writes it in.
    const int passed = static_cast<int>(request.listen.size());
    std::string listen_fds;
    std::string listen_names;
    std::string listen_pid;
    std::vector<int> moved(request.listen.size(), -1);
    if (passed > 0) {
        listen_fds = fmt::format("LISTEN_FDS={}", passed);
        listen_names = "LISTEN_FDNAMES=";
        for (std::size_t i = 0; i < request.listen.size(); ++i)
            listen_names += (i == 0 ? "" : ":") + request.listen[i].name;
        listen_pid = "LISTEN_PID=" + std::string(24, '0');
        for (auto* e : {&listen_fds, &listen_names, &listen_pid})
            envp.push_back(e->data());
    }
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
    // Before the listeners move into 3, 4, ...: a pipe end may sit there.
    if (request.stdout_fd >= 0 && ::dup2(request.stdout_fd, STDOUT_FILENO) < 0)
        ::_exit(126);
    if (request.stderr_fd >= 0 && ::dup2(request.stderr_fd, STDERR_FILENO) < 0)
        ::_exit(126);
    if (passed > 0) {
        write_decimal(listen_pid.data() + 11, ::getpid());
        // Out of the way first (above 3..3+n-1), then into place: dup2 leaves the
        // copies without CLOEXEC, so they (and only they) cross exec.
        for (int i = 0; i < passed; ++i) {
            moved[static_cast<std::size_t>(i)] = ::fcntl(
                request.listen[static_cast<std::size_t>(i)].fd, F_DUPFD_CLOEXEC, 3 + passed);
            if (moved[static_cast<std::size_t>(i)] < 0)
                ::_exit(126);
        }
        for (int i = 0; i < passed; ++i) {
            if (::dup2(moved[static_cast<std::size_t>(i)], 3 + i) < 0)
                ::_exit(126);
        }
    }
    const int first_free = 3 + passed;
    // Everything else is closed by exec, not now: the program's own descriptor
    // (exe_fd) must stay open until fexecve.
    ::close_range(static_cast<unsigned>(first_free), UINT_MAX, CLOSE_RANGE_CLOEXEC);
    if (request.crash_fd >= first_free)
        ::fcntl(request.crash_fd, F_SETFD, 0);
    if (request.exe_fd >= 0)
        ::fexecve(request.exe_fd, argv.data(), envp.data());
    else
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
        if (is_systemd_variable(*e))
            continue;  // the kingpin's own, if systemd started it: not the workers'

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
