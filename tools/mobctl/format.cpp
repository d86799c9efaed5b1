#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <ctime>

#include "format.hpp"

namespace mob::ctl {

namespace {

/// Whether cell `c` is the last of a row shorter than the table: it spans the rest.
bool spans(const std::vector<std::string>& row, std::size_t c, std::size_t columns) {
    return row.size() < columns && c + 1 == row.size();
}

}  // namespace

std::string table(const std::vector<column>& columns,
                  const std::vector<std::vector<std::string>>& rows, bool header) {
    std::vector<std::size_t> width(columns.size(), 0);
    for (std::size_t c = 0; c < columns.size(); ++c) {
        if (header)
            width[c] = columns[c].title.size();
        for (const auto& row : rows) {
            if (c < row.size() && !spans(row, c, columns.size()))
                width[c] = std::max(width[c], row[c].size());
        }
    }
    std::string out;
    auto line = [&](std::size_t cells, auto cell) {
        std::string text;
        for (std::size_t c = 0; c < cells; ++c) {
            const std::string& v = cell(c);
            if (c > 0)
                text += "  ";
            text += columns[c].right ? fmt::format("{:>{}}", v, width[c])
                                     : fmt::format("{:<{}}", v, width[c]);
        }
        text.erase(text.find_last_not_of(' ') + 1);
        out += text + "\n";
    };
    if (header)
        line(columns.size(), [&](std::size_t c) -> const std::string& { return columns[c].title; });
    for (const auto& row : rows) {
        line(std::min(row.size(), columns.size()),
             [&](std::size_t c) -> const std::string& { return row[c]; });
    }
    return out;
}

std::string duration(double seconds) {
    if (!std::isfinite(seconds) || seconds < 0)
        return "-";
    if (seconds < 10)
        return fmt::format("{:.1f}s", seconds);
    auto s = static_cast<std::uint64_t>(seconds);
    if (s < 60)
        return fmt::format("{}s", s);
    if (s < 3600)
        return fmt::format("{}m{:02}s", s / 60, s % 60);
    if (s < 86400)
        return fmt::format("{}h{:02}m", s / 3600, s % 3600 / 60);
    return fmt::format("{}d{:02}h", s / 86400, s % 86400 / 3600);
}

std::string bytes(std::uint64_t n) {
    constexpr double k = 1024.0;
    auto v = static_cast<double>(n);
    if (v < k)
        return fmt::format("{}B", n);
    if (v < k * k)
        return fmt::format("{:.0f}K", v / k);
    if (v < k * k * k)
        return fmt::format("{:.1f}M", v / (k * k));
    return fmt::format("{:.2f}G", v / (k * k * k));
}

std::string clock_time(double epoch_seconds) {
    if (!std::isfinite(epoch_seconds) || epoch_seconds <= 0)
        return "-";
    auto whole = static_cast<std::time_t>(epoch_seconds);
    auto ms = static_cast<int>((epoch_seconds - static_cast<double>(whole)) * 1000);
    std::tm tm{};
    ::localtime_r(&whole, &tm);
    char buf[32];
    std::strftime(buf, sizeof buf, "%Y-%m-%d %H:%M:%S", &tm);
    return fmt::format("{}.{:03}", buf, std::clamp(ms, 0, 999));
}

}  // namespace mob::ctl
