// The newest log lines of an app, kept in memory for `mobctl logs`: bounded by count and
// by bytes (lines may be 16 KiB each), the oldest dropped first; asked for by role,
// after a sequence number, the last N.
#pragma once

#include "mob/log_line.hpp"

#include <cstdint>
#include <deque>
#include <limits>
#include <string>
#include <vector>

namespace mob::detail {

class log_ring {
  public:
    explicit log_ring(std::size_t capacity, std::size_t max_bytes = 16 << 20)
        : capacity_(capacity == 0 ? 1 : capacity), max_bytes_(max_bytes) {}

    /// Adds `line`, giving it the next sequence number.
    void add(log_line line);
    /// Lines with seq > `since` of `role` (all if empty; "kingpin" for the kingpin's
    /// own), at most the last `max`.
    std::vector<log_line> select(const std::string& role, std::uint64_t since,
                                 std::size_t max) const;
    /// The newest sequence number given.
    std::uint64_t last() const { return next_ - 1; }
    /// Whether lines were dropped to keep the bounds (older ones are in the files, if any).
    bool dropped_any() const { return lines_.empty() ? next_ > 1 : lines_.front().seq > 1; }
    /// The time of the oldest line kept; INT64_MAX if none is.
    std::int64_t oldest_time_ms() const {
        return lines_.empty() ? std::numeric_limits<std::int64_t>::max() : lines_.front().time_ms;
    }
    /// The lines kept of that oldest millisecond.
    std::vector<log_line> at_oldest_time() const;

  private:
    std::size_t capacity_;
    std::size_t max_bytes_;
    std::size_t bytes_ = 0;
    std::deque<log_line> lines_;
    std::uint64_t next_ = 1;
};

}  // namespace mob::detail
