#include "kingpin.hpp"

#include "control_server.hpp"
#include "event_log.hpp"
#include "listeners.hpp"
#include "mob/codec.hpp"
#include "mob/control.hpp"
#include "mob/detail/socket_monitor.hpp"
#include "mob/log.hpp"
#include "mob/runtime_dir.hpp"
#include "router.hpp"
#include "spawn.hpp"
#include "supervisor.hpp"

#include <fmt/format.h>
#include <poll.h>
#include <signal.h>
#include <sys/signalfd.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <typeinfo>

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

double seconds_since(clock::time_point t) {
    return std::chrono::duration<double>(clock::now() - t).count();
}

/// The kingpin's whole state, driven by one poll loop on one thread.
class kingpin {
  public:
    explicit kingpin(const kingpin_config& config)
        : config_(config),
          dir_(config.runtime_root, config.app),
          endpoint_(dir_.ipc_endpoint("broker.sock")),
          socket_(context_, zmq::socket_type::router),
          monitor_(context_, socket_, "broker"),
          control_(context_, dir_.ipc_endpoint(control::socket_name)),
          listeners_(config.roles),
          workers_(config, endpoint_),
          broker_(socket_, config, make_hooks()) {
        socket_.set(zmq::sockopt::router_mandatory, true);
        socket_.set(zmq::sockopt::linger, 0);
        socket_.set(zmq::sockopt::sndhwm, 100000);
        socket_.set(zmq::sockopt::rcvhwm, 100000);
        try {
            socket_.bind(endpoint_);
        } catch (const zmq::error_t& e) {
            throw error(fmt::format("cannot bind {}: {}", endpoint_, e.what()));
        }
        log::info("kingpin of '{}' on {}", config.app, endpoint_);
        workers_.share_listeners(listeners_);
        if (!config.tcp_endpoint.empty())
            bind_tcp(config.tcp_endpoint);
    }

    int run();

  private:
    void bind_tcp(const std::string& endpoint);
    router::hooks make_hooks();
    void on_signal(int sig);
    void on_child_exit(const supervisor::child& c, int status,
                       const supervisor::restart_plan& plan);
    void check_full();
    /// Runs an app observer; whatever it throws is logged, never let through.
    template <typename F>
    void observe(std::string_view which, F&& call);
    void begin_stop(std::string_view why);
    void retire(pid_t pid, std::string_view why);
    /// Sets `role`'s count (within its bounds) and retires what is now too many.
    void apply_scale(const std::string& role, std::uint32_t count, std::string_view who);
    scale_answer scale_by(const std::string& role, std::int32_t delta);
    bool reload(std::string_view why, std::string* refusal = nullptr);
    void tick(clock::time_point now);
    control_server::answer on_control(std::string_view verb, std::string_view json);
    control::app_status status() const;

    const kingpin_config& config_;
    runtime_dir dir_;
    std::string endpoint_;
    std::string tcp_endpoint_;  ///< as bound (port 0 resolved), "" if none
    signal_fd signals_;
    zmq::context_t context_{1};
    zmq::socket_t socket_;
    event_log events_;
    socket_monitor monitor_;
    control_server control_;
    listener_set listeners_;  ///< bound once, open for the kingpin's whole life
    supervisor workers_;
    router broker_;
    clock::time_point started_ = clock::now();
    bool stopping_ = false;
    bool full_ = false;
    clock::time_point stop_deadline_ = clock::time_point::max();
};

void kingpin::bind_tcp(const std::string& endpoint) {
    // The same ROUTER binds twice: local and external workers are one set of peers.
    try {
        socket_.bind(endpoint);
    } catch (const zmq::error_t& e) {
        throw error(fmt::format("cannot bind {}: {}", endpoint, e.what()));
    }
    tcp_endpoint_ = socket_.get(zmq::sockopt::last_endpoint);  // port 0 becomes the real one
    log::info("listening on {} for external workers (no authentication: trusted networks only)",
              tcp_endpoint_);
}

