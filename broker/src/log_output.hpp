// The kingpin's log output, whole: the settings (app::logs, then $MOB_LOG_FORMAT,
// $MOB_LOG_DIR, $NO_COLOR and whether stderr is a terminal), the writer, the ring
// `mobctl logs` reads, and the capture of the workers' pipes. While it lives, the
// kingpin's own mob::log lines go through it too; like everything but the writer's
// thread, they must come from the kingpin's loop thread (the ring is not locked).
#pragma once

#include "config.hpp"
#include "log_ring.hpp"
#include "log_writer.hpp"
#include "output_capture.hpp"

namespace mob::detail {

class log_output {
  public:
    /// Throws mob::error for a bad $MOB_LOG_FORMAT or a log directory it cannot make.
    explicit log_output(const kingpin_config& config);
    ~log_output();
    log_output(const log_output&) = delete;
    log_output& operator=(const log_output&) = delete;

    log_writer& writer() { return writer_; }
    log_ring& ring() { return ring_; }
    output_capture& capture() { return capture_; }

  private:
    log_writer writer_;
    log_ring ring_;
    output_capture capture_;
};

/// The settings `config` and the environment give.
log_settings resolve_log_settings(const kingpin_config& config);

}  // namespace mob::detail
