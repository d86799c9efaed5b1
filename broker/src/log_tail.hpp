// The lines of an app's log files older than what its ring still holds, for
// `mobctl logs --lines N` asking for more than the ring kept: read from the files' ends,
// bounded, so one request costs the kingpin's loop little.
#pragma once

#include "mob/log_line.hpp"

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

namespace mob::detail {

/// How much of each file's end is read (and of its first rotation, NAME.1).
inline constexpr std::size_t log_tail_bytes = 1 << 20;

/// The newest `max` lines of `role` ("" for all; "kingpin" for the kingpin's own) in
/// `files` (plain format; other lines are skipped) older than the ring's oldest line,
/// oldest first. The ring's lines of that same millisecond are given in `at_oldest`: a
/// file's line of that millisecond is taken unless it is one of them. A file and its
/// rotation NAME.1 are read, at most log_tail_bytes of each.
std::vector<log_line> older_file_lines(const std::vector<std::filesystem::path>& files,
                                       const std::string& role, std::int64_t oldest_ms,
                                       std::vector<log_line> at_oldest, std::size_t max);

}  // namespace mob::detail
