// mob wire protocol, version 1 (docs/protocol.md says the same for someone writing
// a worker in another language). Workers hold a DEALER, the kingpin a ROUTER; there
// is no empty delimiter frame. Every message starts with one header frame: the 4 bytes
// "MOB1" and the command byte (one frame, not two: every frame costs on every hop);
// what follows depends on the command:
//
//   worker -> broker                          broker -> worker
//   HELLO      [hello]                        WELCOME     [welcome]
//   READY      [ready]                        DELIVER     [sender][seq][topic][type][payload]
//   HEARTBEAT                                 ERROR       [seq][error]
//   SEND       [seq][target][topic][type][payload]
//   REJECT     [sender][seq][error]           HEARTBEAT
//   GOODBYE                                   STOP
//                                             HELLO_AGAIN
//   CALL       [call head][args]
//                                             REQUEST     [call head][args]
//   REPLY      [outcome][body]
//                                             RESULT      [outcome][body]
//   INVOKE     [seq][origin][callback][types][args]
//                                             INVOKED     [invoker][seq][callback][types][args]
//   RELEASE    [origin][callback]             RELEASED    [holder][callback]
//   SCALE      [call][role][delta]            (answered with RESULT)
//
// [seq], [call] and [callback] are 8 bytes, unsigned little-endian; [delta] is 4 bytes,
// signed little-endian; [target] is one kind byte and a UTF-8 value; [hello], [welcome],
// [ready] and [error] are cereal portable-binary bodies; [call head] and [outcome] pack a
// call's fixed fields into one frame (call_head, outcome below: the calls are the hot
// path, and every frame costs on every hop); [topic], [type], [types], [sender],
// [origin], [role] and [method] are UTF-8 text; [payload], [args] and [body] are opaque
// to the broker.
#pragma once

#include "mob/crash_report.hpp"
#include "mob/error.hpp"

#include <zmq.hpp>
#include <zmq_addon.hpp>

#include <cstdint>
#include <initializer_list>
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
    call = 0x07,
    reply = 0x08,
    invoke = 0x09,
    release = 0x0a,
    scale = 0x0b,
    welcome = 0x81,
    deliver = 0x82,
    error = 0x83,
    stop = 0x84,
    hello_again = 0x85,
    request = 0x86,
    result = 0x87,
    invoked = 0x88,
    released = 0x89,
};

/// Flags of a call (in its call head).
enum call_flags : std::uint8_t {
    call_idempotent = 0x01,  ///< the broker may run it again on another worker if one dies
    call_oneway = 0x02,      ///< the caller wants no result (errors still come back)
};

/// A call's flags and the caller's timeout (0: none).
struct call_options {
    std::uint8_t flags = 0;
    std::uint32_t timeout_ms = 0;
    friend bool operator==(const call_options&, const call_options&) = default;
};

/// The [call head] frame of CALL and REQUEST: id (8, LE), flags (1), timeout ms (4, LE),
/// role size (1), role, method size (1), method, then types to the end of the frame. In
/// a CALL the id is the caller's call id; in a REQUEST, the broker's ticket for it.
/// The views point into the parsed frame (or what encode() is given).
struct call_head {
    static constexpr std::size_t fixed_size = 8 + 1 + 4 + 1 + 1;
    static constexpr std::size_t max_name = 255;  ///< longest role or method name

    std::uint64_t id = 0;
    call_options options;
    std::string_view role;
    std::string_view method;
    std::string_view types;

    /// Throws std::length_error for a role or method longer than max_name.
    zmq::message_t encode() const;
    /// nullopt for a frame too short, sizes past its end, or unknown flag bits.
    static std::optional<call_head> parse(std::string_view frame);
    /// `frame` (a valid call head) with its id replaced: a CALL's head made a REQUEST's.
    static zmq::message_t with_id(std::string_view frame, std::uint64_t id);
};

/// The [outcome] frame of REPLY and RESULT: id (8, LE), code (2, LE: an errc, 0 for
/// success), then the result's type to the end of the frame. In a REPLY the id is the
/// REQUEST's ticket; in a RESULT, the caller's call id.
struct outcome {
    static constexpr std::size_t fixed_size = 8 + 2;

    std::uint64_t id = 0;
    errc code = errc::ok;
    std::string_view type;

    zmq::message_t encode() const;
    static std::optional<outcome> parse(std::string_view frame);
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
    /// Why the worker this one succeeds died (nullopt: it is the first of its slot).
    /// Written as a bool then, if true, a crash report; a body that ends after `roles`
    /// (from a broker without this field) decodes as nullopt.
    std::optional<crash_report> last_error;

    template <class Archive>
    void serialize(Archive& ar) {
        ar(app, worker_id, heartbeat_ms, liveness, roles);
        if constexpr (Archive::is_loading::value) {
            last_error.reset();
            if constexpr (requires { ar.remaining(); }) {
                if (ar.remaining() == 0)
                    return;
            }
        }
        bool has_last_error = last_error.has_value();
        ar(has_last_error);
        if (has_last_error) {
            if constexpr (Archive::is_loading::value)
                last_error.emplace();
            ar(*last_error);
        }
    }
    friend bool operator==(const welcome&, const welcome&) = default;
};

/// What a worker says when it is ready: how many calls it takes at once, and which
/// functions it exports. Sent again when either changes.
struct ready {
    std::uint32_t credit = 1;
    std::vector<std::string> exports;

    template <class Archive>
    void serialize(Archive& ar) {
        ar(credit, exports);
    }
    friend bool operator==(const ready&, const ready&) = default;
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

/// SCALE's [delta] frame: a signed 32-bit count, little-endian.
std::string encode_delta(std::int32_t delta);
std::optional<std::int32_t> parse_delta(std::string_view frame);

std::string encode_seq(std::uint64_t seq);
std::optional<std::uint64_t> parse_seq(std::string_view frame);

/// Frames after the header frame that each command carries.
std::size_t body_frames(command c) noexcept;

/// The outcome of checking a message's envelope (header, command, frame count).
struct envelope {
    command cmd{};
    errc code = errc::ok;  ///< ok, bad_frame or bad_version
    std::string reason;    ///< why, when code != ok
    bool ok() const { return code == errc::ok; }
};

/// The command of a header frame ("MOB1" and the command byte), if it is one.
std::optional<command> command_of(const zmq::message_t& header) noexcept;

/// Checks `frames` (starting at the header frame) without decoding any body.
/// `from_broker` selects which side's commands are valid.
envelope check_envelope(std::span<const zmq::message_t> frames, bool from_broker);

inline std::string_view view(const zmq::message_t& m) {
    return {static_cast<const char*>(m.data()), m.size()};
}
inline std::span<const std::byte> bytes(const zmq::message_t& m) {
    return {static_cast<const std::byte*>(m.data()), m.size()};
}

/// A whole v1 message: the header frame, then one frame per part (copied).
std::vector<zmq::message_t> make_message(command c, std::initializer_list<std::string_view> parts);

/// The frame that starts every v1 message: "MOB1" and the command byte.
zmq::message_t header_frame(command c);

}  // namespace mob::protocol::v1

namespace mob::protocol {
using namespace v1;  // the current version
}
