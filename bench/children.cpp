#include "children.hpp"

#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <climits>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <set>
#include <stdexcept>

extern char** environ;

namespace bench {
namespace {

/// What the signal thread cleans up.
struct registry {
    std::mutex mutex;
    std::set<pid_t> pids;
    std::set<std::string> dirs;
    std::atomic<bool> interrupted{false};  ///< the signal thread is cleaning up
};

registry& reg() {
    static registry r;
    return r;
}

void write_stderr(std::string_view text) {
    while (!text.empty()) {
        auto n = ::write(STDERR_FILENO, text.data(), text.size());
        if (n <= 0) {
            return;
        }
        text.remove_prefix(static_cast<std::size_t>(n));
    }
}

/// `program` as execve wants it: this program, a path, or the first match on PATH.
std::string resolve(const std::string& program) {
    if (program.empty()) {
        return "/proc/self/exe";
    }
    if (program.find('/') != std::string::npos) {
        // Checked here, where it can be said, not by an exit code 127 from the fork.
        if (::access(program.c_str(), X_OK) != 0) {
            throw std::runtime_error("'" + program + "' is not an executable file");
        }
        return program;
    }
    const char* path = std::getenv("PATH");
    std::string_view dirs = path != nullptr ? path : "/usr/local/bin:/usr/bin:/bin";
    while (!dirs.empty()) {
        auto colon = dirs.find(':');
        auto dir = dirs.substr(0, colon);
        dirs.remove_prefix(colon == std::string_view::npos ? dirs.size() : colon + 1);
        auto candidate = std::string{dir.empty() ? "." : dir} + "/" + program;
        if (::access(candidate.c_str(), X_OK) == 0) {
            return candidate;
        }
    }
    throw std::runtime_error("'" + program + "' is not on PATH");
}

void make_pipe(int fds[2]) {
    if (::pipe2(fds, O_CLOEXEC) != 0) {
        throw std::runtime_error(std::string{"pipe2: "} + std::strerror(errno));
    }
}

void close_fd(int& fd) {
    if (fd >= 0) {
        ::close(fd);
        fd = -1;
    }
}

}  // namespace

void install_signal_cleanup() {
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGHUP);
    ::pthread_sigmask(SIG_BLOCK, &set, nullptr);
    // A baseline driver that died is reported by send_line as an error, not by SIGPIPE
    // ending the run before its children are stopped (children get SIGPIPE back).
    ::signal(SIGPIPE, SIG_IGN);
    // Workers of a kingpin that dies before them become ours to reap, not init's.
    ::prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0);
    std::thread([set] {
        int sig = 0;
        if (::sigwait(&set, &sig) != 0) {
            return;
        }
        auto& r = reg();
        r.interrupted = true;
        std::lock_guard lock{r.mutex};
        // SIGTERM first, so a kingpin stops its own workers; SIGKILL what is left.
        for (auto pid : r.pids) {
            ::kill(pid, SIGTERM);
        }
        auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds{2};
        for (auto pid : r.pids) {
            int st = 0;
            while (::waitpid(pid, &st, WNOHANG) == 0) {
                if (std::chrono::steady_clock::now() >= deadline) {
                    ::kill(pid, SIGKILL);
                    ::waitpid(pid, &st, 0);
                    break;
                }
                ::usleep(2000);
            }
        }
        reap_orphans();
        std::error_code ec;
        for (const auto& d : r.dirs) {
            std::filesystem::remove_all(d, ec);
        }
        write_stderr("mob-rpc-bench: interrupted; children stopped, temporary files removed\n");
        std::_Exit(128 + sig);
    }).detach();
}

void reap_orphans(std::chrono::milliseconds wait) {
    auto deadline = std::chrono::steady_clock::now() + wait;
    for (;;) {
        int st = 0;
        auto reaped = ::waitpid(-1, &st, WNOHANG);
        if (reaped < 0) {
            return;  // no child left
        }
        if (reaped == 0) {
            if (std::chrono::steady_clock::now() >= deadline) {
                return;
            }
            ::usleep(2000);
        }
    }
}

child::child(std::vector<std::string> args, spawn_options how) {
    const auto program = resolve(how.program);
    std::vector<std::string> env_strings;
    for (char** e = environ; e != nullptr && *e != nullptr; ++e) {
        if (std::strncmp(*e, "MOB_", 4) != 0) {
            env_strings.emplace_back(*e);
        }
    }
    env_strings.insert(env_strings.end(), how.env.begin(), how.env.end());
    // Laid out before fork: after it, the child makes only async-signal-safe calls.
    std::vector<char*> argv;
    for (auto& a : args) {
        argv.push_back(a.data());
    }
    argv.push_back(nullptr);
    std::vector<char*> envp;
    for (auto& e : env_strings) {
        envp.push_back(e.data());
    }
    envp.push_back(nullptr);
    // [0] read end, [1] write end; the child's ends are moved onto 0, 1 or 2.
    int err[2] = {-1, -1};
    int in[2] = {-1, -1};
    int out[2] = {-1, -1};
    auto close_all = [&] {
        for (int* fd : {&err[0], &err[1], &in[0], &in[1], &out[0], &out[1]}) {
            close_fd(*fd);
        }
    };
    try {
        if (how.capture_stderr) {
            make_pipe(err);
        }
        if (how.pipe_stdio) {
            make_pipe(in);
            make_pipe(out);
        }
    } catch (...) {
        close_all();
        throw;
    }
    const pid_t parent = ::getpid();

    std::lock_guard lock{reg().mutex};  // the signal thread sees every child we start
    pid_ = ::fork();
    if (pid_ < 0) {
        close_all();
        throw std::runtime_error(std::string{"fork: "} + std::strerror(errno));
    }
    if (pid_ == 0) {
        sigset_t none;
        sigemptyset(&none);
        ::sigprocmask(SIG_SETMASK, &none, nullptr);
        ::signal(SIGPIPE, SIG_DFL);  // ignored here; a child gets the default back
        ::prctl(PR_SET_PDEATHSIG, SIGKILL);
        if (::getppid() != parent) {
            ::_exit(126);  // we died before prctl
        }
        if (how.capture_stderr) {
            ::dup2(err[1], STDERR_FILENO);
        }
        if (how.pipe_stdio) {
            ::dup2(in[0], STDIN_FILENO);
            ::dup2(out[1], STDOUT_FILENO);
        }
        ::close_range(3, UINT_MAX, 0);
        ::execve(program.c_str(), argv.data(), envp.data());
        ::_exit(127);
    }
    reg().pids.insert(pid_);
    close_fd(err[1]);
    close_fd(in[0]);
    close_fd(out[1]);
    stdin_fd_ = in[1];
    stdout_fd_ = out[0];
    if (how.capture_stderr) {
        reader_ = std::thread([this, fd = err[0]] { read_loop(fd); });
    }
}

