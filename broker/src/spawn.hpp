// Starting a worker process: fork and exec at once, so no ZeroMQ context (nor any
// other state of the kingpin) crosses into the child.
#pragma once

#include <sys/types.h>

#include <string>
#include <vector>

namespace mob::detail {

struct spawn_request {
    std::string exe;                ///< what to exec, e.g. "/proc/self/exe"
    std::vector<std::string> argv;  ///< argv[0] included
    std::vector<std::string> env;   ///< "NAME=value", the whole environment
    int crash_fd = -1;              ///< a descriptor above 2 the child keeps, at the same number
};

/// Forks and execs. In the child, before exec: signals unblocked, PR_SET_PDEATHSIG
/// (SIGKILL) so it never outlives the kingpin, and every descriptor above 2 closed
/// except `crash_fd`.
/// Returns the child's pid; throws mob::error if fork fails.
pid_t spawn(const spawn_request& request);

/// The current environment less every MOB_* variable, plus `extra`.
std::vector<std::string> worker_environment(const std::vector<std::string>& extra);

/// "exit code 3", "SIGKILL", ... from a waitpid status.
std::string describe_exit(int status);

/// A pipe for a child's crash report: the kingpin keeps the read end, the child gets
/// the write end at a number of 64 or more (clear of systemd-style LISTEN_FDS from 3).
/// Both ends are non-blocking and close-on-exec. fds of -1 if it cannot be made.
struct crash_pipe {
    int read = -1;
    int write = -1;
};
crash_pipe make_crash_pipe();

}  // namespace mob::detail
