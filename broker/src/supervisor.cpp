#include "supervisor.hpp"

#include "mob/error.hpp"
#include "mob/log.hpp"
#include "spawn.hpp"

#include <fmt/format.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>

namespace mob::detail {

namespace {
constexpr std::chrono::seconds readiness_timeout{10};
}

supervisor::supervisor(const kingpin_config& config, std::string endpoint)
    : config_(config), endpoint_(std::move(endpoint)) {
    for (const auto& role : config_.roles)
        targets_[role.name] = role.min;
}

const role_spec* supervisor::spec(const std::string& role) const {
    for (const auto& r : config_.roles) {
        if (r.name == role)
            return &r;
    }
    return nullptr;
}

std::uint32_t supervisor::target(const std::string& role) const {
    auto it = targets_.find(role);
    return it == targets_.end() ? 0 : it->second;
}

std::uint32_t supervisor::alive(const std::string& role) const {
    std::uint32_t n = 0;
    for (const auto& [pid, c] : children_) {
        if (c.role == role && !c.retiring)
            ++n;
    }
    return n;
}

void supervisor::start_all() {
    for (const auto& role : config_.roles) {
        for (std::uint32_t i = 0; i < role.min; ++i)
            start(role);
    }
}

pid_t supervisor::start(const role_spec& role, pid_t replaces) {
    spawn_request req;
    if (const auto* prog = std::get_if<program>(&role.entry)) {
        req.exe = prog->path.string();
        req.argv.push_back(req.exe);
        req.argv.insert(req.argv.end(), prog->args.begin(), prog->args.end());
    } else {
        req.exe = "/proc/self/exe";
        req.argv = config_.argv;
    }
    req.env = worker_environment({
        "MOB_APP=" + config_.app,
        "MOB_ROLE=" + role.name,
        "MOB_ENDPOINT=" + endpoint_,
        "MOB_SPAWNED=1",
        fmt::format("MOB_HEARTBEAT_MS={}", config_.heartbeat.count()),
        fmt::format("MOB_LIVENESS={}", config_.liveness),
        fmt::format("MOB_CREDIT={}", role.credit),
        fmt::format("MOB_KINGPIN_PID={}", ::getpid()),
    });
    auto pid = spawn(req);
    child c;
    c.pid = pid;
    c.role = role.name;
    c.started = clock::now();
    c.replaces = replaces;
    children_.emplace(pid, std::move(c));
    ++stats_[role.name].started;
    log::debug("started {} worker pid {}", role.name, pid);
    return pid;
}

void supervisor::reap(const std::function<void(const child&, int status)>& on_exit) {
    std::vector<std::string> short_roles;
    for (;;) {
        int status = 0;
        pid_t pid = ::waitpid(-1, &status, WNOHANG);
        if (pid <= 0)
            break;
        auto it = children_.find(pid);
        if (it == children_.end())
            continue;
        auto c = std::move(it->second);
        children_.erase(it);
        auto& st = stats_[c.role];
        if (!c.retiring)
            ++st.deaths;
        st.last_exit = describe_exit(status);
        on_exit(c, status);
        if (reload_.active && pid == reload_.replacement) {
            abort_reload(
                fmt::format("the replacement {} worker pid {} ended ({}) before it was ready",
                            c.role, pid, st.last_exit));
        }
        short_roles.push_back(c.role);
    }
    if (stopping_)
        return;
    for (const auto& name : short_roles) {
        const auto* role = spec(name);
        while (role != nullptr && alive(name) < target(name)) {
            try {
                start(*role);
            } catch (const std::exception& e) {
                log::error("could not revive a {} worker: {}", name, e.what());
                break;
            }
        }
    }
}

void supervisor::signal_all(int sig) {
    for (const auto& [pid, c] : children_)
        ::kill(pid, sig);
}

std::vector<pid_t> supervisor::scale(const std::string& role, std::uint32_t count) {
    const auto* r = spec(role);
    if (r == nullptr)
        throw error(fmt::format("app '{}' has no role '{}'", config_.app, role),
                    errc::unknown_role);
    if (count < r->min || count > r->max) {
        throw error(
            fmt::format("role '{}' takes {} to {} workers, not {}", role, r->min, r->max, count));
    }
    targets_[role] = count;
    while (alive(role) < count)
        start(*r);
    std::vector<const child*> mine;
    for (const auto& [pid, c] : children_) {
        if (c.role == role && !c.retiring)
            mine.push_back(&c);
    }
    std::sort(mine.begin(), mine.end(),
              [](const child* a, const child* b) { return a->started > b->started; });
    std::vector<pid_t> extra;
    for (std::size_t i = 0; i + count < mine.size(); ++i)
        extra.push_back(mine[i]->pid);
    return extra;
}

void supervisor::retire(pid_t pid, clock::time_point deadline) {
    auto it = children_.find(pid);
    if (it == children_.end())
        return;
    it->second.retiring = true;
    it->second.retire_deadline = deadline;
}

std::vector<pid_t> supervisor::overdue(clock::time_point now) const {
    std::vector<pid_t> out;
    for (const auto& [pid, c] : children_) {
        if (c.retiring && c.retire_deadline <= now)
            out.push_back(pid);
    }
    return out;
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
    reload_.replacement = start(*spec(old.role), old.pid);
    reload_.deadline = now + readiness_timeout;
}

std::optional<pid_t> supervisor::on_ready(pid_t pid, clock::time_point now) {
    if (!reload_.active || pid != reload_.replacement)
        return std::nullopt;
    auto old = reload_.old.front();
    reload_.old.pop_front();
    reload_.replacement = 0;
    next_reload_step(now);
    return old;
}

std::optional<pid_t> supervisor::check_reload(clock::time_point now) {
    if (!reload_.active || reload_.replacement == 0 || now < reload_.deadline)
        return std::nullopt;
    auto failed = reload_.replacement;
    abort_reload(fmt::format("the replacement worker pid {} was not ready within {} s", failed,
                             readiness_timeout.count()));
    return failed;
}

void supervisor::abort_reload(const std::string& why) {
    log::error("reload stopped: {}; the old workers stay", why);
    reload_ = {};
}

std::optional<supervisor::clock::time_point> supervisor::next_deadline() const {
    std::optional<clock::time_point> next;
    if (reload_.active && reload_.replacement != 0)
        next = reload_.deadline;
    for (const auto& [pid, c] : children_) {
        if (c.retiring && (!next || c.retire_deadline < *next))
            next = c.retire_deadline;
    }
    return next;
}

}  // namespace mob::detail
