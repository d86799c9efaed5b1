// Where an app's log lines go: the kingpin's terminal (a worker's stdout lines to the
// kingpin's stdout, the rest to its stderr) and, if asked, files in a log directory,
// one per app or per role, rotated by size and reopened on SIGUSR1. One thread of its
// own writes them, so a slow terminal or disk never blocks the kingpin's loop: the
// loop only queues. The queue is bounded for workers' lines (past it they are dropped
// and counted, and a line says so); the kingpin's own lines are never dropped.
#pragma once

#include "mob/log_line.hpp"

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <filesystem>
#include <map>
#include <mutex>
#include <string>
#include <thread>

namespace mob::detail {

struct log_settings {
    std::string app;
    log_format terminal = log_format::plain;
    bool colour = false;
    std::filesystem::path dir;  ///< empty: no files
    bool per_role = false;
    std::size_t rotate_bytes = 0;
    std::uint32_t keep = 5;
    std::size_t max_queued_bytes = 4 << 20;
};

class log_writer {
  public:
    /// Throws mob::error if the log directory cannot be made.
    explicit log_writer(log_settings settings);
    /// Writes what is queued, then stops.
    ~log_writer();
    log_writer(const log_writer&) = delete;
    log_writer& operator=(const log_writer&) = delete;

    /// Queues `line`; `must` (the kingpin's own) is never dropped. False if dropped.
    bool push(const log_line& line, bool must);
    /// Closes the files; the next line opens them again (after logrotate moved them).
    void reopen();
    /// Workers' lines dropped so far because the output was behind.
    std::uint64_t dropped() const;
    const log_settings& settings() const { return settings_; }
    /// The file a role's lines go to ("" if none).
    std::filesystem::path file_for(const std::string& role) const;

  private:
    struct open_file {
        int fd = -1;
        std::uint64_t size = 0;
    };
    void run();
    void write_out(const log_line& line);
    void write_file(const log_line& line, const std::string& text);
    void rotate(const std::filesystem::path& path, open_file& f);
    void close_files();

    log_settings settings_;
    log_format file_format_;
    mutable std::mutex mutex_;
    std::condition_variable wake_;
    std::deque<log_line> queue_;
    std::size_t queued_bytes_ = 0;
    std::uint64_t dropped_ = 0;
    std::uint64_t dropped_untold_ = 0;  ///< dropped since the last line that said so
    bool reopen_ = false;
    bool stop_ = false;
    std::map<std::filesystem::path, open_file> files_;  ///< the writer thread's only
    std::thread thread_;                                ///< last: it uses the above
};

}  // namespace mob::detail
