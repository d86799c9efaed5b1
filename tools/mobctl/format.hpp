// What mobctl prints: tables, durations and times (format.cpp), the views of status,
// events and top (views.cpp), and the Prometheus text exposition (prometheus.cpp).
#pragma once

#include <mob/control.hpp>

#include <string>
#include <vector>

namespace mob::ctl {

struct column {
    std::string title;
    bool right = false;  ///< right-aligned (numbers)
};

/// Rows under their column titles (no titles if `header` is false), each column as
/// wide as its widest cell, two spaces apart, no trailing blanks. The last cell of a
/// row shorter than the table spans the columns left (and does not widen them).
std::string table(const std::vector<column>& columns,
                  const std::vector<std::vector<std::string>>& rows, bool header = true);

/// A duration in seconds as "0.4s", "42s", "3m12s", "2h05m" or "3d04h".
std::string duration(double seconds);

/// A size in bytes as "512B", "812K", "12.3M" or "1.20G" (powers of 1024).
std::string bytes(std::uint64_t n);

/// A time in seconds since the Unix epoch as local "YYYY-MM-DD HH:MM:SS.mmm".
std::string clock_time(double epoch_seconds);

/// "back 4/4 front 2/2": each role as ready/target.
std::string roles_summary(const control::app_status& s);

/// `mobctl status`: the app, then a table of roles and one of workers (short worker ids
/// unless `wide`).
std::string status_view(const control::app_status& s, bool wide = false);

/// One line of `mobctl events`: seq, time, source, kind, endpoint, detail.
std::string event_line(const control::event& e);

/// One refresh of `mobctl top`: a row per role, then one per worker; rates from the counters of
/// `before` and `now`, taken `seconds` apart.
std::string top_view(const control::app_status& before, const control::app_status& now,
                     double seconds);

/// `mobctl describe`: each role's settings and last deaths.
std::string describe_view(const control::app_description& d);

/// `mobctl metrics`: the Prometheus text exposition format (version 0.0.4).
std::string prometheus(const control::app_status& s);

}  // namespace mob::ctl
