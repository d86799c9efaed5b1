// What the kingpin is asked from outside its loop: mobctl's verbs (status, events, stop,
// reload, scale) and a worker's SCALE, and the status it answers with (each part
// describes itself).
#include "kingpin_state.hpp"
#include "mob/log.hpp"

#include <fmt/format.h>

#include <algorithm>

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
