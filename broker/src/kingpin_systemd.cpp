// What the kingpin tells systemd about the app, and when (systemd_notify.hpp sends it):
// the STATUS= line with each role's counts, READY=1 the first time the app is full and
// again at the end of a reload. docs/systemd.md.
#include "kingpin_state.hpp"

#include <fmt/format.h>

namespace mob::detail {

std::string kingpin::role_counts() const {
    std::string counts;
    for (role_index i = 0; i < roles_.size(); ++i) {
        counts += fmt::format("{}{} {}/{}", counts.empty() ? "" : ", ", roles_[i].name(),
                              broker_.ready_count(i), roles_[i].target);
    }
    return counts;
}

void kingpin::notify_status() {
    if (!notify_.enabled() || stopping_)
        return;  // no string built for no one; STOPPING=1 said the last word
    // Reloading until READY=1 says it is over (check_reload_done, on the next tick).
    const char* state = workers_.reloading() || notified_reloading_ ? "reloading"
                        : full_                                     ? "full"
                        : notified_ready_                           ? "not full"
                                                                    : "starting";
    notify_.status(fmt::format("{}: {}", state, role_counts()));
}

void kingpin::check_reload_done() {
    if (workers_.reloading() || stopping_)
        return;
    notified_reloading_ = false;
    // Done or stopped half-way: either way the app serves again, as it is.
    notified_ready_ = true;
    notify_.ready(fmt::format("{}: {}", full_ ? "full" : "not full", role_counts()));
}

}  // namespace mob::detail
