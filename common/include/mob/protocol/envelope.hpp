// The envelope of every v1 message: one header frame ("MOB1" and the command byte),
// then the command's body frames. check_envelope() is the first thing either side does
// with a message it receives; it decodes no body.
#pragma once

#include "mob/error.hpp"
#include "mob/protocol/commands.hpp"

#include <zmq.hpp>
#include <zmq_addon.hpp>

#include <cstdint>
#include <initializer_list>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace mob::protocol::v1 {

/// A message's frames (after the routing id, on the broker's side).
using frames = std::vector<zmq::message_t>;

/// The outcome of checking a message's envelope (header, command, frame count).
struct envelope {
    command cmd{};
    errc code = errc::ok;  ///< ok, bad_frame or bad_version
    std::string reason;    ///< why, when code != ok
    /// What was wrong, as a counter's name: "malformed" (no MOB1 header frame, or no
    /// frames), "bad_version", "unknown_command", "short" (too few body frames) or
    /// "long" (too many); "" when ok.
    std::string_view kind;
    /// For a SEND refused here: its seq (frame 1, if 8 bytes), so the ERROR names it.
    std::uint64_t seq = 0;
    bool ok() const { return code == errc::ok; }
};

/// The command of a header frame ("MOB1" and the command byte), if it is one.
std::optional<command> command_of(const zmq::message_t& header) noexcept;

/// Checks `frames` (starting at the header frame) without decoding any body.
/// `from_broker` selects which side's commands are valid.
envelope check_envelope(std::span<const zmq::message_t> msg, bool from_broker);

inline std::string_view view(const zmq::message_t& m) {
    return {static_cast<const char*>(m.data()), m.size()};
}
inline std::span<const std::byte> bytes(const zmq::message_t& m) {
    return {static_cast<const std::byte*>(m.data()), m.size()};
}

/// The frame that starts every v1 message: "MOB1" and the command byte.
zmq::message_t header_frame(command c);

/// A whole v1 message: the header frame of `c`, then `parts` (frames, moved in).
template <typename... Parts>
frames build(command c, Parts&&... parts) {
    frames f;
    f.reserve(1 + sizeof...(Parts));
    f.push_back(header_frame(c));
    (f.push_back(std::forward<Parts>(parts)), ...);
    return f;
}

/// A whole v1 message: the header frame, then one frame per part (copied). For tests
/// and hand-made peers; mob's own code uses the builders of messages.hpp.
frames make_message(command c, std::initializer_list<std::string_view> parts);

}  // namespace mob::protocol::v1
