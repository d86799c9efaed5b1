#include "kingpin.hpp"
#include "kingpin_state.hpp"

#include "broker.hpp"
#include "control_server.hpp"
#include "event_log.hpp"
#include "listeners.hpp"
#include "mob/codec.hpp"
#include "mob/control.hpp"
#include "mob/curve.hpp"
#include "mob/detail/socket_monitor.hpp"
#include "mob/endpoint.hpp"
#include "mob/log.hpp"
#include "mob/runtime_dir.hpp"
#include "role_table.hpp"
#include "spawn.hpp"
#include "supervisor.hpp"

#include <fmt/format.h>
#include <poll.h>
#include <signal.h>
#include <sys/signalfd.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <span>
#include <typeinfo>
#include <vector>

namespace mob::detail {
using namespace std::chrono_literals;

broker::hooks kingpin::make_hooks() {
    return broker::hooks{
        [this](std::int64_t pid) { return workers_.is_child(static_cast<pid_t>(pid)); },
        [this](const worker_entry& w) {
            log::info("ready: {} worker pid {} ({}{})", w.role_name, w.pid, w.id,
                      w.key.empty() ? "" : fmt::format(", CURVE key '{}'", w.key));
            events_.add("kingpin", "worker_ready", "",
                        fmt::format("{} pid {} ({})", w.role_name, w.pid, w.id));
            if (w.local_child) {
                const auto pid = static_cast<pid_t>(w.pid);
                workers_.mark_ready(pid, clock::now());
                auto c = workers_.children().find(pid);
                bool for_memory = c != workers_.children().end() && c->second.memory_replacement;
                if (auto old = workers_.on_ready(pid, clock::now())) {
                    retire(*old, for_memory ? "replaced: over max_memory" : "replaced by a reload");
                }
            }
            check_full();
        },
        [this](const worker_entry& w, std::string_view why) {
            log::debug("gone: {} ({})", w.id, why);
            events_.add("kingpin", "worker_gone", "", fmt::format("{} ({})", w.id, why));
            if (w.local_child && why == "missed heartbeats") {
                log::warn("{} worker pid {} missed heartbeats: killing it", w.role_name, w.pid);
                workers_.note_kill(static_cast<pid_t>(w.pid), "killed: missed heartbeats");
                ::kill(static_cast<pid_t>(w.pid), SIGKILL);
            }
            full_ = full_ && broker_.all_full();
            notify_status();
        },
        [this](const std::string& role, std::int32_t delta) { return scale_by(role, delta); },
        [this](std::int64_t pid) { return workers_.predecessor_report(static_cast<pid_t>(pid)); },
        [this](const worker_entry& w, int code) {
            log::info("{} worker pid {} asked to stop the app with exit code {}", w.role_name,
                      w.pid, code);
            exit_code_ = code;
            begin_stop(fmt::format("stop_app({}) from {} worker pid {}", code, w.role_name, w.pid));
        },
    };
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
        auto counts = role_counts();
        log::info("full: every role has its workers ({})", counts);
        events_.add("kingpin", "full", "", counts);
        if (config_.on_full)
            observe("on_full", [&] { config_.on_full(); });
        if (!notified_ready_ && !notified_reloading_) {
            notified_ready_ = true;
            notify_.ready("full: " + counts);
        }
    }
    full_ = now_full;
    notify_status();
}

void kingpin::on_child_exit(const supervisor::child& c, int status,
                            const supervisor::restart_plan& plan) {
    logs_.capture().detach(c.pid);  // its last lines come before the line about its end
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
    broker_.process_exited(c.pid, WIFEXITED(status) && WEXITSTATUS(status) == 0, clock::now());
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
    notify_.stopping(fmt::format("stopping: {} ({} workers)", why, workers_.size()));
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
        reload("SIGHUP", config_.reload_same_binary);
    } else if (sig == SIGUSR1) {
        logs_.writer().reopen();
        log::info("SIGUSR1: log files reopened");
    }
}

