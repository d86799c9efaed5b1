#include "fork_server_loop.hpp"

#include "fork_request.hpp"
#include "mob/log.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <fmt/format.h>
#include <sched.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <optional>
#include <string>
#include <vector>

namespace mob::detail {

using namespace forks;

namespace {
/// This process's threads, from /proc/self/task.
std::size_t thread_count() {
    std::size_t n = 0;
    if (DIR* d = ::opendir("/proc/self/task")) {
        while (const auto* e = ::readdir(d)) {
            if (e->d_name[0] != '.')
                ++n;
        }
        ::closedir(d);
    }
    return n;
}

std::size_t descriptors_in(const start_request& r) {
    return (r.has_stdout ? 1u : 0u) + (r.has_stderr ? 1u : 0u) + (r.has_crash ? 1u : 0u) +
           r.listen_names.size();
}

/// Why the worker's listeners cannot go to 3, 4, ...: the program holds one of those
/// descriptors itself (opened before app::run()). Empty if they can.
std::string listeners_blocked(int socket, const packet& p, std::size_t listeners) {
    for (std::size_t i = 0; i < listeners; ++i) {
        const int target = 3 + static_cast<int>(i);
        if (target == socket || ::fcntl(target, F_GETFD) < 0)
            continue;
        bool ours = false;
        for (const auto& fd : p.fds)
            ours = ours || fd.get() == target;
        if (!ours) {
            return fmt::format(
                "descriptor {} is the program's own (opened before app.run()), "
                "and a listener must go there",
                target);
        }
    }
    return {};
}

[[noreturn]] void give_up() {
    ::_exit(126);
}

/// In the worker, once forked: waits to be the kingpin's child, then puts its
/// descriptors and environment in place.
void become_worker(int socket, pid_t kingpin, const start_request& r, packet& p) {
    ::close(socket);
    // Its first parent exits at once, and the kingpin (a subreaper) takes it over.
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
    while (::getppid() != kingpin) {
        if (std::chrono::steady_clock::now() > deadline)
            give_up();
        ::sched_yield();
    }
    ::prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);
    if (::getppid() != kingpin)
        give_up();  // the kingpin ended before prctl

    // Out of the way of 1, 2 and the listeners' 3, 4, ... first, then into place.
    const int passed = static_cast<int>(r.listen_names.size());
    std::vector<int> moved;
    for (auto& fd : p.fds) {
        const int m = ::fcntl(fd.get(), F_DUPFD_CLOEXEC, std::max(64, 3 + passed));
        if (m < 0)
            give_up();
        moved.push_back(m);
        fd = unique_fd{};
    }
    std::size_t next = 0;
    auto place = [&](int target) {
        if (::dup3(moved[next], target, 0) < 0)
            give_up();
        ::close(moved[next++]);
    };
    if (r.has_stdout)
        place(STDOUT_FILENO);
    if (r.has_stderr)
        place(STDERR_FILENO);
    const int crash = r.has_crash ? moved[next++] : -1;
    for (int i = 0; i < passed; ++i)
        place(3 + i);

