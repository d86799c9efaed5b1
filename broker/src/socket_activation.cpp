#include "socket_activation.hpp"

#include "mob/error.hpp"
#include "mob/log.hpp"

#include <fmt/format.h>
#include <sys/socket.h>
#include <systemd/sd-daemon.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>

namespace mob::detail {

socket_activation::socket_activation() {
    char** names = nullptr;
    // unset_environment: the workers must not take the kingpin's variables for theirs
    // (spawn() writes each worker's own).
    const int n = ::sd_listen_fds_with_names(1, &names);
    if (n < 0) {
        throw error(
            fmt::format("socket activation: LISTEN_FDS is not usable: {}", std::strerror(-n)));
    }
    for (int i = 0; i < n; ++i) {
        const int fd = SD_LISTEN_FDS_START + i;
        std::string name = names != nullptr && names[i] != nullptr ? names[i] : "unknown";
        sockets_.push_back({name, fd, false});
    }
    if (names != nullptr) {
        for (int i = 0; i < n; ++i)
            std::free(names[i]);
        std::free(names);
    }
    for (const auto& s : sockets_) {
        if (::sd_is_socket(s.fd, AF_UNSPEC, SOCK_STREAM, 1) <= 0) {
            for (const auto& t : sockets_)
                ::close(t.fd);
            throw error(fmt::format(
                "socket activation: descriptor {} ('{}') is not a listening stream socket "
                "(mob takes TCP listeners only: ListenStream= in the .socket unit)",
                s.fd, s.name));
        }
    }
}

socket_activation::~socket_activation() {
    for (const auto& s : sockets_) {
        if (!s.taken)
            ::close(s.fd);
    }
}

void socket_activation::close_unused() {
    for (auto& s : sockets_) {
        if (s.taken)
            continue;
        log::warn(
            "socket activation: no listener is named '{}' (descriptor {}): closed; name it in "
            "a role's listen entry, or '{}' for the TCP endpoint",
            s.name, s.fd, tcp_name);
        ::close(s.fd);
        s.taken = true;
    }
}

int socket_activation::take(std::string_view name) {
    for (auto& s : sockets_) {
        if (s.name == name && !s.taken) {
            s.taken = true;
            return s.fd;
        }
    }
    return -1;
}

}  // namespace mob::detail
