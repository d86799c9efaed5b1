// The commands of mob's wire protocol v1, written once: one table gives each command's
// code, name, number of body frames and who may send it. Every switch over commands
// (names, envelope checks) and every test list is derived from it; docs/protocol.md
// says the same for someone writing a worker in another language.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <string_view>

namespace mob::protocol::v1 {

inline constexpr std::string_view header = "MOB1";
inline constexpr std::string_view header_family = "MOB";

enum class command : std::uint8_t {
    hello = 0x01,
    ready = 0x02,
    heartbeat = 0x03,
    send = 0x04,
    reject = 0x05,
    goodbye = 0x06,
    call = 0x07,
    reply = 0x08,
    invoke = 0x09,
    release = 0x0a,
    scale = 0x0b,
    stop_app = 0x0c,
    welcome = 0x81,
    deliver = 0x82,
    error = 0x83,
    stop = 0x84,
    hello_again = 0x85,
    request = 0x86,
    result = 0x87,
    invoked = 0x88,
    released = 0x89,
    lost = 0x8a,
    holder_gone = 0x8b,
};

/// Who may send a command.
enum class direction : std::uint8_t {
    to_broker = 1,  ///< worker -> broker
    to_worker = 2,  ///< broker -> worker
    both = 3,
};

struct command_info {
    command code;
    std::string_view name;
    std::uint8_t body_frames;  ///< frames after the header frame
    direction dir;
    /// Frames that may follow the body frames: only a RESULT's [served by], sent when
    /// the CALL asked for it (call_report_server), so a peer that never asks never
    /// sees one.
    std::uint8_t optional_frames = 0;
};

/// Every v1 command, once (docs/protocol.md "Commands").
inline constexpr std::array<command_info, 23> commands{{
    {command::hello, "HELLO", 1, direction::to_broker},
    {command::ready, "READY", 1, direction::to_broker},
    {command::heartbeat, "HEARTBEAT", 0, direction::both},
    {command::send, "SEND", 5, direction::to_broker},
    {command::reject, "REJECT", 3, direction::to_broker},
    {command::goodbye, "GOODBYE", 0, direction::to_broker},
    {command::call, "CALL", 2, direction::to_broker},
    {command::reply, "REPLY", 2, direction::to_broker},
    {command::invoke, "INVOKE", 5, direction::to_broker},
    {command::release, "RELEASE", 2, direction::to_broker},
    {command::scale, "SCALE", 3, direction::to_broker},
    {command::stop_app, "STOP_APP", 2, direction::to_broker},
    {command::welcome, "WELCOME", 1, direction::to_worker},
    {command::deliver, "DELIVER", 5, direction::to_worker},
    {command::error, "ERROR", 2, direction::to_worker},
    {command::stop, "STOP", 0, direction::to_worker},
    {command::hello_again, "HELLO_AGAIN", 0, direction::to_worker},
    {command::request, "REQUEST", 2, direction::to_worker},
    {command::result, "RESULT", 2, direction::to_worker, 1},
    {command::invoked, "INVOKED", 5, direction::to_worker},
    {command::released, "RELEASED", 2, direction::to_worker},
    {command::lost, "LOST", 1, direction::to_worker},
    {command::holder_gone, "HOLDER_GONE", 1, direction::to_worker},
}};

/// The table's entry for a command byte, or null for a byte that is no v1 command.
namespace detail {
// The table by command byte, made at compile time: every message looks its command up.
inline constexpr auto command_index = [] {
    std::array<const command_info*, 256> index{};
    for (const auto& c : commands)
        index[static_cast<std::uint8_t>(c.code)] = &c;
    return index;
}();
}  // namespace detail

constexpr const command_info* find_command(std::uint8_t byte) noexcept {
    return detail::command_index[byte];
}
constexpr const command_info* find_command(command c) noexcept {
    return find_command(static_cast<std::uint8_t>(c));
}

/// Whether `c` may be sent that way: by a worker (to_broker) or by the broker (to_worker).
constexpr bool sent_toward(command c, direction way) noexcept {
    const auto* info = find_command(c);
    return info != nullptr &&
           (static_cast<std::uint8_t>(info->dir) & static_cast<std::uint8_t>(way)) != 0;
}

/// "HELLO", "CALL", ... ("UNKNOWN" for a byte that is no command).
constexpr std::string_view to_string(command c) noexcept {
    const auto* info = find_command(c);
    return info != nullptr ? info->name : std::string_view{"UNKNOWN"};
}

/// Frames after the header frame that each command carries.
constexpr std::size_t body_frames(command c) noexcept {
    const auto* info = find_command(c);
    return info != nullptr ? info->body_frames : 0;
}

}  // namespace mob::protocol::v1
