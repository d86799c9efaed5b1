#include "http.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <fmt/format.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <stdexcept>

namespace hello {

namespace {
struct fd_guard {
    int fd;
    ~fd_guard() {
        if (fd >= 0)
            ::close(fd);
    }
};

std::string read_request_path(int fd) {
    std::string req;
    char buf[2048];
    while (req.find("\r\n\r\n") == std::string::npos && req.size() < 16384) {
        pollfd p{fd, POLLIN, 0};
        if (::poll(&p, 1, 2000) <= 0)
            break;
        auto n = ::recv(fd, buf, sizeof buf, 0);
        if (n <= 0)
            break;
        req.append(buf, static_cast<std::size_t>(n));
    }
    auto sp1 = req.find(' ');
    auto sp2 = sp1 == std::string::npos ? sp1 : req.find(' ', sp1 + 1);
    if (sp2 == std::string::npos)
        return "/";
    return req.substr(sp1 + 1, sp2 - sp1 - 1);
}
}  // namespace

std::string local_address(int listener) {
    sockaddr_in addr{};
    socklen_t len = sizeof addr;
    char host[INET_ADDRSTRLEN] = "?";
    if (::getsockname(listener, reinterpret_cast<sockaddr*>(&addr), &len) == 0)
        ::inet_ntop(AF_INET, &addr.sin_addr, host, sizeof host);
    return fmt::format("{}:{}", host, ntohs(addr.sin_port));
}

void serve_http(int listener, const std::function<bool()>& stopping,
                const std::function<std::string(const std::string& path)>& handle,
                const std::function<void()>& listening) {
    // Non-blocking, so a front woken with the others for one connection does not wait
    // in accept() when another took it. (The flag is shared by every front: all set it.)
    if (::fcntl(listener, F_SETFL, ::fcntl(listener, F_GETFL) | O_NONBLOCK) != 0)
        throw std::runtime_error(fmt::format("fcntl: {}", std::strerror(errno)));
    listening();
    while (!stopping()) {
        pollfd p{listener, POLLIN, 0};
        if (::poll(&p, 1, 100) <= 0)
            continue;
        fd_guard conn{::accept4(listener, nullptr, nullptr, SOCK_CLOEXEC)};
        if (conn.fd < 0)
            continue;  // EAGAIN: another front took it
        auto body = handle(read_request_path(conn.fd));
        auto answer = fmt::format(
            "HTTP/1.0 200 OK\r\nContent-Type: text/plain\r\nContent-Length: {}\r\n"
            "Connection: close\r\n\r\n{}",
            body.size(), body);
        ::send(conn.fd, answer.data(), answer.size(), MSG_NOSIGNAL);
    }
}

}  // namespace hello
