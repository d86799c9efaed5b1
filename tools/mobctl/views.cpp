#include <fmt/format.h>

#include <algorithm>
#include <map>
#include <tuple>

#include "format.hpp"

namespace mob::ctl {

namespace {

std::string or_dash(const std::string& s) {
    return s.empty() ? "-" : s;
}

/// (now - before) / seconds, as "12.5"; a counter that went back counts as 0.
std::string rate(std::uint64_t before, std::uint64_t now, double seconds) {
    if (seconds <= 0 || now < before)
        return "0.0";
    return fmt::format("{:.1f}", static_cast<double>(now - before) / seconds);
}

/// CPU% as "12.5", "-" when not sampled.
std::string cpu(double percent) {
    return percent < 0 ? "-" : fmt::format("{:.1f}", percent);
}

/// What each worker is called in a table: `role/pid` (its id up to the '@'), unless two
/// workers share that (one pid on two hosts): then up to the '#'. --wide: the full id.
std::map<std::string, std::string> worker_names(const control::app_status& s, bool wide) {
    std::map<std::string, std::string> names;
    std::map<std::string, int> uses;
    auto cut = [](const std::string& id, char at) { return id.substr(0, id.find(at)); };
    for (const auto& w : s.workers)
        ++uses[cut(w.id, '@')];
    for (const auto& w : s.workers) {
        auto shortest = cut(w.id, '@');
        names[w.id] = wide ? w.id : uses[shortest] > 1 ? cut(w.id, '#') : shortest;
    }
    return names;
}

/// How the role's last worker ended, and whether it is crash-looping or waiting to
/// restart one.
std::string last_exit(const control::role_status& r) {
    std::string out = or_dash(r.last_exit);
    if (r.crash_loop)
        out += "; crash loop";
    if (r.next_restart_in_s >= 0)
        out += fmt::format("; next restart in {}", duration(r.next_restart_in_s));
    return out;
}

}  // namespace

std::string roles_summary(const control::app_status& s) {
    std::string out;
    for (const auto& r : s.roles)
        out += fmt::format("{}{} {}/{}", out.empty() ? "" : " ", r.name, r.ready, r.target);
    return out.empty() ? "no roles" : out;
}

std::string status_view(const control::app_status& s, bool wide) {
    std::string out = fmt::format("app {}: kingpin pid {}, up {}{}\n", s.app, s.kingpin_pid,
                                  duration(s.uptime_s), s.reloading ? ", reloading" : "");
    for (const auto& e : s.endpoints)
        out += fmt::format("endpoint {}\n", e);
    if (!s.tcp_security.empty()) {
        out += s.tcp_security == "curve"
                   ? fmt::format("tcp security: curve, {} key{} admitted\n", s.allowed_keys,
                                 s.allowed_keys == 1 ? "" : "s")
                   : "tcp security: insecure (no authentication, no encryption)\n";
    }
    if (s.fork_server.state == "unused") {
        out += fmt::format("fork server unused ({}): workers start by exec\n", s.fork_server.note);
    }
    if (!s.refused.empty()) {
        std::string counts;
        for (const auto& [reason, n] : s.refused)
            counts += fmt::format("{}{} {}", counts.empty() ? "" : ", ", reason, n);
        out += fmt::format("refused at the tcp endpoint: {}\n", counts);
    }

    std::vector<std::vector<std::string>> roles;
    for (const auto& r : s.roles) {
        // An external role's workers are not ours to count as alive: show who joined.
        roles.push_back(
            {r.external ? r.name + " (external)" : r.name, fmt::format("{}/{}", r.ready, r.target),
             fmt::format("{}-{}", r.min, r.max),
             r.external ? fmt::format("{} joined", r.joined) : fmt::format("{}", r.alive),
             fmt::format("{}", r.restarts), fmt::format("{}", r.queued_calls),
             fmt::format("{}", r.calls_routed), fmt::format("{}", r.calls_failed),
             fmt::format("{}", r.messages_routed), fmt::format("{}", r.messages_failed),
             r.max_memory > 0 ? fmt::format("{}", r.memory_restarts) : "-", last_exit(r)});
    }
    out += "\n";
    out += table({{"ROLE"},
                  {"READY/TARGET", true},
                  {"MIN-MAX", true},
                  {"ALIVE", true},
                  {"RESTARTS", true},
                  {"QUEUED", true},
                  {"CALLS", true},
                  {"FAILED", true},
                  {"MESSAGES", true},
                  {"MSG FAILED", true},
                  {"OVER MEM", true},
                  {"LAST EXIT"}},
                 roles);
    // A crash report is a sentence, too long for a column: one line per role that has one.
    for (const auto& r : s.roles) {
        if (!r.last_error.empty())
            out += fmt::format("last error of {}: {}\n", r.name, r.last_error);
    }

    out += "\n";
    if (s.workers.empty())
        return out + "no workers\n";
    std::vector<const control::worker_status*> sorted;
    for (const auto& w : s.workers)
        sorted.push_back(&w);
    std::sort(sorted.begin(), sorted.end(), [](const auto* a, const auto* b) {
        return std::tie(a->role, a->pid, a->id) < std::tie(b->role, b->pid, b->id);
    });
    auto names = worker_names(s, wide);
    std::vector<std::vector<std::string>> workers;
    for (const auto* wp : sorted) {
        const auto& w = *wp;
        workers.push_back({names[w.id], fmt::format("{}", w.pid), or_dash(w.host), or_dash(w.state),
                           duration(w.uptime_s), cpu(w.cpu_percent),
                           w.rss_bytes > 0 ? bytes(w.rss_bytes) : "-", fmt::format("{}", w.credit),
                           fmt::format("{}", w.in_flight), fmt::format("{}", w.served),
                           duration(w.last_heartbeat_s) + " ago", fmt::format("{}", w.restarts),
                           or_dash(w.key), or_dash(w.last_exit)});
    }
    out += table({{"WORKER"},
                  {"PID", true},
                  {"HOST"},
                  {"STATE"},
                  {"UPTIME", true},
                  {"CPU%", true},
                  {"RSS", true},
                  {"CREDIT", true},
                  {"IN FLIGHT", true},
                  {"SERVED", true},
                  {"HEARTBEAT", true},
                  {"RESTARTS", true},
                  {"KEY"},
                  {"LAST EXIT"}},
                 workers);
    // Rare, and a sentence: a line for each worker that reads too slowly.
    for (const auto* w : sorted) {
        if (w->owed != 0 || w->fates_lost != 0) {
            out += fmt::format("{} reads too slowly: {} errors/results kept for it, {} lost\n",
                               w->id, w->owed, w->fates_lost);
        }
    }
    // Rare, and the reason a worker seems stuck: one line each, not a column.
    for (const auto* w : sorted) {
        if (w->output_blocked) {
            out += fmt::format(
                "output blocked: {} pid {} ({}#{}) waits for the kingpin to read "
                "its full stdout or stderr pipe\n",
                w->id, w->pid, w->role, w->slot);
        }
    }
    if (s.log_lines_dropped > 0) {
        out += fmt::format("log output behind: {} worker lines dropped (mobctl logs has them)\n",
                           s.log_lines_dropped);
    }
    return out;
}

std::string event_line(const control::event& e) {
    auto line = fmt::format("{:>5}  {}  {:<7}  {:<20}  {}  {}", e.seq, clock_time(e.time),
                            or_dash(e.source), or_dash(e.kind), or_dash(e.endpoint), e.detail);
    line.erase(line.find_last_not_of(' ') + 1);
    return line;
}

std::string top_view(const control::app_status& before, const control::app_status& now,
                     double seconds) {
    std::map<std::string, const control::role_status*> previous;
    for (const auto& r : before.roles)
        previous[r.name] = &r;
    std::vector<std::vector<std::string>> rows;
    for (const auto& r : now.roles) {
        auto it = previous.find(r.name);
        const auto& b = it != previous.end() ? *it->second : r;
        rows.push_back({r.name, fmt::format("{}/{}", r.ready, r.target), fmt::format("{}", r.alive),
                        fmt::format("{}", r.queued_calls), fmt::format("{}", r.queued_messages),
                        rate(b.calls_routed, r.calls_routed, seconds),
                        rate(b.calls_failed, r.calls_failed, seconds),
                        rate(b.messages_routed, r.messages_routed, seconds),
                        fmt::format("{}", r.restarts)});
    }
    auto out =
        fmt::format("app {}: kingpin pid {}, up {}, {} workers; rates over {:.1f}s\n\n", now.app,
                    now.kingpin_pid, duration(now.uptime_s), now.workers.size(), seconds);
    out += table({{"ROLE"},
                  {"READY/TARGET", true},
                  {"ALIVE", true},
                  {"QUEUED CALLS", true},
                  {"QUEUED MSGS", true},
                  {"CALLS/S", true},
                  {"FAILED/S", true},
                  {"MESSAGES/S", true},
                  {"RESTARTS", true}},
                 rows);
    if (now.workers.empty())
        return out;
    // One row per worker: what it costs (CPU, RSS) beside what it does (calls/s), and
    // what it sends the broker (IN/S: a peer flooding the broker stands out).
    std::map<std::string, std::uint64_t> served_before;
    std::map<std::string, std::uint64_t> received_before;
    for (const auto& w : before.workers) {
        served_before[w.id] = w.served;
        received_before[w.id] = w.received;
    }
    std::vector<const control::worker_status*> sorted;
    for (const auto& w : now.workers)
        sorted.push_back(&w);
    std::sort(sorted.begin(), sorted.end(), [](const auto* a, const auto* b) {
        return std::tie(a->role, a->pid, a->id) < std::tie(b->role, b->pid, b->id);
    });
    auto names = worker_names(now, false);
    std::vector<std::vector<std::string>> workers;
    for (const auto* w : sorted) {
        auto b = served_before.find(w->id);
        auto in = received_before.find(w->id);
        workers.push_back(
            {names[w->id], or_dash(w->state), cpu(w->cpu_percent),
             w->rss_bytes > 0 ? bytes(w->rss_bytes) : "-",
             rate(b != served_before.end() ? b->second : w->served, w->served, seconds),
             rate(in != received_before.end() ? in->second : w->received, w->received, seconds),
             fmt::format("{}", w->in_flight), fmt::format("{}", w->served)});
    }
    out += "\n";
    out += table({{"WORKER"},
                  {"STATE"},
                  {"CPU%", true},
                  {"RSS", true},
                  {"CALLS/S", true},
                  {"IN/S", true},
                  {"IN FLIGHT", true},
                  {"SERVED", true}},
                 workers);
    return out;
}

}  // namespace mob::ctl
