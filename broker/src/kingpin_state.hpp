// The kingpin's whole state, driven by one poll loop on one thread (kingpin.cpp: the
// loop, signals and the workers' lives; kingpin_control.cpp: what mobctl and a worker's
// SCALE ask of it). Private to the broker library.
#pragma once

#include "broker.hpp"
#include "config.hpp"
#include "control_server.hpp"
#include "curve_allow_list.hpp"
#include "event_log.hpp"
#include "listeners.hpp"
#include "log_output.hpp"
#include "mob/control.hpp"
#include "mob/detail/socket_monitor.hpp"
#include "mob/log.hpp"
#include "mob/runtime_dir.hpp"
#include "proc_sampler.hpp"
#include "refusal_log.hpp"
#include "role_table.hpp"
#include "socket_activation.hpp"
#include "supervisor.hpp"
#include "systemd_notify.hpp"
#include "zap_handler.hpp"

#include <fmt/format.h>
#include <signal.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string>
#include <string_view>

namespace mob::detail {

inline sigset_t kingpin_signals() {
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGCHLD);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGHUP);
    sigaddset(&set, SIGUSR1);  // reopen the log files (logrotate's convention)
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

/// The kingpin's whole state, driven by one poll loop on one thread.
class kingpin {
  public:
    /// `activated`: the sockets systemd passed (none if it did not), taken before any
    /// thread started.
    kingpin(const kingpin_config& config, log_output& logs, socket_activation& activated)
        : config_(config),
          logs_(logs),
          activated_(activated),
          dir_(config.runtime_root, config.app),
          endpoint_(dir_.ipc_endpoint("broker.sock")),
          socket_(context_, zmq::socket_type::router),
          monitor_(context_, socket_, "broker"),
          control_(context_, dir_.ipc_endpoint(control::socket_name)),
          listeners_(config.roles, &activated),
          roles_(config.roles),
          workers_(config, roles_, endpoint_),
          broker_(socket_, config, roles_, make_hooks(), clock::now()) {
        socket_.set(zmq::sockopt::router_mandatory, true);
        socket_.set(zmq::sockopt::linger, 0);
        socket_.set(zmq::sockopt::sndhwm, 100000);
        socket_.set(zmq::sockopt::rcvhwm, 100000);
        // A frame over the bound never reaches memory: libzmq closes its connection.
        socket_.set(zmq::sockopt::maxmsgsize,
                    static_cast<std::int64_t>(config.limits.max_message_size));
        try {
            socket_.bind(endpoint_);
        } catch (const zmq::error_t& e) {
            throw error(fmt::format("cannot bind {}: {}", endpoint_, e.what()));
        }
        log::info("kingpin of '{}' on {}", config.app, endpoint_);
        workers_.share_listeners(listeners_);
        workers_.capture_output(logs_.capture());
        if (!config.tcp_endpoint.empty())
            bind_tcp(config.tcp_endpoint);
        activated_.close_unused();
        notify_status();
    }

    int run();

  private:
    void bind_tcp(const std::string& endpoint);
    /// CURVE on the binds that follow (TCP's; the ipc bind before keeps NULL), behind
    /// a ZAP handler bound first.
    void secure_tcp();
    /// Counts a failed handshake on the TCP endpoint (a monitor event) as a refusal.
    void note_handshake(const socket_monitor::event& e, clock::time_point now);
    broker::hooks make_hooks();
    void on_signal(int sig);
    void on_child_exit(const supervisor::child& c, int status,
                       const supervisor::restart_plan& plan);
    void check_full();
    /// "full: back 3/3, front 1/1": each role's ready workers against its target.
    std::string role_counts() const;
    /// The STATUS= line for systemd, if it listens and the line changed
    /// (systemd_notify.hpp); "starting: ...", "full: ...", "reloading: ...".
    void notify_status();
    /// READY=1 again once a reload that began with RELOADING=1 is over.
    void check_reload_done();
    /// Runs an app observer; whatever it throws is logged, never let through.
    template <typename F>
    void observe(std::string_view which, F&& call);
    void begin_stop(std::string_view why);
    void retire(pid_t pid, std::string_view why);
    /// Sets `role`'s count (within its bounds) and retires what is now too many.
    void apply_scale(const std::string& role, std::uint32_t count, std::string_view who);
    scale_answer scale_by(const std::string& role, std::int32_t delta);
    /// Starts a rolling reload; false (and why in `refusal`) if it cannot.
    bool reload(std::string_view why, bool same_binary, std::string* refusal = nullptr,
                std::string* code = nullptr);
    /// Replaces the workers of `role` (all if empty) at once; throws mob::error.
    std::size_t restart(const std::string& role, bool same_binary);
    void tick(clock::time_point now);
    /// Kills workers not ready in time and retired ones that overstay (tick(), when the
    /// supervisor's scans are due).
    void supervise_deadlines(clock::time_point now);
    /// Samples every local worker's CPU and RSS, and replaces one over its role's
    /// max_memory (kingpin_limits.cpp).
    void sample_workers(clock::time_point now);
    control::app_description describe(const std::string& role) const;
    control_server::answer on_control(std::string_view verb, std::string_view json);
    control::app_status status() const;
    control::logs_reply logs(const control::logs_request& req) const;
    /// Poll waits, and how long since the workers' pipes were last read: a busy router
    /// must not keep them unread (their writers would wait on full pipes).
    clock::time_point pipes_read_ = clock::now();
    int exit_code_ = 0;  ///< what run() returns: a worker's stop_app code

    const kingpin_config& config_;
    log_output& logs_;
    socket_activation& activated_;
    systemd_notifier notify_;          ///< no-op unless systemd started the kingpin
    bool notified_ready_ = false;      ///< READY=1 sent (the first time the app was full)
    bool notified_reloading_ = false;  ///< RELOADING=1 sent, READY=1 owed at the reload's end
    runtime_dir dir_;
    std::string endpoint_;
    std::string tcp_endpoint_;  ///< as bound (port 0 resolved), "" if none
    std::string tcp_security_;  ///< "curve", "insecure", or "" without TCP
    signal_fd signals_;
    zmq::context_t context_{1};
    zmq::socket_t socket_;
    event_log events_;
    socket_monitor monitor_;
    refusal_log refusals_;                     ///< peers refused at the TCP endpoint, by reason
    std::optional<curve_allow_list> allowed_;  ///< with CURVE: the admitted keys
    std::optional<zap_handler> zap_;           ///< with CURVE: answers libzmq's ZAP requests
    clock::time_point next_allow_check_{};
    control_server control_;
    listener_set listeners_;  ///< bound once, open for the kingpin's whole life
    role_table roles_;        ///< each role's bounds and target, for the supervisor and the broker
    supervisor workers_;
    broker broker_;
    proc_sampler sampler_;
    clock::time_point next_sample_{};  ///< when sample_workers() is next due
    clock::time_point started_ = clock::now();
    bool stopping_ = false;
    bool full_ = false;
    clock::time_point stop_deadline_ = clock::time_point::max();
};

}  // namespace mob::detail
