// The kingpin's side of systemd's socket activation: the listening sockets systemd
// passed it (LISTEN_FDS, LISTEN_PID, LISTEN_FDNAMES, read with libsystemd's
// sd_listen_fds_with_names), taken once, before any thread starts. Each is used by
// name: a role's `listen` entry of the same name takes it instead of binding its
// address (listeners.cpp), and the name "mob" carries the kingpin's own TCP endpoint
// (ZMQ_USE_FD, kingpin_tcp.cpp). docs/systemd.md.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace mob::detail {

class socket_activation {
  public:
    /// The name of the socket that carries the kingpin's TCP endpoint.
    static constexpr std::string_view tcp_name = "mob";

    struct socket {
        std::string name;
        int fd = -1;
        bool taken = false;  ///< used: its owner closes it now
    };

    /// Takes what systemd passed (the variables are unset, the descriptors made
    /// CLOEXEC): nothing when LISTEN_PID is not this process. Throws mob::error if a
    /// passed descriptor is not a listening stream socket.
    socket_activation();
    /// Closes what no one took.
    ~socket_activation();
    socket_activation(const socket_activation&) = delete;
    socket_activation& operator=(const socket_activation&) = delete;

    /// The descriptor passed under `name`, now the caller's to close, or -1 (none, or
    /// taken already).
    int take(std::string_view name);
    /// Closes, with a warning each, the sockets no one took: a name no role's listener
    /// has (FileDescriptorName= in the .socket unit, or the role's `listen` entry, is
    /// wrong).
    void close_unused();
    const std::vector<socket>& all() const { return sockets_; }

  private:
    std::vector<socket> sockets_;
};

}  // namespace mob::detail
