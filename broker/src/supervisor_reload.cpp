// The supervisor's rolling reload: the environment read again, then each worker
// replaced by a new one, one at a time, the old one retired once the new one is ready
// (a replacement not ready in time stops the reload, and the old workers stay).
#include "env_file.hpp"
#include "mob/error.hpp"
#include "mob/log.hpp"
#include "supervisor.hpp"

#include <fmt/format.h>

#include <unistd.h>

#include <algorithm>
#include <set>

namespace mob::detail {

void supervisor::reload_environment() {
    if (config_.env_file.empty())
        return;
    env_overrides_ = read_env_file(config_.env_file);
    ++env_generation_;  // the next worker gets a fork server that ran with it
    log::info("reload: {} variables from {}", env_overrides_.size(), config_.env_file.string());
}

void supervisor::check_programs() const {
    for (const auto& r : config_.roles) {
        const auto* prog = std::get_if<program>(&r.entry);
        if (prog != nullptr && !r.options.external && ::access(prog->path.c_str(), X_OK) != 0) {
            throw error(fmt::format("role '{}': {} is not there or not executable", r.name,
                                    prog->path.string()));
        }
    }
}

std::uint32_t supervisor::free_slot(const std::string& role) const {
    // A flag per slot, not a set: this runs for each start, over every child.
    std::vector<bool> taken;
    for (const auto& [pid, c] : children_) {
        if (c.role != role || c.retiring)
            continue;
        if (c.slot >= taken.size())
            taken.resize(c.slot + 1);
        taken[c.slot] = true;
    }
    std::uint32_t slot = 0;
    while (slot < taken.size() && taken[slot])
        ++slot;
    return slot;
}

bool supervisor::begin_reload(clock::time_point now, bool same_binary) {
    changed_ = true;
    if (reload_.active)
        return false;
    check_programs();
    std::optional<program_image> image;
    if (!same_binary)
        image = program_image::open(program_path_);  // throws: the reload does not start
    reload_ = {};
    reload_.image = std::move(image);
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
    log::info("reload: replacing {} workers, one at a time, from {}", reload_.old.size(),
              reload_.image ? fmt::format("{} as it is now", program_path_.string())
                            : std::string{"the same program image"});
    next_reload_step(now);
    return true;
}

void supervisor::next_reload_step(clock::time_point now) {
    changed_ = true;
    while (!reload_.old.empty() && !is_child(reload_.old.front()))
        reload_.old.pop_front();
    if (reload_.old.empty()) {
        if (reload_.image)
            image_ = std::move(*reload_.image);  // what revivals run from now on
        reload_ = {};
        log::info("reload: done");
        return;
    }
    const auto& old = children_.at(reload_.old.front());
    const auto* role = spec(old.role);
    reload_.replacement = start(*role, old.pid);
    reload_.deadline = now + role->options.ready_timeout;
}

std::optional<pid_t> supervisor::on_ready(pid_t pid, clock::time_point now) {
    changed_ = true;
    if (auto old = take_memory_replaced(pid))
        return old;
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
    changed_ = true;
    if (!reload_.active || reload_.replacement == 0 || now < reload_.deadline)
        return std::nullopt;
    auto failed = reload_.replacement;
    std::string role = is_child(failed) ? children_.at(failed).role : "?";
    const auto* r = spec(role);
    abort_reload(fmt::format("the replacement {} worker pid {} was not ready within {} ms", role,
                             failed, r != nullptr ? r->options.ready_timeout.count() : 0));
    return failed;
}

std::vector<pid_t> supervisor::restart(const std::string& role, bool same_binary) {
    changed_ = true;
    if (!role.empty() && spec(role) == nullptr)
        throw error(fmt::format("app '{}' has no role '{}'", config_.app, role),
                    errc::unknown_role);
    check_programs();
    if (!same_binary)
        image_ = program_image::open(program_path_);
    std::vector<pid_t> old;
    for (const auto& [pid, c] : children_) {
        if (!c.retiring && (role.empty() || c.role == role))
            old.push_back(pid);
    }
    std::sort(old.begin(), old.end());
    for (auto pid : old) {
        const auto& c = children_.at(pid);
        start(*spec(c.role), pid);
        // The old one is on its way out: retire() marks it, and the replacement alone
        // counts toward the role.
        children_.at(pid).retiring = true;
    }
    return old;
}

void supervisor::abort_reload(const std::string& why) {
    changed_ = true;
    log::error("reload stopped: {}; the old workers stay", why);
    reload_ = {};
}

}  // namespace mob::detail
