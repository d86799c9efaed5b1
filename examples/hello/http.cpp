#include "http.hpp"

#include <arpa/inet.h>
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

void serve_http(const std::string& host, int port, const std::function<bool()>& stopping,
                const std::function<std::string(const std::string& path)>& handle,
                const std::function<void()>& listening) {
    fd_guard listener{::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0)};
    if (listener.fd < 0)
        throw std::runtime_error(fmt::format("socket: {}", std::strerror(errno)));
    int one = 1;
    ::setsockopt(listener.fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    ::setsockopt(listener.fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof one);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(static_cast<std::uint16_t>(port));
    if (::inet_pton(AF_INET, host.c_str(), &addr.sin_addr) != 1) {
        throw std::runtime_error(fmt::format("bad listen address {}", host));
    }
    if (::bind(listener.fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 ||
        ::listen(listener.fd, 128) != 0) {
        throw std::runtime_error(
            fmt::format("cannot listen on {}:{}: {}", host, port, std::strerror(errno)));
    }
    listening();
    while (!stopping()) {
        pollfd p{listener.fd, POLLIN, 0};
        if (::poll(&p, 1, 100) <= 0)
            continue;
        fd_guard conn{::accept4(listener.fd, nullptr, nullptr, SOCK_CLOEXEC)};
        if (conn.fd < 0)
            continue;
        auto body = handle(read_request_path(conn.fd));
        auto answer = fmt::format(
            "HTTP/1.0 200 OK\r\nContent-Type: text/plain\r\nContent-Length: {}\r\n"
            "Connection: close\r\n\r\n{}",
            body.size(), body);
        ::send(conn.fd, answer.data(), answer.size(), MSG_NOSIGNAL);
    }
}

}  // namespace hello
