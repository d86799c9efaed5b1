// The supervisor's limits: a worker over its role's max_memory is replaced as a reload
// replaces one (the new one first, the old one retired once the new one is ready, so the
// role never has fewer ready workers than before), and what "describe" tells of a role.
#include "mob/log.hpp"
#include "spawn.hpp"
#include "supervisor.hpp"

#include <fmt/format.h>
#include <sys/wait.h>

#include <chrono>

namespace mob::detail {

namespace {

/// How many deaths of a role "describe" shows.
constexpr std::size_t deaths_kept = 5;

double seconds(std::chrono::milliseconds ms) {
    return std::chrono::duration<double>(ms).count();
}

}  // namespace

bool supervisor::replace_over_memory(pid_t pid) {
    changed_ = true;
    auto it = children_.find(pid);
    if (it == children_.end() || stopping_ || reload_.active)
        return false;
    auto& old = it->second;
    // Not before it is ready: a starting worker's replacement would start as big.
    if (old.retiring || !old.ready_at || (old.replaced_by != 0 && is_child(old.replaced_by)))
        return false;
    const auto* role = spec(old.role);
    if (role == nullptr)
        return false;
    auto fresh = start(*role, pid, 0, old.restarts, old.predecessor_exit, old.predecessor_report);
    children_.at(fresh).memory_replacement = true;
    children_.at(pid).replaced_by = fresh;
    ++stats_[role->name].memory_restarts;
    return true;
}

std::optional<pid_t> supervisor::take_memory_replaced(pid_t ready) {
    auto it = children_.find(ready);
    if (it == children_.end() || !it->second.memory_replacement)
        return std::nullopt;
    it->second.memory_replacement = false;
    auto old = children_.find(it->second.replaces);
    if (old == children_.end() || old->second.retiring || old->second.replaced_by != ready)
        return std::nullopt;  // it ended meanwhile (its slot is the new one's now)
    return old->first;
}

void supervisor::keep_death(const child& c, int status) {
    auto& kept = stats_[c.role].deaths_kept;
    control::death_record d;
    d.time = static_cast<double>(c.report.time);
    d.slot = static_cast<std::int32_t>(c.slot);
    d.pid = c.pid;
    d.exit = describe_exit(status);
    d.report = c.report.summary();
    kept.push_back(std::move(d));
    while (kept.size() > deaths_kept)
        kept.pop_front();
}

control::role_description supervisor::describe_role(const role_spec& r) const {
    control::role_description d;
    const auto& o = r.options;
    d.name = r.name;
    if (o.external) {
        d.kind = "external";
    } else if (const auto* prog = std::get_if<program>(&r.entry)) {
        d.kind = "program";
        d.program = prog->path.string();
        d.args = prog->args;
    } else {
        d.kind = "function";
        d.program = program_path_.string();
    }
    d.min = r.min;
    d.max = r.max;
    d.target = target(r.name);
    d.credit = o.credit.value_or(0);
    const char* policy = restart_policy_name(o.restart);  // checked valid at start
    d.restart = policy != nullptr ? policy : "?";
    d.no_restart_codes = o.no_restart_codes;
    d.min_uptime_s = seconds(o.min_uptime);
    d.backoff_initial_s = seconds(o.backoff_initial);
    d.backoff_max_s = seconds(o.backoff_max);
    d.crash_loop_after = o.crash_loop_after;
    d.ready_timeout_s = seconds(o.ready_timeout);
    d.keys = o.keys;
    d.max_memory = o.max_memory;
    if (auto it = stats_.find(r.name); it != stats_.end()) {
        d.memory_restarts = it->second.memory_restarts;
        d.deaths.assign(it->second.deaths_kept.begin(), it->second.deaths_kept.end());
    }
    return d;
}

}  // namespace mob::detail
