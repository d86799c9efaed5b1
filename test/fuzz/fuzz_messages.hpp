// How an input's bytes become a message (fuzz_input.hpp): a message of arbitrary frames,
// or one of the protocol's own builders with fields chosen from small sets (roles,
// methods, pids, the peers' routing ids, the tickets the sender holds), so the fuzzer
// reaches deep states of the broker without guessing names or numbers. The bytes read,
// and their order, are the input format: change them and the corpus means other things.
#pragma once

#include "fuzz_input.hpp"
#include "mob/protocol.hpp"

#include <array>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace mob::fuzz {

inline constexpr std::array<std::string_view, 4> roles{"back", "front", "nosuch", ""};
inline constexpr std::array<std::string_view, 4> methods{"add", "ping", "nosuch", ""};
/// 101 and 102 are the kingpin's local children.
inline constexpr std::array<std::int64_t, 4> pids{101, 102, 1000, 0};
inline constexpr std::size_t peer_count = 4;

/// What the fields of a message are chosen among.
struct message_context {
    std::span<const std::string> peer_ids;   ///< routing ids, by peer index
    std::string_view host;                   ///< this host's name (local workers)
    std::span<const std::uint64_t> tickets;  ///< the sender's REQUESTs not answered yet
};

/// The message of `o`, one of the operations hello ... signal, read from `in` after the
/// byte that picked the sender.
protocol::frames message_from(op o, input& in, const message_context& ctx);

/// A message of arbitrary frames; `b` (its operation's first byte) says how the header
/// frame is made (bits 2-3): from the input like the rest, "MOB1" and an input byte,
/// "MOB", a version byte and a command byte, or a v1 command of the table with its
/// number of body frames.
protocol::frames raw_message(std::uint8_t b, input& in);

}  // namespace mob::fuzz
