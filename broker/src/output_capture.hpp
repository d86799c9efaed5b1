// The kingpin's side of its workers' output: a pipe for each worker's stdout and one for
// its stderr, read without blocking in the kingpin's poll loop (a bounded amount per
// wake, so a worker that floods them never starves the broker), cut into lines, and
// handed, with the kingpin's own lines, to the ring (`mobctl logs`) and the writer
// (terminal and files). A worker whose pipe is full waits in its write(): status shows it.
#pragma once

#include "line_assembler.hpp"
#include "log_ring.hpp"
#include "log_writer.hpp"
#include "mob/log.hpp"
#include "unique_fd.hpp"

#include <poll.h>
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

    output_capture(log_writer& writer, log_ring& ring) : writer_(writer), ring_(ring) {}

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

    /// Appends the descriptors to poll (POLLIN) to `fds`.
    void poll_fds(std::vector<pollfd>& fds) const;
    /// Reads the pipes `fds` (from poll_fds) say are readable or closed.
    void on_poll(std::span<const pollfd> fds);
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

    log_writer& writer_;
    log_ring& ring_;
    std::unordered_map<pid_t, worker_output> workers_;
    std::unordered_map<int, pid_t> by_fd_;
};

}  // namespace mob::detail
