#include "mob/log_line.hpp"

#include <fmt/format.h>

#include <array>
#include <ctime>

namespace mob {

namespace {

std::tm split_time(std::int64_t ms, bool utc) {
    std::time_t secs = static_cast<std::time_t>(ms / 1000);
    std::tm t{};
    if (utc)
        ::gmtime_r(&secs, &t);
    else
        ::localtime_r(&secs, &t);
    return t;
}

std::string iso_time(std::int64_t ms) {
    auto t = split_time(ms, true);
    return fmt::format("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:03}Z", t.tm_year + 1900, t.tm_mon + 1,
                       t.tm_mday, t.tm_hour, t.tm_min, t.tm_sec, ms % 1000);
}

std::string who(const log_line& l) {
    return l.slot >= 0 ? fmt::format("{}#{}", l.role, l.slot) : l.role;
}

std::string_view short_stream(const log_line& l) {
    if (!l.level.empty())
        return l.level;
    return l.stream == "stderr" ? "err" : "out";
}

/// The role's colour: the same role always gets the same one.
std::string_view role_colour(std::string_view role) {
    static constexpr std::array<std::string_view, 6> colours{"\033[36m", "\033[35m", "\033[34m",
                                                             "\033[32m", "\033[96m", "\033[95m"};
    if (role == "kingpin")
        return "\033[1m";
    std::size_t h = 0;
    for (char c : role)
        h = h * 31 + static_cast<unsigned char>(c);
    return colours[h % colours.size()];
}

std::string_view level_colour(const log_line& l) {
    if (l.level == "error")
        return "\033[31m";
    if (l.level == "warn")
        return "\033[33m";
    if (l.level == "debug")
        return "\033[2m";
    if (l.level.empty() && l.stream == "stderr")
        return "\033[33m";
    return "";
}

void json_string(std::string& out, std::string_view s) {
    out.push_back('"');
    for (char ch : s) {
        auto c = static_cast<unsigned char>(ch);
        switch (c) {
            case '"':
                out += "\\\"";
                break;
            case '\\':
                out += "\\\\";
                break;
            case '\t':
                out += "\\t";
                break;
            default:
                if (c < 0x20)
                    out += fmt::format("\\u{:04x}", c);
                else
                    out.push_back(ch);
        }
    }
    out.push_back('"');
}

/// The length of the valid UTF-8 sequence at `s`, or 0.
std::size_t utf8_length(std::string_view s) {
    auto b = [&](std::size_t i) { return static_cast<unsigned char>(s[i]); };
    auto cont = [&](std::size_t i) { return i < s.size() && (b(i) & 0xc0) == 0x80; };
    unsigned char c = b(0);
    if (c >= 0xc2 && c <= 0xdf && cont(1))
        return 2;
    if (c >= 0xe0 && c <= 0xef && cont(1) && cont(2)) {
        if ((c == 0xe0 && b(1) < 0xa0) || (c == 0xed && b(1) >= 0xa0))
            return 0;  // overlong, or a surrogate
        return 3;
    }
    if (c >= 0xf0 && c <= 0xf4 && cont(1) && cont(2) && cont(3)) {
        if ((c == 0xf0 && b(1) < 0x90) || (c == 0xf4 && b(1) >= 0x90))
            return 0;
        return 4;
    }
    return 0;
}

}  // namespace

std::optional<log_format> parse_log_format(std::string_view name) {
    if (name == "pretty")
        return log_format::pretty;
    if (name == "plain")
        return log_format::plain;
    if (name == "json")
        return log_format::json;
    return std::nullopt;
}

std::string escape_log_text(std::string_view raw) {
    if (!raw.empty() && raw.back() == '\r')
        raw.remove_suffix(1);
    std::string out;
    out.reserve(raw.size());
    for (std::size_t i = 0; i < raw.size();) {
        auto c = static_cast<unsigned char>(raw[i]);
        if (c >= 0x20 && c < 0x7f) {
            out.push_back(raw[i++]);
        } else if (c == '\t') {
            out.push_back('\t');
            ++i;
        } else if (auto n = c >= 0x80 ? utf8_length(raw.substr(i)) : 0; n > 0) {
            out.append(raw.substr(i, n));
            i += n;
        } else {
            out += fmt::format("\\x{:02x}", c);
            ++i;
        }
    }
    return out;
}

std::optional<std::pair<std::string_view, std::string_view>> split_log_level(
    std::string_view text) {
    for (std::string_view level : {"debug", "info", "warn", "error"}) {
        if (text.size() > level.size() + 1 && text.substr(0, level.size()) == level &&
            text.substr(level.size(), 2) == ": ") {
            return std::pair{level, text.substr(level.size() + 2)};
        }
    }
    return std::nullopt;
}

std::string format_log_line(const log_line& l, log_format format, bool colour) {
    switch (format) {
        case log_format::json: {
            std::string out = "{\"time\":";
            json_string(out, iso_time(l.time_ms));
            out += ",\"app\":";
            json_string(out, l.app);
            out += ",\"role\":";
            json_string(out, l.role);
            out += l.slot >= 0 ? fmt::format(",\"slot\":{}", l.slot) : ",\"slot\":null";
            out += fmt::format(",\"pid\":{},\"stream\":", l.pid);
            json_string(out, l.stream);
            out += ",\"level\":";
            if (l.level.empty())
                out += "null";
            else
                json_string(out, l.level);
            out += ",\"message\":";
            json_string(out, l.message);
            out += "}";
            return out;
        }
        case log_format::plain:
            return fmt::format("{} {} {} [{}] {}: {}", iso_time(l.time_ms), l.app, who(l), l.pid,
                               l.level.empty() ? std::string_view{l.stream} : l.level, l.message);
        case log_format::pretty:
            break;
    }
    auto t = split_time(l.time_ms, false);
    auto time =
        fmt::format("{:02}:{:02}:{:02}.{:03}", t.tm_hour, t.tm_min, t.tm_sec, l.time_ms % 1000);
    if (!colour) {
        return fmt::format("{} {} {:<10} {:>7} {:<5} {}", time, l.app, who(l), l.pid,
                           short_stream(l), l.message);
    }
    auto lc = level_colour(l);
    return fmt::format("\033[2m{}\033[0m {} {}{:<10}\033[0m {:>7} {}{:<5}\033[0m {}{}{}", time,
                       l.app, role_colour(l.role), who(l), l.pid, lc, short_stream(l), lc,
                       l.message, lc.empty() ? "" : "\033[0m");
}

}  // namespace mob