    ::clearenv();
    for (const auto& e : r.env) {
        if (e.starts_with("MOB_CRASH_FD="))
            continue;  // where the pipe is now, below
        // setenv, not putenv(strdup()): libc keeps its own copies where LeakSanitizer
        // sees them, so a worker's exit status is its own, not a leak report's 1.
        const auto eq = e.find('=');
        if (eq == std::string::npos || eq == 0)
            continue;
        ::setenv(e.substr(0, eq).c_str(), e.c_str() + eq + 1, 1);
    }
    if (crash >= 0)
        ::setenv("MOB_CRASH_FD", std::to_string(crash).c_str(), 1);
    if (passed > 0) {
        std::string names;
        for (const auto& n : r.listen_names)
            names += (names.empty() ? "" : ":") + n;
        ::setenv("LISTEN_FDS", std::to_string(passed).c_str(), 1);
        ::setenv("LISTEN_PID", std::to_string(::getpid()).c_str(), 1);
        ::setenv("LISTEN_FDNAMES", names.c_str(), 1);
    }
}

/// One request the server holds: what it asks for, and then its first child's report
/// pipe, or why it fails.
struct pending {
    packet p;
    std::optional<start_request> r;
    int report = -1;  ///< read end: the worker's pid, or -errno
    std::string error;
};

/// Everything of `batch` but entry `keep` closed: in a first child and a worker, the
/// other requests' descriptors are not theirs.
void close_others(std::vector<pending>& batch, std::size_t keep) {
    for (std::size_t j = 0; j < batch.size(); ++j) {
        if (j == keep)
            continue;
        batch[j].p.fds.clear();
        if (batch[j].report >= 0)
            ::close(batch[j].report);
        batch[j].report = -1;
    }
}

/// Forks the first child for `batch[i]`, which forks the worker, writes its pid into
/// the report pipe and exits at once, so the worker is the kingpin's. Sets
/// `in_worker` in the worker; else leaves the read end in `report` or sets `error`.
void fork_first_child(int socket, pid_t kingpin, std::vector<pending>& batch, std::size_t i,
                      bool& in_worker) {
    auto& q = batch[i];
    int report[2];
    if (::pipe2(report, O_CLOEXEC) != 0) {
        q.error = fmt::format("pipe: {}", std::strerror(errno));
        return;
    }
    const pid_t first = ::fork();
    if (first < 0) {
        q.error = fmt::format("fork: {}", std::strerror(errno));
        ::close(report[0]);
        ::close(report[1]);
        return;
    }
    if (first == 0) {
        ::close(report[0]);
        close_others(batch, i);
        const pid_t worker = ::fork();
        if (worker == 0) {
            ::close(report[1]);
            become_worker(socket, kingpin, *q.r, q.p);
            in_worker = true;
            return;
        }
        const int v = worker > 0 ? worker : -errno;
        [[maybe_unused]] auto n = ::write(report[1], &v, sizeof v);
        ::_exit(0);
    }
    ::close(report[1]);
    q.report = report[0];
    q.p.fds.clear();  // the first child has them, and passes them to the worker
}

/// The pid its first child reports, or -errno.
pid_t read_report(int report) {
    int v = -EPIPE;
    ssize_t n = 0;
    do {
        n = ::read(report, &v, sizeof v);
    } while (n < 0 && errno == EINTR);
    ::close(report);
    return n == static_cast<ssize_t>(sizeof v) ? v : -EPIPE;
}

/// The first children that have exited (the workers are not the server's children).
void reap_first_children() {
    while (::waitpid(-1, nullptr, WNOHANG) > 0) {
    }
}

/// What is wrong with `q`'s request, if anything.
std::string check(int socket, pending& q) {
    q.r = decode_start(q.p.bytes);
    if (!q.r || q.p.fds.size() != descriptors_in(*q.r))
        return "a malformed request";
    return listeners_blocked(socket, q.p, q.r->listen_names.size());
}
}  // namespace

bool serve_forks(int socket) {
    const pid_t kingpin = ::getppid();
    if (const auto threads = thread_count(); threads != 1) {
        send_packet(socket,
                    encode_text(kind::declined,
                                fmt::format("the program runs {} threads before app.run(), and "
                                            "fork() would copy only one of them",
                                            threads)));
        return false;
    }
    if (!send_packet(socket, std::string(1, static_cast<char>(kind::ready))))
        return false;
    for (;;) {
        // Every request waiting, the first one waited for: forked back to back, then
        // answered in their order, so a burst of starts costs the kingpin one wait.
        std::vector<pending> batch;
        bool done = false;
        while (!done) {
            auto p = receive_packet(socket, max_packet_bytes, /*dont_wait=*/!batch.empty());
            if (!p) {
                if (errno == EAGAIN || errno == EWOULDBLOCK)
                    break;
                if (errno != 0)
                    log::error("fork server: reading the kingpin's requests: {}",
                               std::strerror(errno));
                done = true;  // the kingpin closed its end: its work is done
                break;
            }
            batch.push_back({std::move(*p), std::nullopt, -1, {}});
        }
        reap_first_children();
        for (std::size_t i = 0; i < batch.size(); ++i) {
            batch[i].error = check(socket, batch[i]);
            if (!batch[i].error.empty())
                continue;
            bool in_worker = false;
            fork_first_child(socket, kingpin, batch, i, in_worker);
            if (in_worker)
                return true;
        }
        for (auto& q : batch) {
            if (q.report >= 0) {
                const pid_t pid = read_report(q.report);
                if (pid <= 0)
                    q.error = fmt::format("fork: {}", std::strerror(-pid));
                else
                    send_packet(socket, encode_pid(pid));
            }
            if (!q.error.empty())
                send_packet(socket, encode_text(kind::failed, q.error));
        }
        if (done)
            return false;
    }
}

}  // namespace mob::detail
