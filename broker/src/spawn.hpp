// Starting a worker process: fork and exec at once, so no ZeroMQ context (nor any
// other state of the kingpin) crosses into the child.
#pragma once

#include <sys/types.h>

#include <string>
#include <vector>

namespace mob::detail {

/// A descriptor a child inherits, under a name (a shared listening socket).
struct passed_fd {
    std::string name;
    int fd = -1;
};

struct spawn_request {
    std::string exe;  ///< what to exec, e.g. "/usr/bin/node"
    /// If not -1, an open descriptor of the program to exec instead of `exe` (fexecve):
    /// the image the kingpin chose (program_image, at 64 or above, clear of the
    /// listeners), whatever the path holds now.
    int exe_fd = -1;
    std::vector<std::string> argv;  ///< argv[0] included
    std::vector<std::string> env;   ///< "NAME=value", the whole environment
    /// Descriptors the child gets as 3, 4, ..., with LISTEN_FDS, LISTEN_PID (its own
    /// pid) and LISTEN_FDNAMES set as systemd's socket activation does.
    std::vector<passed_fd> listen;
    int crash_fd = -1;  ///< a descriptor above the listeners the child keeps, at the same number
    /// If not -1, the child's stdout and stderr (the write ends of the kingpin's
    /// capture pipes); -1 leaves the kingpin's own.
    int stdout_fd = -1;
    int stderr_fd = -1;
};

/// Starts a child (clone with CLONE_VM and CLONE_VFORK, as posix_spawn) and execs. In
/// the child, before exec: signal handlers reset, signals unblocked, PR_SET_PDEATHSIG
/// (SIGKILL) so it never outlives the kingpin, stdout and stderr replaced if asked, and
/// every descriptor above 2 closed at exec but the `listen` ones, moved to 3, 4, ...,
/// and `crash_fd`.
/// Returns the child's pid; throws mob::error if clone fails.
pid_t spawn(const spawn_request& request);

/// The current environment less every MOB_* variable and systemd's (LISTEN_*,
/// NOTIFY_SOCKET, WATCHDOG_*: the kingpin's), plus `extra`.
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
