// Peers refused at the TCP endpoint's door, counted by reason for `mobctl status` and
// logged once per peer and reason per interval: a worker with a wrong key retries every
// second or so, forever, and one line a minute about it is enough (the count says the
// rest). Time comes from the caller, so a unit test drives it.
#pragma once

#include "broker_types.hpp"

#include <chrono>
#include <cstdint>
#include <map>
#include <string>
#include <string_view>

namespace mob::detail {

class refusal_log {
  public:
    explicit refusal_log(std::chrono::milliseconds interval = std::chrono::seconds{60})
        : interval_(interval) {}

    /// Counts one refusal of `peer` for `reason` ("unknown_key", "not_curve", ...);
    /// returns true (and logs "refused " + `what`, which names the peer) if this peer was not
    /// logged for it in the last interval. The line says how many went unsaid since the last one.
    bool refuse(std::string_view reason, std::string_view peer, std::string_view what,
                clock::time_point now);
    /// Refusals so far, by reason.
    const std::map<std::string, std::uint64_t>& counts() const noexcept { return counts_; }
    std::uint64_t total() const noexcept { return total_; }

  private:
    struct peer_state {
        clock::time_point logged;
        std::uint64_t unsaid = 0;
    };
    std::chrono::milliseconds interval_;
    std::map<std::string, std::uint64_t> counts_;
    std::map<std::string, peer_state, std::less<>> peers_;  ///< by "reason peer"
    std::uint64_t total_ = 0;
};

}  // namespace mob::detail
