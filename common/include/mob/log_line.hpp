// One line of an app's log, as the kingpin captured it (a worker's stdout or stderr,
// or the kingpin's own), and how it is written: pretty, plain or JSON. Shared by the
// kingpin (its terminal, its files, its ring for `mobctl logs`) and by mobctl.
#pragma once

#include <cereal/types/string.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace mob {

/// How log lines are written (see mob::log_options).
enum class log_format {
    pretty,  ///< short local time, aligned; colour on a terminal unless $NO_COLOR is set
    plain,   ///< full UTC time, no colour: for journald and files
    json,    ///< one object per line: time, app, role, slot, pid, stream, level, message
};

/// "pretty", "plain" or "json" as a format; nullopt for anything else.
std::optional<log_format> parse_log_format(std::string_view name);

/// One line. `role` is "kingpin" for the kingpin's own lines (slot -1).
struct log_line {
    std::uint64_t seq = 0;     ///< increasing, per kingpin
    std::int64_t time_ms = 0;  ///< milliseconds since the Unix epoch
    std::string app;
    std::string role;
    std::int32_t slot = -1;  ///< the worker's place in its role (back#2), -1 for the kingpin
    std::int64_t pid = 0;
    std::string stream;   ///< "stdout" or "stderr"
    std::string level;    ///< "debug", "info", "warn", "error", or "" if not known
    std::string message;  ///< valid UTF-8, no control characters but tabs

    template <class A>
    void serialize(A& ar) {
        ar(CEREAL_NVP(seq), CEREAL_NVP(time_ms), CEREAL_NVP(app), CEREAL_NVP(role),
           CEREAL_NVP(slot), CEREAL_NVP(pid), CEREAL_NVP(stream), CEREAL_NVP(level),
           CEREAL_NVP(message));
    }
};

/// `line` written in `format`, with no newline. `colour` only counts for pretty.
///
///     pretty: 10:25:09.123 myapp back#2   1234 out  hello
///     plain:  2026-12-01T10:25:09.123Z myapp back#2 [1234] stdout: hello
///     json:   {"time":"2026-12-01T10:25:09.123Z","app":"myapp","role":"back","slot":2,...}
/// A known level takes the stream's place in pretty and plain ("warn: disk low").
std::string format_log_line(const log_line& line, log_format format, bool colour);

/// A line written in plain format read back (a log file's line); nullopt if it is not
/// one. Its seq is 0, and its stream "" where a level took the stream's place.
std::optional<log_line> parse_plain_log_line(std::string_view text);

/// `raw` made printable: valid UTF-8 kept, other bytes and control characters but tab
/// written as \xNN, a trailing CR dropped.
std::string escape_log_text(std::string_view raw);

/// If `text` starts with a mob::log level ("warn: "), that level and the rest.
std::optional<std::pair<std::string_view, std::string_view>> split_log_level(std::string_view text);

}  // namespace mob