child::~child() {
    stop();
}

void child::read_loop(int fd) {
    std::string partial;
    char buf[4096];
    for (;;) {
        {
            std::lock_guard lock{mutex_};
            if (stop_reading_) {
                break;
            }
        }
        pollfd p{fd, POLLIN, 0};
        int r = ::poll(&p, 1, 100);
        if (r < 0 && errno != EINTR) {
            break;
        }
        if (r <= 0) {
            continue;
        }
        auto n = ::read(fd, buf, sizeof buf);
        if (n < 0 && errno == EINTR) {
            continue;
        }
        if (n <= 0) {
            break;
        }
        partial.append(buf, static_cast<std::size_t>(n));
        std::size_t start = 0;
        std::vector<std::string> got;
        for (auto nl = partial.find('\n'); nl != std::string::npos;
             nl = partial.find('\n', start)) {
            got.push_back(partial.substr(start, nl - start));
            start = nl + 1;
        }
        partial.erase(0, start);
        for (const auto& line : got) {
            if (line.find("] warn: ") != std::string::npos ||
                line.find("] error: ") != std::string::npos) {
                write_stderr(line + "\n");
            }
        }
        std::lock_guard lock{mutex_};
        lines_.insert(lines_.end(), got.begin(), got.end());
        cv_.notify_all();
    }
    ::close(fd);
    std::lock_guard lock{mutex_};
    eof_ = true;
    cv_.notify_all();
}

std::optional<std::string> child::wait_for_line(std::string_view needle,
                                                std::chrono::milliseconds timeout,
                                                std::size_t from) {
    std::unique_lock lock{mutex_};
    std::optional<std::string> found;
    cv_.wait_for(lock, timeout, [&] {
        for (auto i = from; i < lines_.size(); ++i) {
            if (lines_[i].find(needle) != std::string::npos) {
                found = lines_[i];
                return true;
            }
        }
        return eof_;
    });
    return found;
}

std::size_t child::line_count() {
    std::lock_guard lock{mutex_};
    return lines_.size();
}

std::size_t child::count_lines(std::string_view needle) {
    std::lock_guard lock{mutex_};
    return static_cast<std::size_t>(std::count_if(lines_.begin(), lines_.end(), [&](const auto& l) {
        return l.find(needle) != std::string::npos;
    }));
}

void child::stop(std::chrono::milliseconds grace) {
    while (reg().interrupted) {
        ::pause();  // the signal thread stops every child, then ends the process
    }
    if (!reaped_ && pid_ > 0) {
        ::kill(pid_, SIGTERM);
        auto deadline = std::chrono::steady_clock::now() + grace;
        int st = 0;
        pid_t r = 0;
        while ((r = ::waitpid(pid_, &st, WNOHANG)) == 0 &&
               std::chrono::steady_clock::now() < deadline) {
            ::usleep(2000);
        }
        if (r == 0) {
            ::kill(pid_, SIGKILL);
            r = ::waitpid(pid_, &st, 0);
        }
        reaped_ = true;
        status_ = r == pid_ ? st : -1;
        std::lock_guard lock{reg().mutex};
        reg().pids.erase(pid_);
    }
    if (reader_.joinable()) {
        // Its workers may hold the pipe a moment longer; the reader gives up after 1 s.
        {
            std::unique_lock lock{mutex_};
            cv_.wait_for(lock, std::chrono::seconds{1}, [this] { return eof_; });
            stop_reading_ = true;
        }
        reader_.join();
    }
    close_fd(stdin_fd_);
    close_fd(stdout_fd_);
}

temp_dir::temp_dir() {
    char tmpl[] = "/tmp/mob-bench-XXXXXX";
    std::lock_guard lock{reg().mutex};
    if (::mkdtemp(tmpl) == nullptr) {
        throw std::runtime_error(std::string{"mkdtemp: "} + std::strerror(errno));
    }
    path_ = tmpl;
    reg().dirs.insert(path_);
}

temp_dir::~temp_dir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
    std::lock_guard lock{reg().mutex};
    reg().dirs.erase(path_);
}

}  // namespace bench
