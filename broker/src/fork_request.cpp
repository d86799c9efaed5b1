#include "fork_request.hpp"

#include <sys/socket.h>

#include <cerrno>
#include <cstdint>
#include <cstring>
#include <memory>

namespace mob::detail::forks {

namespace {
constexpr unsigned flag_stdout = 1;
constexpr unsigned flag_stderr = 2;
constexpr unsigned flag_crash = 4;

void put_u32(std::string& out, std::uint32_t v) {
    for (int i = 0; i < 4; ++i)
        out.push_back(static_cast<char>((v >> (8 * i)) & 0xff));
}

bool get_u32(const std::string& in, std::size_t& at, std::uint32_t& v) {
    if (in.size() - at < 4)
        return false;
    v = 0;
    for (int i = 0; i < 4; ++i)
        v |= static_cast<std::uint32_t>(static_cast<unsigned char>(in[at + i])) << (8 * i);
    at += 4;
    return true;
}

/// A NUL-terminated string at `at`; false if there is no NUL before the end.
bool get_string(const std::string& in, std::size_t& at, std::string& s) {
    auto end = in.find('\0', at);
    if (end == std::string::npos)
        return false;
    s.assign(in, at, end - at);
    at = end + 1;
    return true;
}
}  // namespace

std::string encode_start(const start_request& r) {
    std::string out(1, static_cast<char>(kind::start));
    out.push_back(static_cast<char>((r.has_stdout ? flag_stdout : 0) |
                                    (r.has_stderr ? flag_stderr : 0) |
                                    (r.has_crash ? flag_crash : 0)));
    put_u32(out, static_cast<std::uint32_t>(r.env.size()));
    put_u32(out, static_cast<std::uint32_t>(r.listen_names.size()));
    for (const auto* list : {&r.env, &r.listen_names}) {
        for (const auto& s : *list) {
            out += s;
            out.push_back('\0');
        }
    }
    return out;
}

std::optional<start_request> decode_start(const std::string& bytes) {
    if (bytes.size() < 10 || bytes[0] != static_cast<char>(kind::start))
        return std::nullopt;
    const auto flags = static_cast<unsigned char>(bytes[1]);
    if ((flags & ~(flag_stdout | flag_stderr | flag_crash)) != 0)
        return std::nullopt;
    start_request r;
    r.has_stdout = (flags & flag_stdout) != 0;
    r.has_stderr = (flags & flag_stderr) != 0;
    r.has_crash = (flags & flag_crash) != 0;
    std::size_t at = 2;
    std::uint32_t envs = 0;
    std::uint32_t listeners = 0;
    if (!get_u32(bytes, at, envs) || !get_u32(bytes, at, listeners))
        return std::nullopt;
    // Each string takes at least its NUL: counts the bytes cannot hold are malformed
    // (and are not reserved for).
    if (envs > bytes.size() - at || listeners > max_listeners)
        return std::nullopt;
    r.env.resize(envs);
    r.listen_names.resize(listeners);
    for (auto* list : {&r.env, &r.listen_names}) {
        for (auto& s : *list) {
            if (!get_string(bytes, at, s))
                return std::nullopt;
        }
    }
    if (at != bytes.size())
        return std::nullopt;
    return r;
}

std::string encode_text(kind k, const std::string& text) {
    return std::string(1, static_cast<char>(k)) + text;
}

std::string encode_pid(pid_t pid) {
    std::string out(1, static_cast<char>(kind::started));
    put_u32(out, static_cast<std::uint32_t>(pid));
    return out;
}

std::optional<pid_t> decode_pid(const std::string& bytes) {
    std::size_t at = 1;
    std::uint32_t v = 0;
    if (bytes.size() != 5 || bytes[0] != static_cast<char>(kind::started) ||
        !get_u32(bytes, at, v) || v == 0 || v > 0x7fffffffu) {
        return std::nullopt;
    }
    return static_cast<pid_t>(v);
}

bool send_packet(int socket, const std::string& bytes, const std::vector<int>& fds) {
    iovec iov{const_cast<char*>(bytes.data()), bytes.size()};
    msghdr msg{};
    msg.msg_iov = &iov;
    msg.msg_iovlen = 1;
    std::vector<char> control;
    if (!fds.empty()) {
        control.resize(CMSG_SPACE(sizeof(int) * fds.size()));
        msg.msg_control = control.data();
        msg.msg_controllen = control.size();
        auto* c = CMSG_FIRSTHDR(&msg);
        c->cmsg_level = SOL_SOCKET;
        c->cmsg_type = SCM_RIGHTS;
        c->cmsg_len = CMSG_LEN(sizeof(int) * fds.size());
        std::memcpy(CMSG_DATA(c), fds.data(), sizeof(int) * fds.size());
    }
    for (;;) {
        auto n = ::sendmsg(socket, &msg, MSG_NOSIGNAL);
        if (n >= 0)
            return static_cast<std::size_t>(n) == bytes.size();
        if (errno != EINTR)
            return false;
    }
}

std::optional<packet> receive_packet(int socket, std::size_t max_bytes, bool dont_wait) {
    packet p;
    // Not zeroed, unlike a string's resize: the server reads up to 256 KiB per request.
    std::unique_ptr<char[]> buffer{new char[max_bytes]};
    iovec iov{buffer.get(), max_bytes};
    alignas(cmsghdr) char control[CMSG_SPACE(sizeof(int) * (max_listeners + 3))];
    msghdr msg{};
    msg.msg_iov = &iov;
    msg.msg_iovlen = 1;
    msg.msg_control = control;
    msg.msg_controllen = sizeof control;
    ssize_t n = 0;
    do {
        n = ::recvmsg(socket, &msg, MSG_CMSG_CLOEXEC | (dont_wait ? MSG_DONTWAIT : 0));
    } while (n < 0 && errno == EINTR);
    if (n < 0)
        return std::nullopt;
    for (auto* c = CMSG_FIRSTHDR(&msg); c != nullptr; c = CMSG_NXTHDR(&msg, c)) {
        if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS)
            continue;
        const auto count = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
        for (std::size_t i = 0; i < count; ++i) {
            int fd = -1;
            std::memcpy(&fd, CMSG_DATA(c) + i * sizeof(int), sizeof fd);
            p.fds.emplace_back(fd);
        }
    }
    if (n == 0 && p.fds.empty()) {
        errno = 0;
        return std::nullopt;  // the other end closed
    }
    if ((msg.msg_flags & (MSG_TRUNC | MSG_CTRUNC)) != 0) {
        p.fds.clear();  // closes them
        return p;
    }
    p.bytes.assign(buffer.get(), static_cast<std::size_t>(n));
    return p;
}

}  // namespace mob::detail::forks