router::hooks kingpin::make_hooks() {
    return router::hooks{
        [this](std::int64_t pid) { return workers_.is_child(static_cast<pid_t>(pid)); },
        [this](const worker_entry& w) {
            log::info("ready: {} worker pid {} ({})", w.role, w.pid, w.id);
            events_.add("kingpin", "worker_ready", "",
                        fmt::format("{} pid {} ({})", w.role, w.pid, w.id));
            if (w.local_child) {
                workers_.mark_ready(static_cast<pid_t>(w.pid), clock::now());
                if (auto old = workers_.on_ready(static_cast<pid_t>(w.pid), clock::now())) {
                    retire(*old, "replaced by a reload");
                }
            }
            check_full();
        },
        [this](const worker_entry& w, std::string_view why) {
            log::debug("gone: {} ({})", w.id, why);
            events_.add("kingpin", "worker_gone", "", fmt::format("{} ({})", w.id, why));
            if (w.local_child && why == "missed heartbeats") {
                log::warn("{} worker pid {} missed heartbeats: killing it", w.role, w.pid);
                workers_.note_kill(static_cast<pid_t>(w.pid), "killed: missed heartbeats");
                ::kill(static_cast<pid_t>(w.pid), SIGKILL);
            }
            full_ = full_ && broker_.all_full();
        },
        [this](const std::string& role, std::int32_t delta) { return scale_by(role, delta); },
        [this](std::int64_t pid) { return workers_.predecessor_report(static_cast<pid_t>(pid)); },
    };
}

void kingpin::apply_scale(const std::string& role, std::uint32_t count, std::string_view who) {
    auto extra = workers_.scale(role, count);  // throws for a count out of bounds
    broker_.set_target(role, count);
    events_.add("kingpin", "scale", "", fmt::format("{} to {} ({})", role, count, who));
    log::info("scaling {} to {} ({})", role, count, who);
    for (auto pid : extra)
        retire(pid, fmt::format("scaling {} to {}", role, count));
    full_ = false;
    check_full();
}

scale_answer kingpin::scale_by(const std::string& role, std::int32_t delta) {
    scale_answer a;
    const auto* spec = workers_.spec(role);
    if (spec == nullptr) {
        a.code = errc::unknown_role;
        a.text = fmt::format("scale: app '{}' has no role '{}'", config_.app, role);
        return a;
    }
    auto& r = a.result;
    r.role = role;
    r.min = spec->min;
    r.max = spec->max;
    r.before = workers_.target(role);
    auto wanted = static_cast<std::int64_t>(r.before) + delta;
    auto count = std::clamp<std::int64_t>(wanted, spec->min, spec->max);
    r.clamped = count != wanted;
    r.target = static_cast<std::uint32_t>(count);
    if (r.clamped) {
        log::info("scale {}{:+} asked by a worker: role '{}' takes {} to {} workers, so {}", role,
                  delta, role, spec->min, spec->max, r.target);
    }
    if (r.target != r.before)
        apply_scale(role, r.target, fmt::format("{:+} asked by a worker", delta));
    return a;
}

bool kingpin::reload(std::string_view why, std::string* refusal) {
    if (workers_.reloading()) {
        if (refusal != nullptr)
            *refusal = "a reload is already running";
        return false;
    }
    try {
        workers_.reload_environment();
    } catch (const mob::error& e) {
        log::error("reload refused: {}; the workers stay as they are", e.what());
        if (refusal != nullptr)
            *refusal = e.what();
        return false;
    }
    if (!workers_.begin_reload(clock::now()))
        return false;
    events_.add("kingpin", "reload", "", std::string{why});
    return true;
}

template <typename F>
void kingpin::observe(std::string_view which, F&& call) {
    try {
        call();
    } catch (const std::exception& e) {
        log::error("the app's {} observer threw {}: {} (ignored)", which,
                   mob::detail::demangle(typeid(e).name()), e.what());
    } catch (...) {
        log::error("the app's {} observer threw a non-exception (ignored)", which);
    }
}

void kingpin::check_full() {
    bool now_full = broker_.all_full();
    if (now_full && !full_ && !stopping_) {
        std::string counts;
        for (const auto& role : broker_.roles()) {
            counts += fmt::format("{}{} {}/{}", counts.empty() ? "" : ", ", role.name,
                                  role.ready.size(), role.target);
        }
        log::info("full: every role has its workers ({})", counts);
        events_.add("kingpin", "full", "", counts);
        if (config_.on_full)
            observe("on_full", [&] { config_.on_full(); });
    }
    full_ = now_full;
}

