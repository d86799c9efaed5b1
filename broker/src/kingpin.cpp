#include "kingpin.hpp"

#include "mob/log.hpp"
#include "mob/runtime_dir.hpp"
#include "router.hpp"
#include "spawn.hpp"
#include "supervisor.hpp"

#include <fmt/format.h>
#include <signal.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace mob::detail {
using namespace std::chrono_literals;

namespace {

sigset_t kingpin_signals() {
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGCHLD);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGHUP);
    return set;
}

class signal_fd {
  public:
    signal_fd() {
        auto set = kingpin_signals();
        fd_ = ::signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC);
        if (fd_ < 0)
            throw error(fmt::format("signalfd: {}", std::strerror(errno)));
    }
    ~signal_fd() { ::close(fd_); }
    signal_fd(const signal_fd&) = delete;
    signal_fd& operator=(const signal_fd&) = delete;
    int fd() const { return fd_; }
    /// The next pending signal, or 0.
    int next() {
        signalfd_siginfo info{};
        auto n = ::read(fd_, &info, sizeof info);
        return n == static_cast<ssize_t>(sizeof info) ? static_cast<int>(info.ssi_signo) : 0;
    }

  private:
    int fd_ = -1;
};

std::string role_counts(const router& r) {
    std::string out;
    for (const auto& role : r.roles()) {
        if (!out.empty())
            out += ", ";
        out += fmt::format("{} {}/{}", role.name, role.ready.size(), role.target);
    }
    return out;
}

}  // namespace

void block_kingpin_signals() {
    auto set = kingpin_signals();
    ::sigprocmask(SIG_BLOCK, &set, nullptr);
}

int run_kingpin(const kingpin_config& config) {
    runtime_dir dir{config.runtime_root, config.app};
    const auto endpoint = dir.ipc_endpoint("broker.sock");
    signal_fd signals;

    zmq::context_t context{1};
    zmq::socket_t socket{context, zmq::socket_type::router};
    socket.set(zmq::sockopt::router_mandatory, true);
    socket.set(zmq::sockopt::linger, 0);
    socket.set(zmq::sockopt::sndhwm, 100000);
    socket.set(zmq::sockopt::rcvhwm, 100000);
    try {
        socket.bind(endpoint);
    } catch (const zmq::error_t& e) {
        throw error(fmt::format("cannot bind {}: {}", endpoint, e.what()));
    }
    log::info("kingpin of '{}' on {}", config.app, endpoint);

    supervisor workers{config, endpoint};
    bool stopping = false;
    bool full = false;
    auto stop_deadline = clock::time_point::max();

    // The hooks run inside the router's calls; they reach it through this pointer.
    router* self = nullptr;
    auto check_full = [&] {
        bool now_full = self->all_full();
        if (now_full && !full && !stopping) {
            log::info("full: every role has its workers ({})", role_counts(*self));
        }
        full = now_full;
    };
    router::hooks hooks{
        [&](std::int64_t pid) { return workers.is_child(static_cast<pid_t>(pid)); },
        [&](const worker_entry& w) {
            log::info("ready: {} worker pid {} ({})", w.role, w.pid, w.id);
            check_full();
        },
        [&](const worker_entry& w, std::string_view why) {
            log::debug("gone: {} ({})", w.id, why);
            if (w.local_child && why == "missed heartbeats") {
                log::warn("{} worker pid {} missed heartbeats: killing it", w.role, w.pid);
                ::kill(static_cast<pid_t>(w.pid), SIGKILL);
            }
            full = full && self->all_full();
        },
    };
    router broker{socket, config, std::move(hooks)};
    self = &broker;

    auto begin_stop = [&](int sig) {
        if (stopping) {
            log::warn("{} again: killing every worker now", sig == SIGINT ? "SIGINT" : "SIGTERM");
            workers.signal_all(SIGKILL);
            return;
        }
        stopping = true;
        log::info("{}: stopping {} workers", sig == SIGINT ? "SIGINT" : "SIGTERM", workers.size());
        workers.stop_reviving();
        broker.stop_all();
        workers.signal_all(SIGTERM);
        stop_deadline = clock::now() + config.kill_timeout;
    };

    workers.start_all();

    while (!(stopping && workers.empty())) {
        auto now = clock::now();
        auto next = std::min(broker.next_deadline(), stop_deadline);
        auto wait = std::chrono::duration_cast<std::chrono::milliseconds>(next - now);
        wait = std::clamp(wait, 0ms, 1000ms);
        zmq::pollitem_t items[] = {
            {socket.handle(), 0, ZMQ_POLLIN, 0},
            {nullptr, signals.fd(), ZMQ_POLLIN, 0},
        };
        try {
            zmq::poll(items, 2, wait);
        } catch (const zmq::error_t& e) {
            if (e.num() != EINTR)
                throw;
        }
        if (items[1].revents & ZMQ_POLLIN) {
            while (int sig = signals.next()) {
                if (sig == SIGCHLD) {
                    workers.reap([&](const supervisor::child& c, int status) {
                        auto how = describe_exit(status);
                        if (stopping) {
                            log::debug("{} worker pid {} ended: {}", c.role, c.pid, how);
                        } else {
                            log::warn("{} worker pid {} died: {}; reviving it", c.role, c.pid, how);
                        }
                        broker.process_exited(c.pid);
                    });
                    check_full();
                } else if (sig == SIGINT || sig == SIGTERM) {
                    begin_stop(sig);
                } else if (sig == SIGHUP) {
                    log::info("SIGHUP: reload is not supported yet; ignored");
                }
            }
        }
        if (items[0].revents & ZMQ_POLLIN)
            broker.handle_incoming();
        now = clock::now();
        broker.tick(now);
        if (stopping && now >= stop_deadline && !workers.empty()) {
            log::warn("{} workers still running after {} ms: SIGKILL", workers.size(),
                      config.kill_timeout.count());
            workers.signal_all(SIGKILL);
            stop_deadline = now + 1s;
        }
    }
    log::info("stopped");
    return 0;
}

}  // namespace mob::detail
