// How much CPU and memory each local worker uses, as the kernel tells in
// /proc/PID/stat (utime + stime, in clock ticks) and /proc/PID/statm (resident pages).
// The kingpin samples its children about once a second from its poll loop's tick: two
// small reads per worker, no thread, no process started. CPU% is the share of one core
// between two samples (100 = one core busy; a worker with many threads may pass 100).
#pragma once

#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

namespace mob::detail {

/// One process's use, as of its last sample.
struct proc_usage {
    double cpu_percent = 0;  ///< since the sample before (0 after the first one)
    std::uint64_t rss_bytes = 0;
};

/// /proc/PID/stat's CPU ticks (utime + stime), or nothing if the text is not one.
std::optional<std::uint64_t> parse_stat_ticks(const std::string& stat);
/// /proc/PID/statm's resident pages (its second field), or nothing.
std::optional<std::uint64_t> parse_statm_resident(const std::string& statm);

class proc_sampler {
  public:
    using clock = std::chrono::steady_clock;

    /// `root` is /proc, or a directory laid out like it (the tests'). `ticks_per_second`
    /// and `page_size` default to the system's.
    explicit proc_sampler(std::filesystem::path root = "/proc", long ticks_per_second = 0,
                          long page_size = 0);

    /// Reads each of `pids` (a pid it cannot read is dropped: it has just ended) and
    /// forgets the ones not among them.
    void sample(const std::vector<pid_t>& pids, clock::time_point now);
    /// The last sample of `pid`, if it has one.
    std::optional<proc_usage> usage(pid_t pid) const;

  private:
    struct entry {
        std::uint64_t ticks = 0;
        clock::time_point at;
        proc_usage last;
    };
    std::optional<std::string> read(pid_t pid, const char* file) const;

    std::filesystem::path root_;
    double ticks_per_second_;
    std::uint64_t page_size_;
    std::unordered_map<pid_t, entry> seen_;
};

}  // namespace mob::detail
