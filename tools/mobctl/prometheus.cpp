#include <fmt/format.h>

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
};

}  // namespace

std::string prometheus(const control::app_status& s) {
    exposition x{s.app};
    for (const auto& m : role_metrics) {
        x.family(m.name, m.type, m.help);
        for (const auto& r : s.roles)
            x.sample(m.value(r), "role", r.name);
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
