#include "listeners.hpp"

#include "mob/error.hpp"
#include "mob/identity.hpp"
#include "mob/log.hpp"
#include "socket_activation.hpp"

#include <arpa/inet.h>
#include <fmt/format.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <cstring>
#include <set>

namespace mob::detail {

namespace {
constexpr const char* listen_example = "e.g. \"http=127.0.0.1:8080\" or \"http=[::1]:0\"";

std::string bad_entry(std::string_view text, std::string_view why) {
    return fmt::format("listen entry '{}' {} ({})", text, why, listen_example);
}

/// The address a socket is bound to, "127.0.0.1:41234" or "[::1]:41234".
std::string bound_address(int fd) {
    sockaddr_storage ss{};
    socklen_t len = sizeof ss;
    if (::getsockname(fd, reinterpret_cast<sockaddr*>(&ss), &len) != 0)
        return "?";
    char host[INET6_ADDRSTRLEN] = {};
    if (ss.ss_family == AF_INET6) {
        const auto& a = reinterpret_cast<const sockaddr_in6&>(ss);
        ::inet_ntop(AF_INET6, &a.sin6_addr, host, sizeof host);
        return fmt::format("[{}]:{}", host, ntohs(a.sin6_port));
    }
    const auto& a = reinterpret_cast<const sockaddr_in&>(ss);
    ::inet_ntop(AF_INET, &a.sin_addr, host, sizeof host);
    return fmt::format("{}:{}", host, ntohs(a.sin_port));
}

/// A bound, listening TCP socket for `spec`; throws mob::error saying why not.
int bind_one(const listen_spec& spec, const std::string& shown) {
    sockaddr_storage ss{};
    socklen_t len = 0;
    if (spec.ipv6) {
        auto& a = reinterpret_cast<sockaddr_in6&>(ss);
        a.sin6_family = AF_INET6;
        a.sin6_port = htons(spec.port);
        ::inet_pton(AF_INET6, spec.host.c_str(), &a.sin6_addr);
        len = sizeof a;
    } else {
        auto& a = reinterpret_cast<sockaddr_in&>(ss);
        a.sin_family = AF_INET;
        a.sin_port = htons(spec.port);
        ::inet_pton(AF_INET, spec.host.c_str(), &a.sin_addr);
        len = sizeof a;
    }
    int fd = ::socket(ss.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        throw error(fmt::format("cannot listen on {}: socket: {}", shown, std::strerror(errno)));
    int one = 1;
    // A restarted kingpin binds again at once, whatever TIME_WAIT connections remain.
    ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    if (::bind(fd, reinterpret_cast<sockaddr*>(&ss), len) != 0 || ::listen(fd, SOMAXCONN) != 0) {
        int e = errno;
        ::close(fd);
        throw error(fmt::format("cannot listen on {}: {}", shown, std::strerror(e)));
    }
    return fd;
}
}  // namespace

listen_spec parse_listen_spec(std::string_view text) {
    listen_spec spec;
    auto eq = text.find('=');
    if (eq == std::string_view::npos)
        throw error(bad_entry(text, "is not name=host:port"));
    spec.name = std::string{text.substr(0, eq)};
    if (!valid_role_name(spec.name)) {
        throw error(bad_entry(
            text, fmt::format("has name '{}': use [A-Za-z0-9_.-]+, at most 64", spec.name)));
    }
    auto address = text.substr(eq + 1);
    std::string_view port;
    if (!address.empty() && address.front() == '[') {
        auto close = address.find(']');
        if (close == std::string_view::npos || close + 1 >= address.size() ||
            address[close + 1] != ':') {
            throw error(bad_entry(text, "has no ']:port' after its IPv6 address"));
        }
        spec.host = std::string{address.substr(1, close - 1)};
        spec.ipv6 = true;
        port = address.substr(close + 2);
    } else {
        auto colon = address.rfind(':');
        if (colon == std::string_view::npos)
            throw error(bad_entry(text, "has no port"));
        spec.host = std::string{address.substr(0, colon)};
        if (spec.host.find(':') != std::string::npos)
            throw error(bad_entry(text, "has an IPv6 address: put it in brackets"));
        port = address.substr(colon + 1);
    }
    unsigned char buf[sizeof(in6_addr)];
    if (::inet_pton(spec.ipv6 ? AF_INET6 : AF_INET, spec.host.c_str(), buf) != 1) {
        throw error(
            bad_entry(text, fmt::format("has host '{}', not a numeric {} address", spec.host,
                                        spec.ipv6 ? "IPv6" : "IPv4 (or bracketed IPv6)")));
    }
    unsigned value = 0;
    auto [end, ec] = std::from_chars(port.data(), port.data() + port.size(), value);
    if (port.empty() || ec != std::errc{} || end != port.data() + port.size() || value > 65535) {
        throw error(
            bad_entry(text, fmt::format("has port '{}', not a number from 0 to 65535", port)));
    }
    spec.port = static_cast<std::uint16_t>(value);
    return spec;
}

void check_listen_options(const std::string& role, const std::vector<std::string>& entries) {
    std::set<std::string> names;
    for (const auto& entry : entries) {
        listen_spec spec;
        try {
            spec = parse_listen_spec(entry);
        } catch (const error& e) {
            throw error(fmt::format("role '{}': {}", role, e.what()));
        }
        if (!names.insert(spec.name).second) {
            throw error(fmt::format("role '{}': listener '{}' is declared twice", role, spec.name));
        }
    }
}

listener_set::listener_set(const std::vector<role_spec>& roles, socket_activation* activated) {
    try {
        for (const auto& role : roles) {
            for (const auto& entry : role.options.listen) {
                auto spec = parse_listen_spec(entry);
                bound b{role.name, spec.name, -1, {}};
                if (activated != nullptr)
                    b.fd = activated->take(spec.name);
                if (b.fd >= 0) {
                    b.activated = true;
                } else {
                    // A socket systemd passed that an earlier role took: shared, not owned.
                    for (const auto& other : bound_) {
                        if (other.activated && other.name == spec.name) {
                            b.fd = other.fd;
                            b.activated = true;
                            b.owned = false;
                        }
                    }
                }
                if (b.fd < 0) {
                    auto shown =
                        fmt::format("{} (role '{}', listener '{}')",
                                    entry.substr(spec.name.size() + 1), role.name, spec.name);
                    b.fd = bind_one(spec, shown);
                }
                b.address = bound_address(b.fd);
                log::info("listening: {} on {} for role {}{}", b.name, b.address, b.role,
                          b.activated ? " (socket from systemd)" : "");
                bound_.push_back(std::move(b));
            }
        }
    } catch (...) {
        close_all();
        throw;
    }
}

listener_set::~listener_set() {
    close_all();
}

listener_set::listener_set(listener_set&& other) noexcept : bound_(std::move(other.bound_)) {
    other.bound_.clear();
}

listener_set& listener_set::operator=(listener_set&& other) noexcept {
    if (this != &other) {
        close_all();
        bound_ = std::move(other.bound_);
        other.bound_.clear();
    }
    return *this;
}

void listener_set::close_all() noexcept {
    for (auto& b : bound_) {
        if (b.fd >= 0 && b.owned)
            ::close(b.fd);
        b.fd = -1;
    }
    bound_.clear();
}

std::vector<passed_fd> listener_set::for_role(std::string_view role) const {
    std::vector<passed_fd> out;
    for (const auto& b : bound_) {
        if (b.role == role)
            out.push_back({b.name, b.fd});
    }
    return out;
}

}  // namespace mob::detail
