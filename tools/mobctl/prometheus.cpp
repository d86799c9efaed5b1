#include <fmt/format.h>

#include <algorithm>
#include <tuple>
#include <utility>
#include <vector>

#include "format.hpp"

namespace mob::ctl {

namespace {

/// A label value with \, " and newline escaped, as the exposition format wants.
std::string escaped(const std::string& value) {
    std::string out;
    for (char c : value) {
        if (c == '\\')
            out += "\\\\";
        else if (c == '"')
            out += "\\\"";
        else if (c == '\n')
            out += "\\n";
        else
            out += c;
    }
    return out;
}

class exposition {
  public:
    explicit exposition(const std::string& app) : app_(escaped(app)) {}

    void family(std::string_view name, std::string_view type, std::string_view help) {
        out_ += fmt::format("# HELP {} {}\n# TYPE {} {}\n", name, help, name, type);
        name_ = name;
    }
    /// A sample of the current family, labelled app="..." and `label`="`value`" if any.
    template <typename V>
    void sample(V v, std::string_view label = {}, const std::string& value = {}) {
        auto extra =
            label.empty() ? std::string{} : fmt::format(",{}=\"{}\"", label, escaped(value));
        out_ += fmt::format("{}{{app=\"{}\"{}}} {}\n", name_, app_, extra, v);
    }
    /// A sample of the current family labelled app="..." and each of `labels`.
    template <typename V>
    void sample(V v, const std::vector<std::pair<std::string_view, std::string>>& labels) {
        std::string extra;
        for (const auto& [label, value] : labels)
            extra += fmt::format(",{}=\"{}\"", label, escaped(value));
        out_ += fmt::format("{}{{app=\"{}\"{}}} {}\n", name_, app_, extra, v);
    }
    std::string text() && { return std::move(out_); }

  private:
    std::string app_;
    std::string name_;
    std::string out_;
};

struct role_metric {
    std::string_view name;
    std::string_view type;
    std::string_view help;
    std::uint64_t (*value)(const control::role_status&);
};

const role_metric role_metrics[] = {
    {"mob_role_target_workers", "gauge", "Workers the role should have.",
     [](const control::role_status& r) -> std::uint64_t { return r.target; }},
    {"mob_role_ready_workers", "gauge", "Workers of the role that are ready.",
     [](const control::role_status& r) -> std::uint64_t { return r.ready; }},
    {"mob_role_alive_workers", "gauge", "Processes of the role running now.",
     [](const control::role_status& r) -> std::uint64_t { return r.alive; }},
    {"mob_role_restarts_total", "counter", "Workers of the role revived after they ended.",
     [](const control::role_status& r) { return r.restarts; }},
    {"mob_role_queued_calls", "gauge", "Calls waiting in the broker for a worker of the role.",
     [](const control::role_status& r) { return r.queued_calls; }},
    {"mob_role_calls_routed_total", "counter", "Calls routed to workers of the role.",
     [](const control::role_status& r) { return r.calls_routed; }},
    {"mob_role_calls_failed_total", "counter", "Calls to the role that failed.",
     [](const control::role_status& r) { return r.calls_failed; }},
    {"mob_role_messages_routed_total", "counter", "Messages routed to workers of the role.",
     [](const control::role_status& r) { return r.messages_routed; }},
    {"mob_role_messages_failed_total", "counter", "Messages to the role that failed.",
     [](const control::role_status& r) { return r.messages_failed; }},
    {"mob_role_memory_restarts_total", "counter",
     "Workers of the role replaced for passing its max_memory.",
     [](const control::role_status& r) { return r.memory_restarts; }},
    {"mob_role_fast_methods", "gauge",
     "Methods of the role whose calls count as fast (pipelined at awake workers under load).",
     [](const control::role_status& r) -> std::uint64_t {
         return static_cast<std::uint64_t>(std::count_if(r.methods.begin(), r.methods.end(),
                                                         [](const auto& m) { return m.fast; }));
     }},
};

/// Each sampled local worker's labels: role, slot, pid.
std::vector<std::pair<std::string_view, std::string>> worker_labels(
    const control::worker_status& w) {
    return {
        {"role", w.role}, {"slot", fmt::format("{}", w.slot)}, {"pid", fmt::format("{}", w.pid)}};
}

}  // namespace

std::string prometheus(const control::app_status& s) {
    exposition x{s.app};
    for (const auto& m : role_metrics) {
        x.family(m.name, m.type, m.help);
        for (const auto& r : s.roles)
            x.sample(m.value(r), "role", r.name);
    }
    // Only the workers the kingpin samples (its own children): an external one has no
    // /proc here, and a made-up 0 would read as idle.
    std::vector<const control::worker_status*> workers;
    for (const auto& w : s.workers)
        workers.push_back(&w);
    std::sort(workers.begin(), workers.end(), [](const auto* a, const auto* b) {
        return std::tie(a->role, a->slot, a->pid) < std::tie(b->role, b->slot, b->pid);
    });
    x.family("mob_worker_cpu_percent", "gauge",
             "Share of one core the worker used over the last second (from /proc).");
    for (const auto* w : workers) {
        if (w->cpu_percent >= 0)
            x.sample(fmt::format("{:.1f}", w->cpu_percent), worker_labels(*w));
    }
    x.family("mob_worker_rss_bytes", "gauge", "Resident memory of the worker (from /proc).");
    for (const auto* w : workers) {
        if (w->rss_bytes > 0)
            x.sample(w->rss_bytes, worker_labels(*w));
    }
    x.family("mob_kingpin_uptime_seconds", "gauge", "Seconds since the kingpin started.");
    x.sample(s.uptime_s);
    x.family("mob_monitor_events_total", "counter",
             "ZeroMQ monitor events on the kingpin's sockets, by kind.");
    for (const auto& [kind, n] : s.monitor_events)
        x.sample(n, "kind", kind);
    x.family("mob_dropped_frames_total", "counter", "Frames the kingpin dropped, by reason.");
    for (const auto& [reason, n] : s.dropped)
        x.sample(n, "reason", reason);
    x.family("mob_refused_peers_total", "counter",
             "Peers refused at the TCP endpoint (CURVE, ZAP, roles' keys), by reason.");
    for (const auto& [reason, n] : s.refused)
        x.sample(n, "reason", reason);
    return std::move(x).text();
}

}  // namespace mob::ctl