void kingpin::on_child_exit(const supervisor::child& c, int status,
                            const supervisor::restart_plan& plan) {
    auto how = describe_exit(status);
    if (stopping_ || c.retiring) {
        log::debug("{} worker pid {} ended: {}", c.role, c.pid, how);
        events_.add("kingpin", "worker_stopped", "",
                    fmt::format("{} pid {}: {}", c.role, c.pid, how));
    } else {
        using action = supervisor::restart_plan::action;
        std::string next;
        if (plan.what == action::now) {
            next = "reviving it";
        } else if (plan.what == action::later) {
            next = fmt::format("restarting it in {} ms ({} death{} in the last minute{})",
                               plan.delay.count(), plan.deaths_last_minute,
                               plan.deaths_last_minute == 1 ? "" : "s",
                               plan.crash_loop ? ": crash loop" : "");
        } else {
            next = fmt::format("not restarting it ({})", plan.why_not);
            broker_.set_target(c.role, workers_.target(c.role));
        }
        auto line = fmt::format("{} worker pid {} died: {}; {}", c.role, c.pid, how, next);
        if (plan.crash_loop)
            log::error("{}", line);
        else
            log::warn("{}", line);
        events_.add("kingpin", "worker_died", "",
                    fmt::format("{} pid {}: {}; {}", c.role, c.pid, how, next));
        if (c.report.has_exception() || !c.report.note.empty()) {
            log::error("crash report: {}", c.report.summary());
            events_.add("kingpin", "crash_report", "", c.report.summary());
        }
        if (config_.on_death) {
            death_info d;
            d.role = c.role;
            d.pid = c.pid;
            if (auto it = workers_.stats().find(c.role); it != workers_.stats().end())
                d.deaths = it->second.deaths;
            d.exit_code = c.report.exit_code;
            d.signal = c.report.signal;
            d.signal_name = c.report.signal_name;
            d.report = c.report;
            d.restart = plan.what != action::none;
            d.restart_in = plan.what == action::later ? plan.delay : std::chrono::milliseconds{0};
            d.why_not = plan.why_not;
            observe("on_death", [&] { config_.on_death(d); });
        }
    }
    broker_.process_exited(c.pid, WIFEXITED(status) && WEXITSTATUS(status) == 0);
}

void kingpin::retire(pid_t pid, std::string_view why) {
    log::info("stopping worker pid {}: {}", pid, why);
    events_.add("kingpin", "worker_retired", "", fmt::format("pid {}: {}", pid, why));
    workers_.retire(pid, clock::now() + config_.kill_timeout);
    // STOP comes after every call already sent to it, so it serves them all before it
    // leaves; a signal could overtake them. Only a worker that never said hello gets one.
    if (!broker_.stop_worker(pid))
        ::kill(pid, SIGTERM);
}

void kingpin::begin_stop(std::string_view why) {
    if (stopping_) {
        log::warn("{} again: killing every worker now", why);
        workers_.signal_all(SIGKILL);
        return;
    }
    stopping_ = true;
    log::info("{}: stopping {} workers", why, workers_.size());
    events_.add("kingpin", "stopping", "", std::string{why});
    workers_.stop_reviving();
    broker_.stop_all();
    // Known workers got STOP (after the calls already sent to them); the rest a signal.
    for (const auto& [pid, c] : workers_.children()) {
        if (!broker_.knows_pid(pid))
            ::kill(pid, SIGTERM);
    }
    stop_deadline_ = clock::now() + config_.kill_timeout;
}

void kingpin::on_signal(int sig) {
    if (sig == SIGCHLD) {
        workers_.reap(
            [this](const supervisor::child& c, int status, const supervisor::restart_plan& plan) {
                on_child_exit(c, status, plan);
            });
        check_full();
    } else if (sig == SIGINT || sig == SIGTERM) {
        begin_stop(sig == SIGINT ? "SIGINT" : "SIGTERM");
    } else if (sig == SIGHUP && !stopping_) {
        reload("SIGHUP");
    }
}

void kingpin::tick(clock::time_point now) {
    broker_.tick(now);
    workers_.tick(now);
    if (auto failed = workers_.check_reload(now))
        retire(*failed, "not ready in time for the reload");
    for (auto pid : workers_.take_unready(now)) {
        const auto& c = workers_.children().at(pid);
        auto timeout = workers_.spec(c.role)->options.ready_timeout.count();
        log::error("{} worker pid {} not ready after {} ms: killing it", c.role, pid, timeout);
        events_.add("kingpin", "worker_not_ready", "",
                    fmt::format("{} pid {}: not ready after {} ms", c.role, pid, timeout));
        workers_.note_kill(pid, fmt::format("killed: not ready after {} ms", timeout));
        ::kill(pid, SIGKILL);
    }
    for (auto pid : workers_.overdue(now)) {
        log::warn("worker pid {} did not stop within {} ms: SIGKILL", pid,
                  config_.kill_timeout.count());
        ::kill(pid, SIGKILL);
    }
    if (stopping_ && now >= stop_deadline_ && !workers_.empty()) {
        log::warn("{} workers still running after {} ms: SIGKILL", workers_.size(),
                  config_.kill_timeout.count());
        workers_.signal_all(SIGKILL);
        stop_deadline_ = now + 1s;
    }
}

