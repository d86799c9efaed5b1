// What the kingpin is asked from outside its loop: mobctl's verbs (status, events, logs,
// describe, stop, reload, restart, scale) and a worker's SCALE, and the status it answers with
// (each part describes itself).
#include "kingpin_state.hpp"
#include "log_tail.hpp"
#include "mob/log.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <iterator>
#include <set>

namespace mob::detail {

void kingpin::apply_scale(const std::string& role, std::uint32_t count, std::string_view who) {
    auto extra = workers_.scale(role, count);  // throws for a count out of bounds
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

bool kingpin::reload(std::string_view why, bool same_binary, std::string* refusal,
                     std::string* code) {
    auto refuse = [&](std::string c, std::string text) {
        if (refusal != nullptr)
            *refusal = std::move(text);
        if (code != nullptr)
            *code = std::move(c);
        return false;
    };
    if (workers_.reloading())
        return refuse("busy", "a reload is already running");
    try {
        workers_.reload_environment();
    } catch (const mob::error& e) {
        log::error("reload refused: {}; the workers stay as they are", e.what());
        if (refusal != nullptr)
            *refusal = e.what();
        return false;
    }
    try {
        if (!workers_.begin_reload(clock::now(), same_binary))
            return false;
    } catch (const mob::error& e) {
        log::error("reload refused: {}; the workers stay as they are", e.what());
        return refuse("bad_program", e.what());
    }
    events_.add("kingpin", "reload", "", std::string{why});
    notified_reloading_ = true;  // READY=1 again once it is over (check_reload_done)
    notify_.reloading(fmt::format("reloading ({}): {}", why, role_counts()));
    return true;
}

std::size_t kingpin::restart(const std::string& role, bool same_binary) {
    auto old = workers_.restart(role, same_binary);
    auto what = role.empty() ? std::string{"every role"} : fmt::format("role {}", role);
    log::info("restart of {}: {} new workers started{}", what, old.size(),
              same_binary ? " (same program image)" : "");
    events_.add("kingpin", "restart", "", what);
    for (auto pid : old)
        retire(pid, "replaced by a restart");
    full_ = false;
    check_full();
    return old.size();
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
    if (verb == "describe") {
        auto req = control::from_json<control::describe_request>(json);
        if (!req.role.empty() && workers_.spec(req.role) == nullptr) {
            return refuse("unknown_role",
                          fmt::format("app '{}' has no role '{}'", config_.app, req.role));
        }
        return {true, control::to_json(describe(req.role))};
    }
    if (verb == "logs") {
        auto req = control::from_json<control::logs_request>(json);
        if (!req.role.empty() && req.role != "kingpin" && workers_.spec(req.role) == nullptr) {
            return refuse("unknown_role",
                          fmt::format("app '{}' has no role '{}'", config_.app, req.role));
        }
        return {true, control::to_json(logs(req))};
    }
    if (stopping_)
        return refuse("shutting_down", "the kingpin is stopping");
    if (verb == "stop") {
        begin_stop("mobctl stop");
        return done(fmt::format("stopping app '{}'", config_.app));
    }
    if (verb == "reload") {
        auto req = control::from_json<control::reload_request>(json);
        std::string why;
        std::string code;
        if (!reload("mobctl", req.same_binary, &why, &code))
            return refuse(code, why);
        return done(fmt::format("reloading app '{}', one worker at a time{}", config_.app,
                                req.same_binary ? " (same program image)" : ""));
    }
    if (verb == "restart") {
        auto req = control::from_json<control::restart_request>(json);
        if (workers_.reloading())
            return refuse("busy", "a reload is running");
        try {
            auto n = restart(req.role, req.same_binary);
            return done(fmt::format("restarting {} workers of app '{}'{}", n, config_.app,
                                    req.role.empty() ? "" : fmt::format(", role '{}'", req.role)));
        } catch (const mob::error& e) {
            return refuse(e.code() == errc::unknown_role ? "unknown_role" : "bad_program",
                          e.what());
        }
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
    const auto now = clock::now();
    control::app_status s;
    s.app = config_.app;
    s.kingpin_pid = ::getpid();
    s.uptime_s = std::chrono::duration<double>(now - started_).count();
    s.endpoints = {endpoint_};
    if (!tcp_endpoint_.empty())
        s.endpoints.push_back(tcp_endpoint_);
    roles_.describe(s);
    broker_.describe(s, now);
    workers_.describe(s, now);
    for (auto& w : s.workers) {
        auto c = workers_.children().find(static_cast<pid_t>(w.pid));
        if (!w.local || c == workers_.children().end())
            continue;
        w.slot = static_cast<std::int32_t>(c->second.slot);
        w.output_lines = logs_.capture().lines(c->first);
        w.output_blocked = logs_.capture().blocked(c->first);
        if (auto u = sampler_.usage(c->first)) {
            w.cpu_percent = u->cpu_percent;
            w.rss_bytes = u->rss_bytes;
        }
    }
    s.log_lines_dropped = logs_.writer().dropped();
    s.monitor_events = events_.monitor_counts();
    s.monitor_endpoints = events_.monitor_endpoint_counts();
    s.tcp_security = tcp_security_;
    s.allowed_keys = allowed_ ? allowed_->size() : 0;
    s.refused = refusals_.counts();
    // A role's refusal happens at HELLO, in the broker, among what it drops.
    if (auto it = s.dropped.find("key_not_allowed"); it != s.dropped.end())
        s.refused["key_not_allowed"] = it->second;
    return s;
}

}  // namespace mob::detail

namespace mob::detail {

control::logs_reply kingpin::logs(const control::logs_request& req) const {
    control::logs_reply reply;
    const auto& ring = logs_.ring();
    reply.lines = ring.select(req.role, req.since, static_cast<std::size_t>(req.lines));
    reply.last = ring.last();
    std::set<std::string> files;
    if (req.role.empty() || req.role == "kingpin")
        files.insert(logs_.writer().file_for("kingpin").string());
    for (const auto& r : config_.roles) {
        if (req.role.empty() || req.role == r.name)
            files.insert(logs_.writer().file_for(r.name).string());
    }
    files.erase("");
    reply.files.assign(files.begin(), files.end());
    // More asked for than the ring kept: the older ones from the files' ends.
    if (req.since == 0 && reply.lines.size() < req.lines && ring.dropped_any() && !files.empty()) {
        auto older = older_file_lines({files.begin(), files.end()}, req.role, ring.oldest_time_ms(),
                                      ring.at_oldest_time(), req.lines - reply.lines.size());
        reply.lines.insert(reply.lines.begin(), std::make_move_iterator(older.begin()),
                           std::make_move_iterator(older.end()));
    }
    return reply;
}

}  // namespace mob::detail
