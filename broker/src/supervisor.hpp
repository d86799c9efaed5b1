// The supervisor half of the kingpin: starts each role's workers, reaps them when
// they exit (whatever the reason), logs why, and starts replacements so each role
// keeps its target count; scales a role within its bounds; retires workers (stopped
// on purpose, never revived); and runs rolling reloads, one worker at a time.
#pragma once

#include "config.hpp"

#include <sys/types.h>

#include <chrono>
#include <deque>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

namespace mob::detail {

class supervisor {
  public:
    using clock = std::chrono::steady_clock;
    struct child {
        pid_t pid = 0;
        std::string role;
        clock::time_point started;
        bool retiring = false;              ///< stopped on purpose: not revived
        clock::time_point retire_deadline;  ///< SIGKILL after this
        pid_t replaces = 0;                 ///< the worker a reload replaces with this one
    };
    struct role_stats {
        std::uint64_t started = 0;
        std::uint64_t deaths = 0;
        std::string last_exit;
    };

    supervisor(const kingpin_config& config, std::string endpoint);

    /// Starts every role's initial workers.
    void start_all();
    /// Reaps every exited child; calls `on_exit(child, status)` for each, then starts
    /// replacements for roles below their target, unless the kingpin is stopping.
    void reap(const std::function<void(const child&, int status)>& on_exit);
    /// Stop reviving; send `sig` to every child.
    void signal_all(int sig);
    void stop_reviving() { stopping_ = true; }

    /// Sets `role`'s target; returns the pids to retire (the newest first) when it
    /// shrinks. Throws mob::error for an unknown role or a count outside min..max.
    std::vector<pid_t> scale(const std::string& role, std::uint32_t count);
    /// Marks `pid` as stopped on purpose; it must exit before `deadline`.
    void retire(pid_t pid, clock::time_point deadline);
    /// Children past their retire deadline (to SIGKILL).
    std::vector<pid_t> overdue(clock::time_point now) const;

    /// Starts a rolling reload; false if one is already running.
    bool begin_reload(clock::time_point now);
    /// A worker became ready: returns the old worker it replaces in a reload, to retire.
    std::optional<pid_t> on_ready(pid_t pid, clock::time_point now);
    /// Checks the reload's readiness deadline; returns a replacement to retire if it
    /// failed (the reload then stops, and the old workers stay).
    std::optional<pid_t> check_reload(clock::time_point now);
    bool reloading() const { return reload_.active; }
    std::optional<clock::time_point> next_deadline() const;

    bool is_child(pid_t pid) const { return children_.count(pid) != 0; }
    bool empty() const { return children_.empty(); }
    std::size_t size() const { return children_.size(); }
    std::uint32_t alive(const std::string& role) const;
    std::uint32_t target(const std::string& role) const;
    const role_spec* spec(const std::string& role) const;
    const std::unordered_map<pid_t, child>& children() const { return children_; }
    const std::map<std::string, role_stats>& stats() const { return stats_; }

  private:
    pid_t start(const role_spec& role, pid_t replaces = 0);
    void next_reload_step(clock::time_point now);
    void abort_reload(const std::string& why);

    const kingpin_config& config_;
    std::string endpoint_;
    bool stopping_ = false;
    std::unordered_map<pid_t, child> children_;
    std::map<std::string, role_stats> stats_;
    std::map<std::string, std::uint32_t> targets_;

    struct reload_state {
        bool active = false;
        std::deque<pid_t> old;  ///< workers still to replace, in order
        pid_t replacement = 0;  ///< the one we wait for
        clock::time_point deadline;
    } reload_;
};

}  // namespace mob::detail
