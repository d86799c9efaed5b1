// mob-scale-bench's messaging figures: how fast one sender's messages reach the echo
// workers through the kingpin, sent to any one of the role (least recently used) and to
// all of it (a broadcast, one copy per worker).
//
// The echo workers count "tick" messages; a "flush" sent to all of them after the
// ticks makes each send its count back ("count"). Each worker gets its ticks and then
// the flush in order (one path: sender -> kingpin -> worker), so once every count is
// in, every tick has been delivered; undelivered ones come back as send errors, which
// are counted instead of waited for.
#pragma once

#include <mob/worker.hpp>

#include <cstddef>
#include <cstdint>
#include <string>

namespace bench {

/// The echo role's side: count ticks, answer a flush with the count (and start again).
void count_ticks(mob::worker& w);

struct message_figures {
    double any_per_s = 0;             ///< any(): messages delivered per second
    double all_deliveries_per_s = 0;  ///< all(): copies delivered per second
    double errors = 0;                ///< sends that came back undelivered, both runs
};

/// One sender joined as a worker of "client" at `endpoint` (app `app`): `any_messages`
/// to any echo worker, then `all_messages` to all `workers` of them.
message_figures measure_messaging(const std::string& endpoint, const std::string& app,
                                  std::uint32_t workers, std::size_t any_messages,
                                  std::size_t all_messages);

}  // namespace bench
