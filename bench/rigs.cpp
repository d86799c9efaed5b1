#include "rigs.hpp"

#include <arpa/inet.h>
#include <fmt/format.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <stdexcept>

namespace bench {
namespace {

const char* mode_arg(serve_mode m) {
    return m == serve_mode::inline_call ? "inline" : "dispatcher";
}

/// A TCP port on 127.0.0.1 that nothing listens on now: bound to port 0, read, closed.
int free_tcp_port() {
    int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        throw std::runtime_error("bench: no socket for a free port");
    }
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof a;
    const bool ok = ::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0 &&
                    ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len) == 0;
    ::close(fd);
    if (!ok) {
        throw std::runtime_error("bench: no free TCP port on 127.0.0.1");
    }
    return ntohs(a.sin_port);
}

}  // namespace

std::string bind_endpoint(transport t, const temp_dir& dir, const std::string& name) {
    if (t == transport::tcp) {
        return fmt::format("tcp://127.0.0.1:{}", free_tcp_port());
    }
    return fmt::format("ipc://{}/{}", dir.path(), name);
}

floor_rig::floor_rig(std::size_t workers, std::uint32_t credit, const plan& p, transport t)
    : endpoint_(bind_endpoint(t, dir_, "floor.sock")),
      broker_({program_name, "--floor-broker", endpoint_}) {
    for (std::size_t i = 0; i < workers; ++i) {
        workers_.push_back(std::make_unique<child>(std::vector<std::string>{
            program_name, "--floor-worker", endpoint_, std::to_string(credit)}));
    }
    client_ = std::make_unique<floor_client>(endpoint_, p.payload);
    client_->wait_for_workers(workers, std::chrono::seconds{10});
}

namespace {

std::vector<std::string> kingpin_args(std::size_t workers, std::uint32_t credit, serve_mode mode,
                                      const std::string& tcp) {
    std::vector<std::string> args{program_name, "--mob-app", std::to_string(workers),
                                  std::to_string(credit), mode_arg(mode)};
    if (!tcp.empty()) {
        args.push_back(tcp);
    }
    return args;
}

}  // namespace

mob_rig::mob_rig(std::size_t workers, std::uint32_t credit, const plan& p, serve_mode mode,
                 transport t)
    : tcp_(t == transport::tcp ? bind_endpoint(t, dir_, "") : ""),
      kingpin_(kingpin_args(workers, credit, mode, tcp_),
               {"MOB_RUNTIME_DIR=" + dir_.path(), "MOB_LOG=info"},
               /*capture_stderr=*/true) {
    // External workers connect and retry on their own: no need to wait for the listener.
    for (std::size_t i = 0; !tcp_.empty() && i < workers; ++i) {
        echo_workers_.push_back(std::make_unique<child>(
            std::vector<std::string>{program_name, "--mob-echo-worker", mode_arg(mode)},
            std::vector<std::string>{"MOB_ENDPOINT=" + tcp_, "MOB_APP=" + std::string{mob_app_name},
                                     "MOB_ROLE=echo", "MOB_CREDIT=" + std::to_string(credit),
                                     "MOB_LOG=warn"}));
    }
    if (!kingpin_.wait_for_line("full: every role has its workers", std::chrono::seconds{15})) {
        throw std::runtime_error(fmt::format(
            "mob: the kingpin did not get its workers up in 15 s ({})", transport_name(t)));
    }
    const auto endpoint =
        tcp_.empty() ? fmt::format("ipc://{}/{}/broker.sock", dir_.path(), mob_app_name) : tcp_;
    client_ = std::make_unique<mob_client>(endpoint, p.payload);
}

}  // namespace bench
