#include "spawn.hpp"

#include "mob/error.hpp"

#include <fcntl.h>
#include <fmt/format.h>
#include <linux/close_range.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <climits>

extern char** environ;

namespace mob::detail {

namespace {
/// Writes `n` in decimal and a NUL at `out` (room for 20 digits): safe in the child.
__attribute__((no_sanitize("address", "thread", "undefined"))) void write_decimal(char* out,
                                                                                  long n) {
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

namespace {
/// What the child needs, laid out by the parent before clone(): the child reads it
/// and writes only into `listen_pid` and `moved`, which the parent never reads again.
struct child_plan {
    char** argv = nullptr;
    char** envp = nullptr;
    const char* exe = nullptr;
    int exe_fd = -1;
    pid_t parent = 0;
    int stdout_fd = -1;
    int stderr_fd = -1;
    int crash_fd = -1;
    int passed = 0;
    const passed_fd* listen = nullptr;
    int* moved = nullptr;
    char* listen_pid_digits = nullptr;  ///< room for 20 digits and a NUL, or null
};

/// The kernel's struct sigaction, for rt_sigaction(2) called directly.
struct kernel_sigaction {
    void (*handler)(int);
    unsigned long flags;
    void (*restorer)();
    unsigned long mask;
};

__attribute__((no_sanitize("address", "thread", "undefined"))) void child_exit(int code) {
    ::syscall(SYS_exit_group, code);
}

/// The child, between clone() and exec, in the parent's memory (CLONE_VM|CLONE_VFORK:
/// the parent waits until exec). Raw system calls only: the C library's wrappers set
/// errno and a sanitizer's interceptors keep state, which here would be the parent's.
/// A failure exits with 126.
__attribute__((no_sanitize("address", "thread", "undefined"))) int run_child(void* arg) {
    const auto& p = *static_cast<const child_plan*>(arg);
    // The parent's signal handlers would run on its memory: back to the defaults (as
    // posix_spawn does), then every signal unblocked (the parent blocked them all).
    for (int sig = 1; sig < 65; ++sig) {
        kernel_sigaction old{};
        if (::syscall(SYS_rt_sigaction, sig, nullptr, &old, 8) == 0 && old.handler != SIG_IGN &&
            old.handler != SIG_DFL) {
            kernel_sigaction dfl{};
            ::syscall(SYS_rt_sigaction, sig, &dfl, nullptr, 8);
        }
    }
    unsigned long none = 0;
    ::syscall(SYS_rt_sigprocmask, SIG_SETMASK, &none, nullptr, 8);
    ::syscall(SYS_prctl, PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);
    if (::syscall(SYS_getppid) != p.parent)
        child_exit(126);  // the kingpin died before prctl
    // Before the listeners move into 3, 4, ...: a pipe end may sit there.
    if (p.stdout_fd >= 0 && ::syscall(SYS_dup3, p.stdout_fd, STDOUT_FILENO, 0) < 0)
        child_exit(126);
    if (p.stderr_fd >= 0 && ::syscall(SYS_dup3, p.stderr_fd, STDERR_FILENO, 0) < 0)
        child_exit(126);
    if (p.passed > 0) {
        write_decimal(p.listen_pid_digits, ::syscall(SYS_getpid));
        // Out of the way first (above 3..3+n-1), then into place: dup3 leaves the
        // copies without CLOEXEC, so they (and only they) cross exec.
        for (int i = 0; i < p.passed; ++i) {
            p.moved[i] = static_cast<int>(
                ::syscall(SYS_fcntl, p.listen[i].fd, F_DUPFD_CLOEXEC, 3 + p.passed));
            if (p.moved[i] < 0)
                child_exit(126);
        }
        for (int i = 0; i < p.passed; ++i) {
            if (::syscall(SYS_dup3, p.moved[i], 3 + i, 0) < 0)
                child_exit(126);
        }
    }
    const int first_free = 3 + p.passed;
    // Everything else is closed by exec, not now: the program's own descriptor
    // (exe_fd) must stay open until it is run.
    ::syscall(SYS_close_range, first_free, UINT_MAX, CLOSE_RANGE_CLOEXEC);
    if (p.crash_fd >= first_free)
        ::syscall(SYS_fcntl, p.crash_fd, F_SETFD, 0);
    if (p.exe_fd >= 0)
        ::syscall(SYS_execveat, p.exe_fd, "", p.argv, p.envp, AT_EMPTY_PATH);
    else
        ::syscall(SYS_execve, p.exe, p.argv, p.envp);
    child_exit(127);
    return 127;
}

/// The child's stack while it runs (the parent waits meanwhile, so one is enough for
/// the kingpin's one spawning thread).
constexpr std::size_t child_stack_size = 64 * 1024;
alignas(64) char child_stack[child_stack_size];
}  // namespace

pid_t spawn(const spawn_request& request) {
    // Everything the child needs is laid out before clone().
    std::vector<char*> argv;
    for (const auto& a : request.argv)
        argv.push_back(const_cast<char*>(a.c_str()));
    argv.push_back(nullptr);
    std::vector<char*> envp;
    for (const auto& e : request.env)
        envp.push_back(const_cast<char*>(e.c_str()));
    // systemd's socket activation: the child's own pid is only known in the child, so
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
    child_plan plan;
    plan.argv = argv.data();
    plan.envp = envp.data();
    plan.exe = request.exe.c_str();
    plan.exe_fd = request.exe_fd;
    plan.parent = ::getpid();
    plan.stdout_fd = request.stdout_fd;
    plan.stderr_fd = request.stderr_fd;
    plan.crash_fd = request.crash_fd;
    plan.passed = passed;
    plan.listen = request.listen.data();
    plan.moved = moved.data();
    plan.listen_pid_digits = passed > 0 ? listen_pid.data() + 11 : nullptr;

    // clone(CLONE_VM | CLONE_VFORK), as posix_spawn does, not fork(): the child shares
    // the kingpin's memory until it execs, so nothing is copied. With a thousand
    // workers, fork() spent most of the kingpin's start-up copying its page tables
    // and then taking copy-on-write faults on its own pages.
    sigset_t all;
    sigset_t old;
    sigfillset(&all);
    ::pthread_sigmask(SIG_SETMASK, &all, &old);
    const pid_t pid =
        ::clone(run_child, child_stack + child_stack_size, CLONE_VM | CLONE_VFORK | SIGCHLD, &plan);
    const int clone_errno = errno;
    ::pthread_sigmask(SIG_SETMASK, &old, nullptr);
    if (pid < 0)
        throw error(fmt::format("clone failed: {}", ::strerror(clone_errno)));
    return pid;
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
