// mob-rpc-bench --data DIR: the figures of a run as gnuplot data files, for the plots
// bench/plots.sh draws into docs/images/.
#pragma once

#include "options.hpp"
#include "table.hpp"

#include <vector>

namespace bench {

/// For each worker count and transport measured (NAME = "ipc-4w"):
///   latency-NAME.dat: per path a block (gnuplot `index`), headed by the path's name, of
///     the round trips at one call in flight as a percentile spectrum: 1/(1-q) and the
///     q-quantile in microseconds, q from 0 to the last the samples support;
///   throughput-NAME.dat: a row per window (1 from the latency run, then --windows), a
///     column of calls/s per path (the median round), headed by the paths' names.
/// Throws std::runtime_error if a file cannot be written.
void write_data_files(const std::vector<results>& all, const options& o);

}  // namespace bench
