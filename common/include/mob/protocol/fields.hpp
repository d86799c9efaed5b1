// The fields of protocol v1 messages: the call head and outcome frames that pack a
// call's fixed fields, SEND's target, sequence numbers and deltas, and the cereal bodies
// of HELLO, WELCOME, READY and ERROR. Frame layouts are in messages.hpp.
#pragma once

#include "mob/crash_report.hpp"
#include "mob/error.hpp"

#include <zmq.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace mob::protocol::v1 {

/// Flags of a call (in its call head).
enum call_flags : std::uint8_t {
    call_idempotent = 0x01,  ///< the broker may run it again on another worker if one dies
    call_oneway = 0x02,      ///< the caller wants no result (errors still come back)
    /// The caller wants to know which worker served the call: the RESULT made of the
    /// worker's REPLY carries a third frame, that worker's routing id.
    /// Also: when the worker that took the call goes, the broker tells the caller
    /// (HOLDER_GONE), so callbacks that worker held can be freed.
    call_report_server = 0x04,
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

/// Writes `id` over the first 8 bytes of a call head or outcome frame (both start with
/// their id): how the broker makes a CALL's head a REQUEST's and a REPLY's outcome a
/// RESULT's without building the frame again. The frame must have at least 8 bytes.
void patch_id(zmq::message_t& frame, std::uint64_t id) noexcept;
/// The id in the first 8 bytes of a call head or outcome frame (nullopt if shorter):
/// what a malformed one is still answered by.
std::optional<std::uint64_t> leading_id(std::string_view frame) noexcept;

}  // namespace mob::protocol::v1
