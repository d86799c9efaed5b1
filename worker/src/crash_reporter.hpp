// The worker half of crash reports: tells the kingpin, through the crash pipe it was
// given (MOB_CRASH_FD), about an uncaught exception that ends this process, whether
// it escaped the role function (serve() catches it) or any thread (std::terminate).
#pragma once

namespace mob::detail {

/// Takes over `fd` (the crash pipe; -1 for none: reports are then dropped), marks it
/// close-on-exec, unsets MOB_CRASH_FD and installs the terminate handler. Call once, before any
/// thread.
void install_crash_reporter(int fd);

/// Writes a report of the exception being handled (call it inside a catch block);
/// only the first report of a process is written.
void report_current_exception(const char* where) noexcept;

}  // namespace mob::detail
