// How a dying worker tells its kingpin about an uncaught exception: one record on the
// "crash pipe" the kingpin hands each worker it spawns (its fd number is in
// MOB_CRASH_FD). The worker writes it with a single write() of at most PIPE_BUF bytes
// (atomic, and never blocking: the pipe is empty and non-blocking); the kingpin
// reads it when it reaps the process. The record is NUL-separated text:
//
//     "MOBCRASH1" NUL where NUL type NUL what NUL
//
// `what` is cut so that the record fits in PIPE_BUF.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

namespace mob::detail {

inline constexpr std::string_view crash_record_magic = "MOBCRASH1";
inline constexpr std::size_t crash_record_max = 4096;  // PIPE_BUF on Linux

/// Lays a record out in `buf` (of `crash_record_max` bytes) with memcpy only, so it
/// can run in a terminate handler; returns its size. Null strings count as empty.
std::size_t format_crash_record(char* buf, const char* where, const char* type,
                                const char* what) noexcept;

struct crash_record {
    std::string where;
    std::string type;
    std::string what;
};

/// The first record in `bytes`, or nullopt if there is none (or it is malformed).
std::optional<crash_record> parse_crash_record(std::string_view bytes);

}  // namespace mob::detail
