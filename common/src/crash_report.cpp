#include "mob/crash_report.hpp"

#include "mob/detail/crash_record.hpp"

#include <string.h>

#include <algorithm>
#include <cstring>

namespace mob {

std::string signal_name(int sig) {
    const char* abbrev = ::sigabbrev_np(sig);
    return abbrev != nullptr ? std::string{"SIG"} + abbrev : std::string{};
}

std::string crash_report::summary() const {
    std::string how;
    if (exit_code) {
        how = fmt::format("exit code {}", *exit_code);
    } else if (signal) {
        how = signal_name.empty() ? fmt::format("signal {}", *signal)
                                  : fmt::format("signal {}", signal_name);
    } else {
        how = "unknown end";
    }
    auto line = fmt::format("{} worker pid {}: {}", role, pid, how);
    if (has_exception()) {
        line += fmt::format(" after an uncaught {}", exception_type);
        if (!exception_where.empty())
            line += fmt::format(" in {}", exception_where);
        if (!exception_what.empty())
            line += fmt::format(": {}", exception_what);
    }
    if (!note.empty())
        line += fmt::format(" ({})", note);
    return line;
}

namespace detail {

std::size_t format_crash_record(char* buf, const char* where, const char* type,
                                const char* what) noexcept {
    std::size_t n = 0;
    auto put = [&](const char* s, std::size_t limit) {
        std::size_t len = s != nullptr ? ::strnlen(s, limit) : 0;
        if (len > 0)  // memcpy from a null pointer is undefined, even for 0 bytes
            std::memcpy(buf + n, s, len);
        n += len;
        buf[n++] = '\0';
    };
    put(crash_record_magic.data(), crash_record_magic.size());
    // Room is kept for the terminators that follow each field.
    put(where, std::min<std::size_t>(256, crash_record_max - n - 3));
    put(type, std::min<std::size_t>(1024, crash_record_max - n - 2));
    put(what, crash_record_max - n - 1);
    return n;
}

std::optional<crash_record> parse_crash_record(std::string_view bytes) {
    std::string_view fields[4];
    for (auto& field : fields) {
        auto end = bytes.find('\0');
        if (end == std::string_view::npos)
            return std::nullopt;
        field = bytes.substr(0, end);
        bytes.remove_prefix(end + 1);
    }
    if (fields[0] != crash_record_magic)
        return std::nullopt;
    return crash_record{std::string{fields[1]}, std::string{fields[2]}, std::string{fields[3]}};
}

}  // namespace detail
}  // namespace mob
