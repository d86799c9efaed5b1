// A small fmt-based logger used by every mob process: one line per event,
// prefixed with app, role and pid, coloured only on a terminal, level from
// MOB_LOG (debug|info|warn|error, default info). In a worker whose output the kingpin
// captures ($MOB_LOG_CAPTURED), a line is only "level: text": the kingpin adds the
// prefix. The kingpin sends its own lines to its log output through a sink.
#pragma once

#include <fmt/format.h>

#include <string>
#include <string_view>

namespace mob::log {

enum class level { debug = 0, info = 1, warn = 2, error = 3, off = 4 };

/// Sets the "app role" part of the prefix for this process, e.g. ("myapp", "kingpin").
void set_context(std::string_view app, std::string_view role);
/// Where this process's lines go instead of stderr (the kingpin's log output), with
/// `context` passed back; nullptr for stderr again. Called on the writing thread.
using sink_function = void (*)(void* context, level l, std::string_view text);
void set_sink(sink_function sink, void* context) noexcept;
/// "debug", "info", "warn", "error".
std::string_view level_name(level l) noexcept;

/// The current threshold; lines below it are skipped before formatting.
level threshold() noexcept;
void set_threshold(level l) noexcept;
/// Writes one whole line to stderr with a single write(2), so lines from many
/// processes sharing a pipe never interleave.
void write(level l, std::string_view text);

template <typename... Args>
void emit(level l, fmt::format_string<Args...> f, Args&&... args) {
    if (l < threshold())
        return;
    write(l, fmt::format(f, std::forward<Args>(args)...));
}
template <typename... Args>
void debug(fmt::format_string<Args...> f, Args&&... args) {
    emit(level::debug, f, std::forward<Args>(args)...);
}
template <typename... Args>
void info(fmt::format_string<Args...> f, Args&&... args) {
    emit(level::info, f, std::forward<Args>(args)...);
}
template <typename... Args>
void warn(fmt::format_string<Args...> f, Args&&... args) {
    emit(level::warn, f, std::forward<Args>(args)...);
}
template <typename... Args>
void error(fmt::format_string<Args...> f, Args&&... args) {
    emit(level::error, f, std::forward<Args>(args)...);
}

}  // namespace mob::log
