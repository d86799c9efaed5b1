// The kingpin: one thread, one poll loop over the broker's ROUTER socket and a
// signalfd (SIGCHLD, SIGINT, SIGTERM, SIGHUP), with timers from the broker's
// deadlines. It ties the supervisor (processes) to the broker (messages), which share
// one role table.
#pragma once

#include "config.hpp"

namespace mob::detail {

/// Runs the kingpin until SIGINT or SIGTERM; returns the exit code. Throws mob::error
/// for set-up failures (runtime directory taken, bind failed). Signals must already be
/// blocked in every thread (see block_kingpin_signals).
int run_kingpin(const kingpin_config& config);

/// Blocks the signals the kingpin takes through its signalfd. Call before any thread
/// (ZeroMQ's included) starts, so no thread takes them the default way.
void block_kingpin_signals();

}  // namespace mob::detail
