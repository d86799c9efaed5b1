// mob-scale-bench's measurements of one kingpin: start-up, memory, idle CPU, dispatch
// and revival with N workers, and the memory a queued call holds.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

namespace bench {

inline constexpr const char* scale_app_name = "mobscale";

/// One kingpin with `workers` echo workers, measured (scale_bench.cpp says how).
struct scale_figures {
    std::uint32_t workers = 0;
    double start_ms = 0;          ///< kingpin started -> its "full" line
    double exec_start_ms = 0;     ///< the same with MOB_FORK_SERVER=0: each worker exec'd
    double false_warnings = 0;    ///< lines of unanswered heartbeats or HELLOs, of kills for them
    double rss_mib = 0;           ///< the kingpin's resident memory at full
    double idle_cpu_percent = 0;  ///< the kingpin's CPU over an idle second, % of one core
    double calls_per_s = 0;       ///< plain API, 64 in flight, default credit
    double revive_ms = 0;         ///< SIGKILL of a worker -> the kingpin full again
    double any_per_s = 0;         ///< messages to any() echo worker delivered per second
    double all_per_s = 0;         ///< copies of all() broadcasts delivered per second
    double message_errors = 0;    ///< messages of both runs that came back undelivered
};

/// Starts `program --scale-app N -` (a kingpin), measures, stops it.
scale_figures measure_scale(const std::string& program, std::uint32_t workers, std::size_t calls,
                            std::chrono::milliseconds min_uptime);

/// Starts `program --scale-app N -` with MOB_FORK_SERVER=0 (every worker started by
/// exec, as without the fork server), returns its start -> full in ms, stops it.
double measure_exec_start(const std::string& program, std::uint32_t workers);

/// Each figure's median over the rounds.
scale_figures median_of(const std::vector<scale_figures>& rounds);

/// The kingpin's resident memory per call waiting for a worker, over `calls` calls to
/// a role whose one worker never joins (`program --scale-app 4 absent`).
double measure_queued_call_bytes(const std::string& program, std::size_t calls);

}  // namespace bench