void kingpin::tick(clock::time_point now) {
    notify_.tick(now);  // the watchdog: only a loop that turns pings
    broker_.tick(now);
    if (allowed_ && now >= next_allow_check_) {
        allowed_->refresh();  // a key added or removed counts from the next handshake
        next_allow_check_ = now + 1s;
    }
    // The supervisor's scans walk every child: only when one may have work.
    const bool scan = workers_.scan_due(now);
    if (scan)
        workers_.tick(now);
    if (now >= next_sample_) {
        sample_workers(now);
        next_sample_ = now + 1s;
    }
    if (scan) {
        if (auto failed = workers_.check_reload(now))
            retire(*failed, "not ready in time for the reload");
    }
    if (notified_reloading_)
        check_reload_done();
    if (scan)
        supervise_deadlines(now);
    if (stopping_ && now >= stop_deadline_ && !workers_.empty()) {
        log::warn("{} workers still running after {} ms: SIGKILL", workers_.size(),
                  config_.kill_timeout.count());
        workers_.signal_all(SIGKILL);
        stop_deadline_ = now + 1s;
    }
}

void kingpin::supervise_deadlines(clock::time_point now) {
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
    workers_.scanned();
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
    bool zap_ready = true;
    const int zap_fd = zap_ ? zap_->socket().get(zmq::sockopt::fd) : -1;
    while (!(stopping_ && workers_.empty() && !broker_.lingering())) {
        if (signals_ready) {
            while (int sig = signals_.next())
                on_signal(sig);
        }
        if (router_ready)
            broker_.handle_incoming(clock::now());
        if (monitor_ready) {
            while (auto e = monitor_.next()) {
                log::debug("monitor: {} {} ({})", e->kind, e->endpoint, e->value);
                events_.add("monitor", e->kind, e->endpoint, fmt::format("value {}", e->value));
                note_handshake(*e, clock::now());
            }
        }
        if (zap_ready && zap_)
            zap_->handle_incoming(clock::now());
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
        zap_ready = false;
        auto now = clock::now();
        std::chrono::milliseconds wait{0};
        if (router_ready || control_ready) {
            // Busy: no sleep, and the pipes only now and then.
            if (now - pipes_read_ < 5ms)
                continue;
        } else {
            auto next = std::min(
                {broker_.next_deadline(), stop_deadline_, notify_.next_deadline(), next_sample_});
            if (auto d = workers_.next_deadline())
                next = std::min(next, *d);
            wait = std::clamp(std::chrono::duration_cast<std::chrono::milliseconds>(next - now),
                              0ms, 1000ms);
        }
        pollfd fds[] = {
            {router_fd, POLLIN, 0},
            {signals_.fd(), POLLIN, 0},
            {control_fd, POLLIN, 0},
            {monitor_fd, POLLIN, 0},
            {zap_fd, POLLIN, 0},                // -1 without CURVE: poll(2) skips it
            {logs_.capture().fd(), POLLIN, 0},  // every worker's output pipes
        };
        if (::poll(fds, std::size(fds), static_cast<int>(wait.count())) < 0 && errno != EINTR)
            throw error(fmt::format("poll: {}", std::strerror(errno)));
        // ZMQ_FD is edge-triggered: what was known readable before the poll still is.
        router_ready = router_ready || (fds[0].revents & POLLIN) != 0;
        signals_ready = (fds[1].revents & POLLIN) != 0;
        control_ready = control_ready || (fds[2].revents & POLLIN) != 0;
        monitor_ready = (fds[3].revents & POLLIN) != 0;
        zap_ready = (fds[4].revents & POLLIN) != 0;
        if ((fds[5].revents & POLLIN) != 0)
            logs_.capture().on_readable();
        pipes_read_ = clock::now();
    }
    // Whatever is still held is failed to its caller, and given a moment to leave; the
    // STOPs just queued for external workers (none of them is ours to wait for) still
    // go out too.
    broker_.shutdown();
    socket_.set(zmq::sockopt::linger, 1000);
    log::info("stopped");
    return exit_code_;
}

void block_kingpin_signals() {
    auto set = kingpin_signals();
    ::sigprocmask(SIG_BLOCK, &set, nullptr);
}

int run_kingpin(const kingpin_config& config) {
    // Before any thread starts: it unsets LISTEN_* from the environment.
    socket_activation activated;
    log_output logs{config};  // the kingpin's own lines go through it
    kingpin k{config, logs, activated};
    return k.run();
}

}  // namespace mob::detail
