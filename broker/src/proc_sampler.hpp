// How much CPU and memory each local worker uses, as the kernel tells in
// /proc/PID/stat (utime + stime, in clock ticks; rss, in pages).
// The kingpin samples its children about once a second from its poll loop's tick: one
// small read per worker into a buffer on the stack (no stream, no allocation: with 1000
// workers the sampling was a third of an idle kingpin's CPU), no thread, no process. CPU% is the
// share of one core between two samples (100 = one core busy; a worker with many threads may pass
// 100).
#pragma once

#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace mob::detail {

/// One process's use, as of its last sample.
struct proc_usage {
    double cpu_percent = 0;  ///< since the sample before (0 after the first one)
    std::uint64_t rss_bytes = 0;
};

/// What the sampler reads of /proc/PID/stat.
struct stat_fields {
    std::uint64_t ticks = 0;      ///< utime + stime (fields 14 and 15)
    std::uint64_t rss_pages = 0;  ///< rss (field 24)
};
/// /proc/PID/stat's fields the sampler wants, or nothing if the text is not such a line.
std::optional<stat_fields> parse_stat(std::string_view stat);

class proc_sampler {
  public:
    using clock = std::chrono::steady_clock;

    /// Processes read per sample(): up to this many workers each is read every call
    /// (about once a second); a larger kingpin reads them in turns, each every
    /// ceil(N / per_sample) calls, so sampling 1000 idle workers does not cost more
    /// than their heartbeats.
    static constexpr std::size_t default_per_sample = 128;

    /// `root` is /proc, or a directory laid out like it (the tests'). `ticks_per_second`
    /// and `page_size` default to the system's.
    explicit proc_sampler(std::filesystem::path root = "/proc", long ticks_per_second = 0,
                          long page_size = 0, std::size_t per_sample = default_per_sample);

    /// Reads the next `per_sample` of `pids` in pid order, going round (a pid it cannot
    /// read is dropped: it has just ended), and forgets the ones not among them.
    void sample(std::vector<pid_t> pids, clock::time_point now);
    /// The last sample of `pid`, if it has one.
    std::optional<proc_usage> usage(pid_t pid) const;

  private:
    struct entry {
        std::uint64_t ticks = 0;
        clock::time_point at;
        proc_usage last;
    };
    std::optional<stat_fields> read(pid_t pid) const;

    std::filesystem::path root_;
    double ticks_per_second_;
    std::uint64_t page_size_;
    std::size_t per_sample_;
    pid_t last_read_ = 0;  // where the next sample() goes on from
    std::unordered_map<pid_t, entry> seen_;
    mutable std::string path_;  // read()'s, reused
};

}  // namespace mob::detail
