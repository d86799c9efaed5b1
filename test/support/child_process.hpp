// A process started by a test, with its stdout and stderr read line by line on a
// background thread, so a test can wait for a line with a deadline instead of
// sleeping. The process gets its own process group, killed whole at the end.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <condition_variable>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <regex>
#include <string>
#include <thread>
#include <vector>

namespace mob::test {

using namespace std::chrono_literals;

class child_process {
  public:
    /// `pass_fds`: descriptors the child gets as 3, 4, ..., as systemd's socket
    /// activation passes them, with LISTEN_PID set to the child's own pid (known only
    /// after fork); the test sets LISTEN_FDS and LISTEN_FDNAMES in `env`.
    child_process(std::vector<std::string> argv, std::map<std::string, std::string> env = {},
                  std::vector<int> pass_fds = {});
    ~child_process();
    child_process(const child_process&) = delete;
    child_process& operator=(const child_process&) = delete;

    pid_t pid() const { return pid_; }

    /// Waits until a line from index `from` on matches `pattern`; returns its index.
    std::optional<std::size_t> wait_for(const std::regex& pattern,
                                        std::chrono::milliseconds timeout, std::size_t from = 0);
    /// The same with a test of the whole line. For long lines: libstdc++'s regex recurses
    /// once per character a repetition matches, and overflows the stack on a 16 KiB line.
    std::optional<std::size_t> wait_for_line(const std::function<bool(const std::string&)>& matches,
                                             std::chrono::milliseconds timeout,
                                             std::size_t from = 0);
    /// Waits until `n` lines from index `from` on match `pattern`.
    bool wait_for_count(const std::regex& pattern, std::size_t n, std::chrono::milliseconds timeout,
                        std::size_t from = 0);
    /// Lines matching `pattern`, from index `from` on; submatch 1 if the pattern has one.
    std::vector<std::string> matches(const std::regex& pattern, std::size_t from = 0) const;
    std::size_t line_count() const;
    std::string line(std::size_t i) const;
    /// Everything read so far, for failure messages.
    std::string output() const;

    void signal(int sig);
    /// The exit status (waitpid form) once the process ends within `timeout`.
    std::optional<int> wait_exit(std::chrono::milliseconds timeout);

  private:
    void read_loop(int fd);

    pid_t pid_ = -1;
    std::optional<int> status_;
    mutable std::mutex mutex_;
    std::condition_variable cv_;
    std::vector<std::string> lines_;
    bool eof_ = false;
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

/// Whether a process with this pid exists (and is not a zombie).
bool process_alive(pid_t pid);
/// Waits until `pid` is gone.
bool wait_process_gone(pid_t pid, std::chrono::milliseconds timeout);
/// Polls `pred` until it holds or `timeout` passes.
template <typename Pred>
bool eventually(Pred pred, std::chrono::milliseconds timeout) {
    auto deadline = std::chrono::steady_clock::now() + timeout;
    std::mutex m;
    std::condition_variable cv;
    while (!pred()) {
        if (std::chrono::steady_clock::now() >= deadline)
            return false;
        std::unique_lock lock{m};
        cv.wait_for(lock, 10ms);  // a short poll interval, bounded by the deadline
    }
    return true;
}

}  // namespace mob::test
