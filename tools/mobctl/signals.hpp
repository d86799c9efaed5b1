// SIGINT and SIGTERM for the commands that run until stopped (events --follow, top):
// they set a flag instead of killing mobctl, and interrupt its waits.
#pragma once

#include <chrono>

namespace mob::ctl {

/// From now on, SIGINT and SIGTERM only set the flag stop_requested() reads.
void catch_stop_signals();

/// Whether SIGINT or SIGTERM came since catch_stop_signals().
bool stop_requested();

/// Waits `duration`, or less if a stop signal comes; returns !stop_requested().
bool pause_for(std::chrono::milliseconds duration);

}  // namespace mob::ctl
