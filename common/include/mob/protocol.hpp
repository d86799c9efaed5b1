// mob wire protocol, version 1 (docs/protocol.md says the same for someone writing
// a worker in another language). Workers hold a DEALER, the kingpin a ROUTER; there
// is no empty delimiter frame. Every message starts with the protocol header frame
// "MOB1" and a one-byte command frame; what follows depends on the command:
//
//   worker -> broker                          broker -> worker
//   HELLO      [hello]                        WELCOME     [welcome]
//   READY                                     DELIVER     [sender][seq][topic][type][payload]
//   HEARTBEAT                                 ERROR       [seq][error]
//   SEND       [seq][target][topic][type][payload]
//   REJECT     [sender][seq][error]           HEARTBEAT
//   GOODBYE                                   STOP
//                                             HELLO_AGAIN
//
// [seq] is 8 bytes, unsigned little-endian; [target] is one kind byte and a UTF-8
// value; [hello], [welcome] and [error] are cereal portable-binary bodies; [topic],
// [type] and [sender] are UTF-8 text; [payload] is opaque to the broker.
#pragma once

#include "mob/error.hpp"

#include <zmq.hpp>
#include <zmq_addon.hpp>

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

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
    welcome = 0x81,
    deliver = 0x82,
    error = 0x83,
    stop = 0x84,
    hello_again = 0x85,
};

std::string_view to_string(command c) noexcept;

/// Who a SEND is for.
enum class target_kind : char {
    all = '*',   ///< every ready worker of every role (value empty)
    role = 'R',  ///< every ready worker of role `value`
    any = '?',   ///< the least-recently-used ready worker of role `value`
    pid = 'P',   ///< the worker whose pid is `value` (decimal)
    id = 'I',    ///< the worker whose routing id is `value`
};

struct target {
    target_kind kind = target_kind::all;
    std::string value;

    std::string encode() const;
    static std::optional<target> parse(std::string_view frame);
    std::string describe() const;
    friend bool operator==(const target&, const target&) = default;
};

/// The first thing a worker says, and again after HELLO_AGAIN.
struct hello {
    std::string app;
    std::string role;
    std::int64_t pid = 0;
    std::string host;
    std::uint64_t nonce = 0;
    bool spawned = false;  ///< started by this kingpin (it exits when the kingpin is gone)
    std::uint32_t credit = 1;
    std::vector<std::string> exports;

    template <class Archive>
    void serialize(Archive& ar) {
        ar(app, role, pid, host, nonce, spawned, credit, exports);
    }
    friend bool operator==(const hello&, const hello&) = default;
};

/// The broker's answer to HELLO: what a worker needs to know.
struct welcome {
    std::string app;
    std::string worker_id;
    std::uint32_t heartbeat_ms = 1000;
    std::uint32_t liveness = 3;  ///< heartbeats missed before the peer counts as dead
    std::vector<std::string> roles;

    template <class Archive>
    void serialize(Archive& ar) {
        ar(app, worker_id, heartbeat_ms, liveness, roles);
    }
    friend bool operator==(const welcome&, const welcome&) = default;
};

/// Why something sent could not be delivered or handled.
struct error_body {
    errc code = errc::ok;
    std::string message;

    template <class Archive>
    void serialize(Archive& ar) {
        ar(code, message);
    }
    friend bool operator==(const error_body&, const error_body&) = default;
};

std::string encode_seq(std::uint64_t seq);
std::optional<std::uint64_t> parse_seq(std::string_view frame);

/// Frames after header and command that each command carries.
std::size_t body_frames(command c) noexcept;

/// The outcome of checking a message's envelope (header, command, frame count).
struct envelope {
    command cmd{};
    errc code = errc::ok;  ///< ok, bad_frame or bad_version
    std::string reason;    ///< why, when code != ok
    bool ok() const { return code == errc::ok; }
};

/// Checks `frames` (starting at the header frame) without decoding any body.
/// `from_broker` selects which side's commands are valid.
envelope check_envelope(std::span<const zmq::message_t> frames, bool from_broker);

inline std::string_view view(const zmq::message_t& m) {
    return {static_cast<const char*>(m.data()), m.size()};
}
inline std::span<const std::byte> bytes(const zmq::message_t& m) {
    return {static_cast<const std::byte*>(m.data()), m.size()};
}

/// The message frames that start every v1 message.
inline zmq::message_t header_frame() { return zmq::message_t{header.data(), header.size()}; }
inline zmq::message_t command_frame(command c) {
    auto b = static_cast<std::uint8_t>(c);
    return zmq::message_t{&b, 1};
}

}  // namespace mob::protocol::v1

namespace mob::protocol {
using namespace v1;  // the current version
}
