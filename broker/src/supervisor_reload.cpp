// The supervisor's rolling reload: the environment read again, then each worker
// replaced by a new one, one at a time, the old one retired once the new one is ready
// (a replacement not ready in time stops the reload, and the old workers stay).
#include "env_file.hpp"
#include "mob/log.hpp"
#include "supervisor.hpp"

#include <fmt/format.h>

#include <algorithm>

namespace mob::detail {

void supervisor::reload_environment() {
    if (config_.env_file.empty())
        return;
    env_overrides_ = read_env_file(config_.env_file);
    log::info("reload: {} variables from {}", env_overrides_.size(), config_.env_file.string());
}

bool supervisor::begin_reload(clock::time_point now) {
    if (reload_.active)
        return false;
    reload_ = {};
    std::vector<const child*> current;
    for (const auto& [pid, c] : children_) {
        if (!c.retiring)
            current.push_back(&c);
    }
    // Role by role, in declaration order, oldest first.
    std::sort(current.begin(), current.end(), [&](const child* a, const child* b) {
        if (a->role != b->role) {
            auto index = [&](const std::string& n) {
                return std::find_if(config_.roles.begin(), config_.roles.end(),
                                    [&](const role_spec& r) { return r.name == n; }) -
                       config_.roles.begin();
            };
            return index(a->role) < index(b->role);
        }
        return a->started < b->started;
    });
    for (const auto* c : current)
        reload_.old.push_back(c->pid);
    reload_.active = true;
    log::info("reload: replacing {} workers, one at a time", reload_.old.size());
    next_reload_step(now);
    return true;
}

void supervisor::next_reload_step(clock::time_point now) {
    while (!reload_.old.empty() && !is_child(reload_.old.front()))
        reload_.old.pop_front();
    if (reload_.old.empty()) {
        reload_.active = false;
        log::info("reload: done");
        return;
    }
    const auto& old = children_.at(reload_.old.front());
    const auto* role = spec(old.role);
    reload_.replacement = start(*role, old.pid);
    reload_.deadline = now + role->options.ready_timeout;
}

std::optional<pid_t> supervisor::on_ready(pid_t pid, clock::time_point now) {
    if (!reload_.active || pid != reload_.replacement)
        return std::nullopt;
    auto old = reload_.old.front();
    reload_.old.pop_front();
    reload_.replacement = 0;
    next_reload_step(now);
    if (!is_child(old))
        return std::nullopt;  // it ended meanwhile: its pid is no longer ours to signal
    return old;
}

std::optional<pid_t> supervisor::check_reload(clock::time_point now) {
    if (!reload_.active || reload_.replacement == 0 || now < reload_.deadline)
        return std::nullopt;
    auto failed = reload_.replacement;
    std::string role = is_child(failed) ? children_.at(failed).role : "?";
    const auto* r = spec(role);
    abort_reload(fmt::format("the replacement {} worker pid {} was not ready within {} ms", role,
                             failed, r != nullptr ? r->options.ready_timeout.count() : 0));
    return failed;
}

void supervisor::abort_reload(const std::string& why) {
    log::error("reload stopped: {}; the old workers stay", why);
    reload_ = {};
}

}  // namespace mob::detail
