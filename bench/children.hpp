// The benchmark's child processes and temporary directories: a child is this program
// re-executed (/proc/self/exe) in another mode, or another program (a baseline: node,
// nats-server, the Go client), and dies with us (PR_SET_PDEATHSIG); a handle stops and
// reaps its child when it goes, and SIGINT/SIGTERM/SIGHUP stop every child and remove
// every temporary directory first.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <utility>
#include <vector>

namespace bench {

/// Blocks SIGINT, SIGTERM and SIGHUP in this thread (call it before any other thread
/// starts) and starts the thread that, on one of them, stops and reaps every child
/// (SIGTERM, SIGKILL after 2 s), removes every temp_dir and exits with 128 + the
/// signal. Makes this process the reaper of its orphaned grandchildren.
void install_signal_cleanup();

/// Reaps the children no handle owns (workers orphaned by a kingpin killed before
/// them), waiting at most `wait` for them to end; call it when no child handle lives.
void reap_orphans(std::chrono::milliseconds wait = std::chrono::milliseconds{1000});

/// How a child is started.
struct spawn_options {
    /// Empty: this program again; else a path, or a name looked up on PATH.
    std::string program;
    /// Added to our environment, from which every MOB_* variable is left out.
    std::vector<std::string> env;
    /// The child's stderr comes back to us line by line (wait_for_line); lines at warn
    /// or error level are copied to our stderr.
    bool capture_stderr = false;
    /// The child's stdin and stdout are pipes to us (send_line, read_line); its stderr
    /// stays ours unless captured.
    bool pipe_stdio = false;
};

/// A child started as `args` (args[0] is its argv[0]).
class child {
  public:
    child(std::vector<std::string> args, spawn_options how);
    /// This program again, with `env` added and stderr captured or not.
    child(std::vector<std::string> args, std::vector<std::string> env = {},
          bool capture_stderr = false)
        : child(std::move(args), spawn_options{{}, std::move(env), capture_stderr, false}) {}
    ~child();
    child(const child&) = delete;
    child& operator=(const child&) = delete;

    pid_t pid() const { return pid_; }
    /// Waits until a captured stderr line contains `needle` and returns the first such
    /// line; nothing on timeout or EOF.
    /// Only lines from the `from`-th on (0: all) are looked at.
    std::optional<std::string> wait_for_line(std::string_view needle,
                                             std::chrono::milliseconds timeout,
                                             std::size_t from = 0);
    /// How many stderr lines came so far; how many of them contain `needle`.
    std::size_t line_count();
    std::size_t count_lines(std::string_view needle);
    /// Writes `line` and a newline to the child's stdin (pipe_stdio); throws if it is gone.
    void send_line(std::string_view line);
    /// The next line of the child's stdout (pipe_stdio); nothing on timeout or EOF.
    std::optional<std::string> read_line(std::chrono::milliseconds timeout);
    /// SIGTERM, SIGKILL if it still runs after `grace`, then reaps it. Idempotent.
    void stop(std::chrono::milliseconds grace = std::chrono::milliseconds{5000});
    /// The exit status (waitpid form) once stopped, -1 before.
    int status() const { return status_; }

  private:
    void read_loop(int fd);

    pid_t pid_ = -1;
    bool reaped_ = false;
    int status_ = -1;
    std::mutex mutex_;
    std::condition_variable cv_;
    std::vector<std::string> lines_;
    bool eof_ = false;
    bool stop_reading_ = false;
    std::thread reader_;
    int stdin_fd_ = -1;  // pipe_stdio: our ends
    int stdout_fd_ = -1;
    std::string stdout_partial_;  // read from stdout_fd_, not yet a whole line
};

/// A fresh private directory under /tmp (short, for ipc paths), removed on destruction.
class temp_dir {
  public:
    temp_dir();
    ~temp_dir();
    temp_dir(const temp_dir&) = delete;
    temp_dir& operator=(const temp_dir&) = delete;
    const std::string& path() const { return path_; }

  private:
    std::string path_;
};

}  // namespace bench
