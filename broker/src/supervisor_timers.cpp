// The supervisor's timed duties: starts and restarts when due, a paced few at a time;
// back-offs reset for workers that stayed up; workers not ready in time; retired ones
// that overstay; and when the next of these is due.
#include "mob/log.hpp"
#include "supervisor.hpp"

#include <fmt/format.h>

namespace mob::detail {

namespace {
long long as_ms(supervisor::clock::duration d) {
    return std::chrono::duration_cast<std::chrono::milliseconds>(d).count();
}
}  // namespace

bool supervisor::scan_due(clock::time_point now) const {
    return changed_ || (due_ && now >= *due_);
}

void supervisor::scanned() {
    due_ = compute_deadline();
    changed_ = false;
}

std::optional<supervisor::clock::time_point> supervisor::next_deadline() const {
    return changed_ ? compute_deadline() : due_;
}

void supervisor::tick(clock::time_point now) {
    changed_ = true;
    if (stopping_)
        return;
    for (auto& [pid, c] : children_) {
        if (c.quick_deaths == 0 || c.retiring || !c.ready_at)
            continue;
        const auto* r = spec(c.role);
        if (r != nullptr && now - *c.ready_at >= r->options.min_uptime) {
            log::info(
                "{} worker pid {} has stayed up {} ms after {} quick ends in a row: its "
                "back-off starts again from {} ms",
                c.role, pid, as_ms(now - c.started), c.quick_deaths,
                r->options.backoff_initial.count());
            c.quick_deaths = 0;
        }
    }
    start_due(now);
}

std::vector<pid_t> supervisor::take_unready(clock::time_point now) {
    changed_ = true;
    std::vector<pid_t> out;
    for (auto& [pid, c] : children_) {
        if (c.ready_at || c.retiring || c.not_ready_killed || stopping_)
            continue;
        if (reload_.active && pid == reload_.replacement)
            continue;  // check_reload() handles it: the reload stops, the old worker stays
        const auto* r = spec(c.role);
        if (r != nullptr && now - c.started >= r->options.ready_timeout) {
            c.not_ready_killed = true;
            out.push_back(pid);
        }
    }
    return out;
}

std::vector<pid_t> supervisor::overdue(clock::time_point now) const {
    std::vector<pid_t> out;
    for (const auto& [pid, c] : children_) {
        if (c.retiring && c.retire_deadline <= now)
            out.push_back(pid);
    }
    return out;
}

std::optional<supervisor::clock::time_point> supervisor::compute_deadline() const {
    std::optional<clock::time_point> next;
    if (reload_.active && reload_.replacement != 0)
        next = reload_.deadline;
    auto earlier = [&](clock::time_point t) {
        if (!next || t < *next)
            next = t;
    };
    for (const auto& [pid, c] : children_) {
        if (c.retiring)
            earlier(c.retire_deadline);
        if (!c.ready_at && !c.retiring && !c.not_ready_killed && !stopping_) {
            if (const auto* r = spec(c.role))
                earlier(c.started + r->options.ready_timeout);
        }
        if (c.quick_deaths > 0 && !c.retiring && c.ready_at) {
            if (const auto* r = spec(c.role))
                earlier(*c.ready_at + r->options.min_uptime);
        }
    }
    if (!stopping_) {
        for (const auto& s : scheduled_)
            earlier(s.due);
    }
    return next;
}

}  // namespace mob::detail
