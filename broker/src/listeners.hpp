// Shared listening sockets: the kingpin binds each role's `listen` entries once, at
// start, keeps them open for its whole life and hands them to every worker of the role
// (systemd's socket activation convention, see spawn.hpp), so the kernel balances
// accept() between the workers and a worker restart never closes the port.
#pragma once

#include "mob/app.hpp"
#include "spawn.hpp"

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace mob::detail {

class socket_activation;

/// One `listen` entry, "name=host:port", checked.
struct listen_spec {
    std::string name;
    std::string host;  ///< numeric, without brackets: "127.0.0.1", "::1"
    std::uint16_t port = 0;
    bool ipv6 = false;
};

/// Parses "http=127.0.0.1:8080" or "http=[::1]:0"; throws mob::error saying what is
/// wrong with `text` (the caller adds the role).
listen_spec parse_listen_spec(std::string_view text);

/// Checks a role's `listen` entries (syntax, names, duplicates); throws mob::error
/// naming the role.
void check_listen_options(const std::string& role, const std::vector<std::string>& entries);

/// The bound sockets of every role, owned (closed when destroyed). Their descriptors
/// are CLOEXEC: only spawn() passes them on, to the workers of their role.
class listener_set {
  public:
    struct bound {
        std::string role;
        std::string name;
        int fd = -1;
        std::string address;     ///< what it is bound to, the real port: "127.0.0.1:41234"
        bool owned = true;       ///< false for a second role sharing a socket systemd passed
        bool activated = false;  ///< passed by systemd, not bound here
    };

    listener_set() = default;
    /// Binds (SO_REUSEADDR, backlog SOMAXCONN) every role's entries and logs
    /// "listening: NAME on ADDRESS for role ROLE"; throws mob::error if one fails. An
    /// entry whose name systemd passed a socket under (`activated`, may be null) takes
    /// that socket instead, whatever its address says; roles naming it alike share it.
    explicit listener_set(const std::vector<role_spec>& roles,
                          socket_activation* activated = nullptr);
    ~listener_set();
    listener_set(listener_set&& other) noexcept;
    listener_set& operator=(listener_set&& other) noexcept;
    listener_set(const listener_set&) = delete;
    listener_set& operator=(const listener_set&) = delete;

    /// What the workers of `role` inherit, in the order of its entries.
    std::vector<passed_fd> for_role(std::string_view role) const;
    const std::vector<bound>& all() const { return bound_; }

  private:
    void close_all() noexcept;
    std::vector<bound> bound_;
};

}  // namespace mob::detail
