// Process titles as the original mob set them: "myapp (kingpin)" and
// "myapp - back (mobster)", visible in ps (the argv area) and in /proc/PID/comm.
#pragma once

#include <string_view>

namespace mob::detail {

/// Overwrites the argv area (extended over the environment strings, which are first
/// copied elsewhere) with `title`, and sets the thread name (cut to 15 bytes).
/// The first call, early, with main's argv, moves argv's strings (argv[0] too) to the
/// heap; a later call (a worker the fork server forked) writes over the same area.
void set_process_title(int argc, char** argv, std::string_view title);

}  // namespace mob::detail