namespace {
/// Whether a ZeroMQ socket has a message to read now. Its ZMQ_FD only tells that
/// something changed (edge-triggered), so this is asked before sleeping on the fd.
bool has_message(zmq::socket_ref s) {
    return (s.get(zmq::sockopt::events) & ZMQ_POLLIN) != 0;
}
}  // namespace

int kingpin::run() {
    workers_.start_all();
    // One poll(2) of the sockets' file descriptors, not zmq_poll(): zmq_poll asks every
    // socket for its events twice per wake, two system calls each, and the kingpin
    // wakes once or twice per call it routes. A socket is read until it has nothing
    // (or asked, if it sent since), so its descriptor signals anything new.
    const int router_fd = socket_.get(zmq::sockopt::fd);
    const int control_fd = control_.socket().get(zmq::sockopt::fd);
    const int monitor_fd = monitor_.pair().get(zmq::sockopt::fd);
    bool router_ready = true;
    bool control_ready = true;
    bool monitor_ready = true;
    bool signals_ready = true;
    while (!(stopping_ && workers_.empty() && !broker_.lingering())) {
        if (signals_ready) {
            while (int sig = signals_.next())
                on_signal(sig);
        }
        if (router_ready)
            broker_.handle_incoming();
        if (monitor_ready) {
            while (auto e = monitor_.next()) {
                log::debug("monitor: {} {} ({})", e->kind, e->endpoint, e->value);
                events_.add("monitor", e->kind, e->endpoint, fmt::format("value {}", e->value));
            }
        }
        if (control_ready) {
            control_.handle_incoming([this](std::string_view verb, std::string_view json) {
                return on_control(verb, json);
            });
        }
        tick(clock::now());
        if (stopping_ && workers_.empty() && !broker_.lingering())
            break;

        // What is already readable needs no sleep. The router sends from every handler
        // and tick(), and a send may take in what its descriptor then won't signal: ask
        // the socket (two system calls inside libzmq) only then. The control socket
        // answers what it reads.
        router_ready = broker_.maybe_unsignalled() && has_message(socket_);
        control_ready = control_ready && has_message(control_.socket());
        monitor_ready = false;
        signals_ready = false;
        if (router_ready || control_ready)
            continue;
        auto now = clock::now();
        auto next = std::min(broker_.next_deadline(), stop_deadline_);
        if (auto d = workers_.next_deadline())
            next = std::min(next, *d);
        auto wait = std::clamp(std::chrono::duration_cast<std::chrono::milliseconds>(next - now),
                               0ms, 1000ms);
        pollfd fds[] = {
            {router_fd, POLLIN, 0},
            {signals_.fd(), POLLIN, 0},
            {control_fd, POLLIN, 0},
            {monitor_fd, POLLIN, 0},
        };
        if (::poll(fds, 4, static_cast<int>(wait.count())) < 0 && errno != EINTR)
            throw error(fmt::format("poll: {}", std::strerror(errno)));
        router_ready = (fds[0].revents & POLLIN) != 0;
        signals_ready = (fds[1].revents & POLLIN) != 0;
        control_ready = (fds[2].revents & POLLIN) != 0;
        monitor_ready = (fds[3].revents & POLLIN) != 0;
    }
    // Whatever is still held is failed to its caller, and given a moment to leave; the
    // STOPs just queued for external workers (none of them is ours to wait for) still
    // go out too.
    broker_.shutdown();
    socket_.set(zmq::sockopt::linger, 1000);
    log::info("stopped");
    return 0;
}

