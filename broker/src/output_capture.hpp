// The kingpin's side of its workers' output: a pipe for each worker's stdout and one for
// its stderr, read without blocking in the kingpin's poll loop (a bounded amount per
// wake, so a worker that floods them never starves the broker), cut into lines, and
// handed, with the kingpin's own lines, to the ring (`mobctl logs`) and the writer
// (terminal and files). A worker whose pipe is full waits in its write(): status shows it.
// The pipes are in an epoll set of their own, so the loop polls one descriptor for all
// of them: with a thousand workers, poll(2) of two thousand pipes on every wake cost
// the kingpin 40% of a core while they idled.
#pragma once

#include "line_assembler.hpp"
#include "log_ring.hpp"
#include "log_writer.hpp"
#include "mob/log.hpp"
#include "unique_fd.hpp"

#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <unordered_map>
#include <vector>

namespace mob::detail {

class output_capture {
  public:
    static constexpr std::size_t max_line = 16 * 1024;
    /// Read from one pipe per wake, at most.
    static constexpr std::size_t read_budget = 64 * 1024;

    /// Throws mob::error if it cannot make its epoll set.
    output_capture(log_writer& writer, log_ring& ring);

    /// A worker's two pipes: the write ends for spawn(), the read ends for attach().
    struct pipes {
        unique_fd out_read, out_write, err_read, err_write;
    };
    /// Throws nothing; nullopt (and the worker writes where the kingpin does) if the
    /// pipes cannot be made.
    std::optional<pipes> make_pipes();
    /// Starts reading the pipes of the worker `pid`, `role`#`slot`.
    void attach(pid_t pid, const std::string& role, std::uint32_t slot, unique_fd out,
                unique_fd err);
    /// The worker ended: reads what its pipes still hold, ends its partial lines, closes
    /// them.
    void detach(pid_t pid);

    /// Readable (POLLIN) when a pipe has something to read or was closed.
    int fd() const { return epoll_.get(); }
    /// Reads the pipes that are readable or closed, at most `read_budget` bytes each
    /// (what is left keeps fd() readable).
    void on_readable();
    /// Whether one of the worker's pipes is full (the worker waits to write).
    bool blocked(pid_t pid) const;
    /// Lines captured from the worker.
    std::uint64_t lines(pid_t pid) const;

    /// One line of the kingpin's own.
    void kingpin_line(log::level l, std::string_view text);

  private:
    struct stream {
        unique_fd fd;
        line_assembler lines{max_line};
        bool err = false;
    };
    struct worker_output {
        std::string role;
        std::uint32_t slot = 0;
        stream out, err;
        std::uint64_t count = 0;
    };
    /// Reads `s` (at most `budget` bytes, unlimited if 0); closes it at end of file.
    void read(pid_t pid, worker_output& w, stream& s, std::size_t budget);
    void emit(pid_t pid, worker_output& w, const stream& s, std::string text);
    void watch(int fd);
    /// Closes the stream's pipe; epoll forgets a descriptor once it is closed.
    void close(stream& s);

    log_writer& writer_;
    log_ring& ring_;
    unique_fd epoll_;
    std::unordered_map<pid_t, worker_output> workers_;
    std::unordered_map<int, pid_t> by_fd_;
};

}  // namespace mob::detail
