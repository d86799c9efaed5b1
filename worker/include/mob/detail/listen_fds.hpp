// The worker's side of shared listening sockets: descriptors passed by the kingpin
// following systemd's socket activation convention (LISTEN_FDS, LISTEN_PID,
// LISTEN_FDNAMES; the descriptors start at 3). worker::listener() looks names up here.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace mob::detail {

/// A descriptor this process inherited, under its name.
struct listen_fd {
    std::string name;
    int fd = -1;
};

/// Parses the three variables as sd_listen_fds_with_names() does: empty when
/// LISTEN_FDS or LISTEN_PID is unset or LISTEN_PID is not `self` (they are meant for
/// another process); names missing or fewer than the descriptors are "unknown".
/// Throws mob::error when LISTEN_FDS or LISTEN_PID is not a number.
std::vector<listen_fd> parse_listen_fds(const char* fds, const char* pid, const char* names,
                                        long self);

/// This process's inherited descriptors, taken on the first call: parsed from the
/// environment, the variables then unset (a program this one starts must not take
/// them for its own) and each descriptor made CLOEXEC (nor inherit them). Later calls
/// return the same table. mob::serve() calls it before any thread starts.
const std::vector<listen_fd>& inherited_listen_fds();

/// The descriptor named `name` in `table`; throws mob::error naming it and the names
/// there are.
int find_listen_fd(const std::vector<listen_fd>& table, std::string_view name);

}  // namespace mob::detail
