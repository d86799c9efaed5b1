// What mob-rpc-bench measured, and its table: every path's percentiles and calls/s, and
// the ratios of mob's against the floor and the baselines, all from the same run.
#pragma once

#include "measure.hpp"
#include "options.hpp"

#include <array>
#include <cstddef>
#include <vector>

namespace bench {

/// The table's name of a path.
const char* path_name(path p);

/// One path's numbers for one worker count.
struct side {
    std::vector<double> latency_us;  ///< every measured round trip, all rounds
    std::vector<std::vector<double>>
        rates;  ///< per window (options::windows), calls/s of each round

    latency_summary latency() const { return summarize(latency_us); }
    /// The median round's calls/s at the i-th window; 0 if not measured.
    double rate(std::size_t i) const;
    /// Calls/s with one call in flight, from the latency run: 1 / mean round trip.
    double rate_one() const;
};

/// Every path's numbers for one worker count over one transport.
struct results {
    std::size_t workers = 0;
    transport over = transport::ipc;
    std::array<side, path_count> sides;
    side& operator[](path p) { return sides[static_cast<std::size_t>(p)]; }
    const side& operator[](path p) const { return sides[static_cast<std::size_t>(p)]; }
};

/// Prints the table of `all` (the paths `o` measured) and the goal checks of mob's
/// inline path against the floor to stdout.
void print_table(const std::vector<results>& all, const options& o);

}  // namespace bench