control_server::answer kingpin::on_control(std::string_view verb, std::string_view json) {
    auto done = [](std::string message) {
        return control_server::answer{true,
                                      control::to_json(control::outcome{"ok", std::move(message)})};
    };
    auto refuse = [](std::string code, std::string message) {
        return control_server::answer{
            false, control::to_json(control::outcome{std::move(code), std::move(message)})};
    };
    if (verb == "status")
        return {true, control::to_json(status())};
    if (verb == "events") {
        auto req = control::from_json<control::events_request>(json);
        control::events_reply reply{events_.since(req.since), events_.last()};
        return {true, control::to_json(reply)};
    }
    if (stopping_)
        return refuse("shutting_down", "the kingpin is stopping");
    if (verb == "stop") {
        begin_stop("mobctl stop");
        return done(fmt::format("stopping app '{}'", config_.app));
    }
    if (verb == "reload") {
        std::string why;
        if (!reload("mobctl", &why))
            return refuse(workers_.reloading() ? "busy" : "bad_env_file", why);
        return done(fmt::format("reloading app '{}', one worker at a time", config_.app));
    }
    if (verb == "scale") {
        auto req = control::from_json<control::scale_request>(json);
        if (workers_.spec(req.role) == nullptr) {
            return refuse("unknown_role",
                          fmt::format("app '{}' has no role '{}'", config_.app, req.role));
        }
        try {
            apply_scale(req.role, req.count, "mobctl");
        } catch (const mob::error& e) {
            return refuse("out_of_range", e.what());
        }
        return done(fmt::format("role '{}' scaled to {}", req.role, req.count));
    }
    return refuse("bad_request", fmt::format("unknown verb '{}'", verb));
}

control::app_status kingpin::status() const {
    control::app_status s;
    s.app = config_.app;
    s.kingpin_pid = ::getpid();
    s.uptime_s = seconds_since(started_);
    s.endpoints = {endpoint_};
    if (!tcp_endpoint_.empty())
        s.endpoints.push_back(tcp_endpoint_);
    s.reloading = workers_.reloading();
    for (const auto& r : broker_.roles()) {
        control::role_status rs;
        rs.name = r.name;
        if (const auto* spec = workers_.spec(r.name)) {
            rs.min = spec->min;
            rs.max = spec->max;
        }
        rs.target = workers_.target(r.name);
        rs.alive = workers_.alive(r.name);
        rs.ready = static_cast<std::uint32_t>(r.ready.size());
        if (auto it = workers_.stats().find(r.name); it != workers_.stats().end()) {
            rs.restarts = it->second.deaths;
            rs.last_exit = it->second.last_exit;
            if (it->second.last_report)
                rs.last_error = it->second.last_report->summary();
        }
        rs.queued_calls = r.calls.size();
        rs.queued_messages = r.queue.size();
        rs.calls_routed = r.calls_routed;
        rs.calls_failed = r.calls_failed;
        rs.messages_routed = r.routed;
        rs.messages_failed = r.failed;
        rs.crash_loop = workers_.crash_loop(r.name);
        rs.next_restart_in_s = workers_.next_restart_in_s(r.name).value_or(-1.0);
        if (const auto* spec = workers_.spec(r.name))
            rs.external = spec->options.external;
        for (const auto& [id, w] : broker_.workers()) {
            if (w.role == r.name && !w.local_child)
                ++rs.joined;
        }
        s.roles.push_back(std::move(rs));
    }
    for (const auto& [id, w] : broker_.workers()) {
        control::worker_status ws;
        ws.id = id;
        ws.pid = w.pid;
        ws.host = w.host;
        ws.role = w.role;
        ws.state = w.stopping ? "stopping" : w.ready ? "ready" : "connected";
        ws.local = w.local_child;
        ws.uptime_s = seconds_since(w.joined);
        ws.credit = w.credit;
        ws.in_flight = w.in_flight.size();
        ws.served = w.served;
        ws.delivered = w.delivered;
        ws.last_heartbeat_s = seconds_since(w.last_heard);
        if (auto c = workers_.children().find(static_cast<pid_t>(w.pid));
            w.local_child && c != workers_.children().end()) {
            ws.restarts = c->second.restarts;
            ws.last_exit = c->second.predecessor_exit;
            if (c->second.predecessor_report)
                ws.last_error = c->second.predecessor_report->summary();
        }
        s.workers.push_back(std::move(ws));
    }
    s.monitor_events = events_.monitor_counts();
    s.monitor_endpoints = events_.monitor_endpoint_counts();
    s.dropped = broker_.stats().dropped;
    return s;
}

}  // namespace

void block_kingpin_signals() {
    auto set = kingpin_signals();
    ::sigprocmask(SIG_BLOCK, &set, nullptr);
}

int run_kingpin(const kingpin_config& config) {
    kingpin k{config};
    return k.run();
}

}  // namespace mob::detail
