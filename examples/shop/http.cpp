#include "http.hpp"

#include <arpa/inet.h>
#include <fmt/format.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <cstdlib>
#include <cstring>
#include <stdexcept>
#include <string_view>

namespace shop {

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

const char* reason(int status) {
    switch (status) {
        case 200:
            return "OK";
        case 400:
            return "Bad Request";
        case 404:
            return "Not Found";
        case 502:
            return "Bad Gateway";
        case 503:
            return "Service Unavailable";
        default:
            return "Status";
    }
}

}  // namespace

http_server::http_server(std::uint16_t port) : port_(port) {
    fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (fd_ < 0)
        throw std::runtime_error(fmt::format("socket: {}", std::strerror(errno)));
    int one = 1;
    ::setsockopt(fd_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_ANY);
    addr.sin_port = htons(port);
    if (::bind(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 ||
        ::listen(fd_, 64) != 0) {
        auto why = std::strerror(errno);
        ::close(fd_);
        throw std::runtime_error(fmt::format("cannot listen on 0.0.0.0:{}: {}", port, why));
    }
    // Port 0: the kernel's pick, read back (tests ask for it: no port is raced for).
    socklen_t len = sizeof addr;
    if (::getsockname(fd_, reinterpret_cast<sockaddr*>(&addr), &len) == 0)
        port_ = ntohs(addr.sin_port);
}

http_server::~http_server() {
    ::close(fd_);
}

void http_server::serve(const std::function<bool()>& stopping,
                        const std::function<http_response(const std::string& path)>& handle) {
    while (!stopping()) {
        pollfd p{fd_, POLLIN, 0};
        if (::poll(&p, 1, 100) <= 0)
            continue;
        fd_guard conn{::accept4(fd_, nullptr, nullptr, SOCK_CLOEXEC)};
        if (conn.fd < 0)
            continue;
        auto r = handle(read_request_path(conn.fd));
        auto answer = fmt::format(
            "HTTP/1.0 {} {}\r\nContent-Type: text/plain\r\nContent-Length: {}\r\n"
            "Connection: close\r\n\r\n{}",
            r.status, reason(r.status), r.body.size(), r.body);
        ::send(conn.fd, answer.data(), answer.size(), MSG_NOSIGNAL);
    }
}

int http_status(std::uint16_t port, const std::string& path, int timeout_s) {
    fd_guard conn{::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0)};
    if (conn.fd < 0)
        return 0;
    timeval tv{timeout_s, 0};
    ::setsockopt(conn.fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    ::setsockopt(conn.fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(port);
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (::connect(conn.fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0)
        return 0;
    auto req = fmt::format("GET {} HTTP/1.0\r\n\r\n", path);
    ::send(conn.fd, req.data(), req.size(), MSG_NOSIGNAL);
    char buf[64] = {};
    std::size_t got = 0;
    while (got < sizeof buf - 1) {
        auto n = ::recv(conn.fd, buf + got, sizeof buf - 1 - got, 0);
        if (n <= 0)
            break;
        got += static_cast<std::size_t>(n);
    }
    // "HTTP/1.0 200 OK": the status is the second word.
    int status = 0;
    std::string_view line{buf, got};
    if (auto sp = line.find(' '); sp != std::string_view::npos && line.size() >= sp + 4)
        std::from_chars(line.data() + sp + 1, line.data() + sp + 4, status);
    return status;
}

std::uint16_t port_from_env(const char* name, std::uint16_t fallback) {
    const char* v = std::getenv(name);
    if (v == nullptr || *v == '\0')
        return fallback;
    std::uint16_t port = 0;
    const char* end = v + std::strlen(v);
    auto [at, ec] = std::from_chars(v, end, port);
    if (ec != std::errc{} || at != end)
        throw std::runtime_error(fmt::format("{}={} is not a port number", name, v));
    return port;
}

}  // namespace shop
