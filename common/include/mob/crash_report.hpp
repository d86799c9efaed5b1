// Why a worker died, as the kingpin saw it: how the process ended (exit code or
// signal) and, when the worker runtime caught an uncaught exception on its way out,
// that exception's type and what(). The kingpin keeps the report with the worker's
// slot, logs it, gives it to the successor in WELCOME (w.last_error()) and to the
// app's on_death observer (death_info).
//
//     if (auto why = w.last_error())
//         log::warn("my predecessor died: {}", why->summary());
#pragma once

#include <fmt/format.h>

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>

namespace mob {

struct crash_report {
    std::string role;
    std::int64_t pid = 0;          ///< the dead worker's pid
    std::optional<int> exit_code;  ///< it exited with this code ...
    std::optional<int> signal;     ///< ... or was killed by this signal
    std::string signal_name;       ///< "SIGSEGV", "" if it exited
    std::string exception_type;    ///< demangled, "" if no uncaught exception was caught
    std::string exception_what;    ///< its what(), "" if not a std::exception
    std::string exception_where;   ///< "the role function", "thread 1234 (std::terminate)"
    std::string note;              ///< the kingpin's word: "not ready after 10000 ms"
    std::int64_t time = 0;         ///< when the kingpin saw it die, Unix seconds

    bool has_exception() const { return !exception_type.empty(); }

    /// One line: "back worker pid 42: exit code 1 after an uncaught std::runtime_error in
    /// the role function: disk full".
    std::string summary() const;

    /// Wire form (docs/protocol.md, "crash report"): the optionals as int32 with -1 for
    /// "no exit code" and 0 for "no signal".
    template <class Archive>
    void serialize(Archive& ar) {
        std::int32_t code = exit_code ? static_cast<std::int32_t>(*exit_code) : -1;
        std::int32_t sig = signal ? static_cast<std::int32_t>(*signal) : 0;
        ar(role, pid, code, sig, signal_name, exception_type, exception_what, exception_where, note,
           time);
        if constexpr (Archive::is_loading::value) {
            exit_code = code >= 0 ? std::optional<int>{code} : std::nullopt;
            signal = sig > 0 ? std::optional<int>{sig} : std::nullopt;
        }
    }
    friend bool operator==(const crash_report&, const crash_report&) = default;
};

/// What an app's on_death observer is told about a worker that died on its own (not
/// one the kingpin stopped: scale, reload, stop).
struct death_info {
    std::string role;
    std::int64_t pid = 0;
    std::uint64_t deaths = 0;  ///< deaths of workers of this role so far, this one included
    std::optional<int> exit_code;
    std::optional<int> signal;
    std::string signal_name;
    crash_report report;                      ///< the whole report (exception, if any, and note)
    bool restart = false;                     ///< whether the kingpin will start a successor
    std::chrono::milliseconds restart_in{0};  ///< when (0: at once)
    std::string why_not;                      ///< why not, when !restart
};

/// "SIGSEGV" for SIGSEGV, "" for a number that is no signal.
std::string signal_name(int sig);

}  // namespace mob

template <>
struct fmt::formatter<mob::crash_report> : fmt::formatter<std::string_view> {
    template <class Context>
    auto format(const mob::crash_report& r, Context& ctx) const {
        return fmt::formatter<std::string_view>::format(r.summary(), ctx);
    }
};
