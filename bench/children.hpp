// The benchmark's child processes and temporary directories: every child is this
// program re-executed (/proc/self/exe) in another mode, and dies with us
// (PR_SET_PDEATHSIG); a handle stops and reaps its child when it goes, and
// SIGINT/SIGTERM/SIGHUP stop every child and remove every temporary directory first.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>
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

/// This program started again as `args` (args[0] is its argv[0]), with `env` added
/// to our environment minus every MOB_* variable. With `capture_stderr`, the child's
/// stderr comes back to us line by line; lines at warn or error level are copied to
/// our stderr.
class child {
  public:
    child(std::vector<std::string> args, std::vector<std::string> env = {},
          bool capture_stderr = false);
    ~child();
    child(const child&) = delete;
    child& operator=(const child&) = delete;

    pid_t pid() const { return pid_; }
    /// Waits until a captured stderr line contains `needle`; false on timeout or EOF.
    bool wait_for_line(std::string_view needle, std::chrono::milliseconds timeout);
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
