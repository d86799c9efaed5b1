// The supervisor half of the kingpin: starts each role's workers, reaps them when
// they exit (whatever the reason), logs why, and starts a replacement, until the
// kingpin stops.
#pragma once

#include "config.hpp"

#include <sys/types.h>

#include <chrono>
#include <functional>
#include <map>
#include <string>
#include <unordered_map>

namespace mob::detail {

class supervisor {
  public:
    struct child {
        pid_t pid = 0;
        std::string role;
        std::chrono::steady_clock::time_point started;
    };
    struct role_stats {
        std::uint64_t started = 0;
        std::uint64_t deaths = 0;
    };

    supervisor(const kingpin_config& config, std::string endpoint);

    /// Starts every role's initial workers.
    void start_all();
    /// Reaps every exited child; calls `on_exit(child, status)` for each, then revives
    /// it unless the kingpin is stopping.
    void reap(const std::function<void(const child&, int status)>& on_exit);
    /// Stop reviving; send `sig` to every child.
    void signal_all(int sig);
    void stop_reviving() { stopping_ = true; }

    bool is_child(pid_t pid) const { return children_.count(pid) != 0; }
    bool empty() const { return children_.empty(); }
    std::size_t size() const { return children_.size(); }
    const std::unordered_map<pid_t, child>& children() const { return children_; }
    const std::map<std::string, role_stats>& stats() const { return stats_; }

  private:
    void start(const role_spec& role);

    const kingpin_config& config_;
    std::string endpoint_;
    bool stopping_ = false;
    std::unordered_map<pid_t, child> children_;
    std::map<std::string, role_stats> stats_;
};

}  // namespace mob::detail
