// Keys for `mobctl top` on a terminal: q quits. The terminal is put in raw mode (no line
// buffering, no echo; Ctrl-C still sends SIGINT) for the command's life and restored on
// every way out: a return, an exception (a failure, or SIGINT/SIGTERM, which
// catch_stop_signals() turns into a clean end that unwinds to here).
#pragma once

#include <termios.h>

#include <chrono>

namespace mob::ctl {

class raw_keys {
  public:
    /// Raw mode on stdin if it is a terminal; otherwise nothing (active() is false).
    raw_keys();
    ~raw_keys();
    raw_keys(const raw_keys&) = delete;
    raw_keys& operator=(const raw_keys&) = delete;

    bool active() const { return active_; }

    /// Waits `duration` for a key: false if q came, or SIGINT/SIGTERM (then the caller
    /// ends); true once the time is up. Without a terminal it is pause_for().
    bool pause(std::chrono::milliseconds duration);

  private:
    bool active_ = false;
    termios saved_{};
};

}  // namespace mob::ctl
