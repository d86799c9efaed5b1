// A plain log line read back (from a log file, for `mobctl logs --lines N` past the
// kingpin's ring): the inverse of format_log_line(..., log_format::plain).
#include <charconv>
#include <ctime>

#include "mob/log_line.hpp"

namespace mob {

namespace {

/// `text` up to the first space, and what follows it.
std::pair<std::string_view, std::string_view> word(std::string_view text) {
    auto space = text.find(' ');
    if (space == std::string_view::npos)
        return {text, {}};
    return {text.substr(0, space), text.substr(space + 1)};
}

template <class T>
bool number(std::string_view text, T& out) {
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), out);
    return ec == std::errc{} && end == text.data() + text.size();
}

/// "2026-12-01T10:25:09.123Z" as milliseconds since the epoch.
std::optional<std::int64_t> parse_iso_time(std::string_view t) {
    if (t.size() != 24 || t[4] != '-' || t[7] != '-' || t[10] != 'T' || t[13] != ':' ||
        t[16] != ':' || t[19] != '.' || t[23] != 'Z')
        return std::nullopt;
    std::tm tm{};
    int ms = 0;
    if (!number(t.substr(0, 4), tm.tm_year) || !number(t.substr(5, 2), tm.tm_mon) ||
        !number(t.substr(8, 2), tm.tm_mday) || !number(t.substr(11, 2), tm.tm_hour) ||
        !number(t.substr(14, 2), tm.tm_min) || !number(t.substr(17, 2), tm.tm_sec) ||
        !number(t.substr(20, 3), ms))
        return std::nullopt;
    tm.tm_year -= 1900;
    tm.tm_mon -= 1;
    return static_cast<std::int64_t>(::timegm(&tm)) * 1000 + ms;
}

bool is_level(std::string_view tag) {
    return tag == "debug" || tag == "info" || tag == "warn" || tag == "error";
}

}  // namespace

std::optional<log_line> parse_plain_log_line(std::string_view text) {
    // TIME APP WHO [PID] TAG: MESSAGE, WHO being ROLE#SLOT or "kingpin", TAG a stream
    // or a level.
    log_line l;
    auto [time, rest] = word(text);
    auto ms = parse_iso_time(time);
    if (!ms)
        return std::nullopt;
    l.time_ms = *ms;
    auto [app, after_app] = word(rest);
    auto [who, after_who] = word(after_app);
    auto [pid, after_pid] = word(after_who);
    if (app.empty() || who.empty() || pid.size() < 3 || pid.front() != '[' || pid.back() != ']' ||
        !number(pid.substr(1, pid.size() - 2), l.pid))
        return std::nullopt;
    l.app = app;
    if (auto hash = who.rfind('#'); hash != std::string_view::npos) {
        if (!number(who.substr(hash + 1), l.slot) || l.slot < 0)
            return std::nullopt;
        l.role = who.substr(0, hash);
    } else {
        l.role = who;
    }
    auto colon = after_pid.find(": ");
    if (colon == std::string_view::npos)
        return std::nullopt;
    auto tag = after_pid.substr(0, colon);
    if (tag == "stdout" || tag == "stderr")
        l.stream = tag;
    else if (is_level(tag))
        l.level = tag;
    else
        return std::nullopt;
    if (l.role == "kingpin")
        l.stream = "stderr";  // the kingpin writes its own lines there
    l.message = after_pid.substr(colon + 2);
    return l;
}

}  // namespace mob
