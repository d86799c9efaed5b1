// A trivial line protocol for the shared-listener tests: on each connection the
// worker writes "<role> <pid>\n", then holds the connection until the client closes it
// (so a test that keeps connections open reaches every worker in turn), one at a time.
#pragma once

#include <mob/worker.hpp>

#include <fcntl.h>
#include <fmt/format.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <string>

namespace mob::test {

/// Says what this worker inherited: "EVENT listener ROLE PID NAME fd FD cloexec 0|1 env
/// set|unset".
inline void report_listener(mob::worker& w, const std::string& name, int fd) {
    int flags = ::fcntl(fd, F_GETFD);
    fmt::print("EVENT listener {} {} {} fd {} cloexec {} env {}\n", w.role(), w.pid(), name, fd,
               (flags & FD_CLOEXEC) != 0 ? 1 : 0,
               std::getenv("LISTEN_FDS") != nullptr ? "set" : "unset");
    std::fflush(stdout);
}

/// Serves `fd` until the worker stops. The socket is made non-blocking (its status
/// flags are shared by every worker of the role, which all do the same): after poll
/// says it is readable, another worker may have taken the connection first.
inline void serve_lines(mob::worker& w, int fd) {
    ::fcntl(fd, F_SETFL, ::fcntl(fd, F_GETFL) | O_NONBLOCK);
    w.ready();
    while (!w.stopping()) {
        pollfd p{fd, POLLIN, 0};
        if (::poll(&p, 1, 100) <= 0)
            continue;
        int conn = ::accept4(fd, nullptr, nullptr, SOCK_CLOEXEC);
        if (conn < 0)
            continue;  // EAGAIN: another worker got it
        auto line = fmt::format("{} {}\n", w.role(), w.pid());
        ::send(conn, line.data(), line.size(), MSG_NOSIGNAL);
        // Hold it until the client closes it (at most 10 s).
        auto until = std::chrono::steady_clock::now() + std::chrono::seconds{10};
        char buf[64];
        while (!w.stopping() && std::chrono::steady_clock::now() < until) {
            pollfd c{conn, POLLIN, 0};
            if (::poll(&c, 1, 100) > 0 && ::recv(conn, buf, sizeof buf, 0) <= 0)
                break;
        }
        ::close(conn);
    }
}

}  // namespace mob::test
