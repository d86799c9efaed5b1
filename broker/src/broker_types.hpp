// What the broker's parts share: the frames of a message, the clock they are handed
// (never read by them: the kingpin's loop passes `now`, a unit test its own time), and
// the small integer that names a worker in every table of the broker.
#pragma once

#include "mob/protocol.hpp"

#include <chrono>
#include <cstdint>
#include <functional>
#include <string_view>

namespace mob::detail {

using frames = protocol::frames;
using clock = std::chrono::steady_clock;

/// A worker, from its hello until it is forgotten. Handed out in order and never reused
/// within a kingpin run, so a stale handle finds nothing rather than another worker;
/// the routing id string is looked up once per incoming message, and every table of
/// calls and queues names the worker by this instead.
using worker_handle = std::uint32_t;

/// An index into the role table (roles are fixed for the kingpin's life).
using role_index = std::uint32_t;

/// Hashes std::string and std::string_view alike, so a routing id read off the socket
/// is looked up without first being copied into a std::string.
struct id_hash {
    using is_transparent = void;
    std::size_t operator()(std::string_view s) const noexcept {
        return std::hash<std::string_view>{}(s);
    }
};

}  // namespace mob::detail
