#include "supervisor.hpp"

#include "env_file.hpp"
#include "listeners.hpp"
#include "mob/detail/crash_record.hpp"
#include "mob/error.hpp"
#include "mob/log.hpp"
#include "output_capture.hpp"
#include "spawn.hpp"

#include <fmt/format.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstring>

namespace mob::detail {

namespace {
/// The window of the "deaths in the last minute" count.
constexpr std::chrono::minutes death_window{1};
constexpr double jitter = 0.2;  // +-20%

}  // namespace

supervisor::supervisor(const kingpin_config& config, role_table& roles, std::string endpoint)
    : config_(config), endpoint_(std::move(endpoint)), roles_(roles) {
    if (!config_.env_file.empty())
        env_overrides_ = read_env_file(config_.env_file);
}

const role_spec* supervisor::spec(const std::string& role) const {
    for (const auto& r : config_.roles) {
        if (r.name == role)
            return &r;
    }
    return nullptr;
}

std::uint32_t supervisor::target(const std::string& role) const {
    return roles_.target(role);
}

void supervisor::start_all() {
    // Queued as restarts due at once, which tick() starts a few milliseconds' worth at a
    // time: forking a thousand workers in one turn of the loop left their HELLOs
    // unanswered for seconds, and each of them warned that the broker was silent.
    const auto now = clock::now();
    for (const auto& role : config_.roles) {
        if (role.options.external)
            continue;  // its workers join from outside: none to start
        for (std::uint32_t i = 0; i < role.min; ++i)
            scheduled_.push_back({role.name, now, 0, 0, {}, {}, /*initial=*/true});
    }
    changed_ = true;
}

std::chrono::milliseconds supervisor::backoff(const role_spec& role, std::uint32_t level) {
    auto cap = static_cast<double>(role.options.backoff_max.count());
    auto base = std::min(std::ldexp(static_cast<double>(role.options.backoff_initial.count()),
                                    static_cast<int>(std::min(level, 60u))),
                         cap);
    std::uniform_real_distribution<double> spread{1.0 - jitter, 1.0 + jitter};
    auto ms = std::clamp(base * spread(random_), 1.0, cap);
    return std::chrono::milliseconds{std::llround(ms)};
}

supervisor::restart_plan supervisor::plan_restart(const child& c, int status,
                                                  clock::time_point now) {
    restart_plan plan;
    auto& deaths = recent_deaths_[c.role];
    deaths.push_back(now);
    while (!deaths.empty() && deaths.front() <= now - death_window)
        deaths.pop_front();
    plan.deaths_last_minute = static_cast<std::uint32_t>(deaths.size());

    const auto* r = spec(c.role);
    if (r == nullptr) {
        plan.why_not = "its role is unknown";
        return plan;
    }
    if (planned(c.role) >= target(c.role)) {
        // A reload's replacement, or the worker it was replacing: the other one stays.
        plan.why_not = fmt::format("role {} has its {} workers", c.role, target(c.role));
        return plan;
    }
    bool exited = WIFEXITED(status);
    int code = exited ? WEXITSTATUS(status) : -1;
    if (r->options.restart == restart_policy::temporary) {
        plan.why_not = "a temporary role";
    } else if (exited &&
               std::find(r->options.no_restart_codes.begin(), r->options.no_restart_codes.end(),
                         code) != r->options.no_restart_codes.end()) {
        plan.why_not = fmt::format("exit code {} means do not restart", code);
    } else if (r->options.restart == restart_policy::transient && exited && code == 0) {
        plan.why_not = "a transient role that ended normally";
    }
    if (!plan.why_not.empty()) {
        if (auto* slot = roles_.slot(c.role); slot != nullptr && slot->target > 0)
            --slot->target;
        return plan;
    }
    bool stayed_up = c.ready_at && now - *c.ready_at >= r->options.min_uptime;
    if (stayed_up) {
        plan.what = restart_plan::action::now;
        return plan;
    }
    plan.what = restart_plan::action::later;
    plan.delay = backoff(*r, c.quick_deaths);
    plan.crash_loop = c.quick_deaths + 1 >= r->options.crash_loop_after;
    return plan;
}

void supervisor::reap(
    const std::function<void(const child&, int status, const restart_plan&)>& on_exit) {
    changed_ = true;
    for (;;) {
        int status = 0;
        pid_t pid = ::waitpid(-1, &status, WNOHANG);
        if (pid <= 0)
            break;
        if (forks_ && pid == forks_->pid()) {
            forks_->ended(status, /*expected=*/stopping_);
            continue;
        }
        auto it = children_.find(pid);
        if (it == children_.end())
            continue;  // an orphan of a worker's, come to the kingpin (a subreaper)
        auto c = std::move(it->second);
        children_.erase(it);
        auto& st = stats_[c.role];
        c.report = make_report(c, status);
        if (!c.retiring) {
            ++st.deaths;
            st.last_report = c.report;
            keep_death(c, status);
        }
        st.last_exit = describe_exit(status);
        auto now = clock::now();
        restart_plan plan;
        if (!c.retiring && !stopping_)
            plan = plan_restart(c, status, now);
        on_exit(c, status, plan);
        if (reload_.active && pid == reload_.replacement) {
            abort_reload(
                fmt::format("the replacement {} worker pid {} ended ({}) before it was ready",
                            c.role, pid, st.last_exit));
        }
        if (plan.what == restart_plan::action::now) {
            start_or_schedule(*spec(c.role), 0, now, c.restarts + 1, st.last_exit, c.report);
        } else if (plan.what == restart_plan::action::later) {
            scheduled_.push_back({c.role, now + plan.delay, c.quick_deaths + 1, c.restarts + 1,
                                  st.last_exit, c.report});
        }
    }
}

void supervisor::stop_reviving() {
    changed_ = true;
    stopping_ = true;
    scheduled_.clear();
}

void supervisor::mark_ready(pid_t pid, clock::time_point now) {
    changed_ = true;
    auto it = children_.find(pid);
    if (it != children_.end() && !it->second.ready_at)
        it->second.ready_at = now;
}

void supervisor::signal_all(int sig) {
    for (const auto& [pid, c] : children_)
        ::kill(pid, sig);
}

std::vector<pid_t> supervisor::scale(const std::string& role, std::uint32_t count) {
    changed_ = true;
    const auto* r = spec(role);
    if (r == nullptr)
        throw error(fmt::format("app '{}' has no role '{}'", config_.app, role),
                    errc::unknown_role);
    if (count < r->min || count > r->max) {
        throw error(
            fmt::format("role '{}' takes {} to {} workers, not {}", role, r->min, r->max, count));
    }
    roles_.slot(role)->target = count;
    if (r->options.external)
        return {};  // only the count expected from outside changes
    // Shrinking: drop scheduled restarts first (the latest first), then retire workers.
    while (planned(role) > count && scheduled(role) > 0) {
        auto latest = scheduled_.end();
        for (auto it = scheduled_.begin(); it != scheduled_.end(); ++it) {
            if (it->role == role && (latest == scheduled_.end() || it->due > latest->due))
                latest = it;
        }
        scheduled_.erase(latest);
    }
    while (planned(role) < count)
        start(*r);
    std::vector<const child*> mine;
    for (const auto& [pid, c] : children_) {
        if (c.role == role && !c.retiring)
            mine.push_back(&c);
    }
    std::sort(mine.begin(), mine.end(),
              [](const child* a, const child* b) { return a->started > b->started; });
    std::size_t keep = count - scheduled(role);
    std::vector<pid_t> extra;
    for (std::size_t i = 0; i + keep < mine.size(); ++i)
        extra.push_back(mine[i]->pid);
    return extra;
}

void supervisor::retire(pid_t pid, clock::time_point deadline) {
    changed_ = true;
    auto it = children_.find(pid);
    if (it == children_.end())
        return;
    it->second.retiring = true;
    it->second.retire_deadline = deadline;
}

void supervisor::note_kill(pid_t pid, std::string why) {
    if (auto it = children_.find(pid); it != children_.end())
        it->second.kill_note = std::move(why);
}

std::optional<crash_report> supervisor::predecessor_report(pid_t pid) const {
    auto it = children_.find(pid);
    return it == children_.end() ? std::nullopt : it->second.predecessor_report;
}

}  // namespace mob::detail
