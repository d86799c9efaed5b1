// Typed builders and views of every v1 message, the one place that knows which frame
// holds what: the worker, the broker and the tests build and read messages only here.
//
//     auto out = make_call(call_head{id, opts, "back", "add", types}, std::move(args));
//     if (auto call = parse_call(msg)) queue(std::move(*call));   // parsed once
//     else answer(call.failure());
//
// Views read a message whose envelope check_envelope() passed (so its frame count is
// right); they point into its frames, which must stay where they are while the view is
// used. Builders move payload frames in, so a payload is never copied on its way.
#pragma once

#include "mob/protocol/envelope.hpp"
#include "mob/protocol/fields.hpp"

#include <zmq.hpp>

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <variant>

namespace mob::protocol::v1 {

/// Why a message could not be read: the reason the broker counts it under (its dropped
/// map: "bad_seq", "bad_call", ...), a text for its sender, and the seq or call id to
/// answer under (0 when none could be read).
struct parse_failure {
    std::string_view reason;
    std::string text;
    std::uint64_t id = 0;
};

/// A view (or parsed value), or why there is none.
template <typename T>
class parsed {
  public:
    parsed(T value) : state_(std::in_place_index<0>, std::move(value)) {}
    parsed(parse_failure f) : state_(std::in_place_index<1>, std::move(f)) {}
    explicit operator bool() const noexcept { return state_.index() == 0; }
    T& operator*() { return std::get<0>(state_); }
    T* operator->() { return &std::get<0>(state_); }
    const parse_failure& failure() const { return std::get<1>(state_); }

  private:
    std::variant<T, parse_failure> state_;
};

/// The id a message from a sender the broker does not know is answered under: the
/// first 8 bytes of its first body frame (a SEND's or INVOKE's seq, a CALL's or SCALE's
/// call id), 0 if that frame is shorter or there is none.
std::uint64_t leading_body_id(std::span<const zmq::message_t> msg) noexcept;

/// A frame holding `text` (copied).
zmq::message_t text_frame(std::string_view text);
/// A frame holding the 8-byte little-endian `seq`.
zmq::message_t seq_frame(std::uint64_t seq);

// ---- bodies: HELLO, WELCOME, READY (one cereal body frame each) ----

frames make_hello(const hello& h);
frames make_welcome(const welcome& w);
frames make_ready(const ready& r);
parsed<hello> parse_hello(std::span<const zmq::message_t> msg);
parsed<welcome> parse_welcome(std::span<const zmq::message_t> msg);
parsed<ready> parse_ready(std::span<const zmq::message_t> msg);

/// A command without a body: HEARTBEAT, GOODBYE, STOP, HELLO_AGAIN.
frames make_signal(command c);

// ---- messages: SEND, DELIVER, ERROR, REJECT ----

frames make_send(std::uint64_t seq, const target& to, std::string_view topic, std::string_view type,
                 zmq::message_t payload);

/// SEND [seq][target][topic][type][payload].
struct send_view {
    std::uint64_t seq = 0;
    target to;
    std::span<zmq::message_t> msg;  ///< the whole SEND, from its header frame
    std::string_view topic() const;
    std::string_view type() const;
};
parsed<send_view> parse_send(std::span<zmq::message_t> msg);

/// The DELIVER of a SEND to one recipient: its frames shared with the SEND's (no copy,
/// so one SEND can be delivered to many).
frames make_deliver(const zmq::message_t& sender, const send_view& send);
frames make_deliver(std::string_view sender, std::uint64_t seq, std::string_view topic,
                    std::string_view type, zmq::message_t payload);

/// DELIVER [sender][seq][topic][type][payload].
struct deliver_view {
    std::uint64_t seq = 0;
    std::string_view sender;
    std::string_view topic;
    std::string_view type;
    zmq::message_t* payload = nullptr;
};
parsed<deliver_view> parse_deliver(std::span<zmq::message_t> msg);

frames make_error(std::uint64_t seq, const error_body& e);
/// An ERROR carrying `body`, an encoded error body (a REJECT's, forwarded as it came).
frames make_error(std::uint64_t seq, zmq::message_t body);

/// ERROR [seq][error]: an undecodable body reads as bad_frame with a text that says so.
struct error_view {
    std::uint64_t seq = 0;
    error_body error;
};
error_view parse_error(std::span<const zmq::message_t> msg);

frames make_reject(std::string_view to, std::uint64_t seq, const error_body& e);

/// REJECT [sender][seq][error]: `to` is the sender of the message rejected.
struct reject_view {
    std::string_view to;
    std::uint64_t seq = 0;
    zmq::message_t* error = nullptr;  ///< the encoded error body, forwarded in an ERROR
};
reject_view parse_reject(std::span<zmq::message_t> msg);

// ---- calls: CALL, REQUEST, REPLY, RESULT ----

/// A call head frame, checked once and kept with the call: its fields are read from it
/// without parsing it again, and its id is patched in place when it is sent on.
class call_head_frame {
  public:
    /// Takes the frame if it is a valid call head.
    static std::optional<call_head_frame> from(zmq::message_t frame);

    std::uint64_t id() const noexcept;
    void set_id(std::uint64_t id) noexcept { patch_id(frame_, id); }
    call_options options() const noexcept;
    std::string_view role() const noexcept;
    std::string_view method() const noexcept;
    std::string_view types() const noexcept;
    zmq::message_t& frame() noexcept { return frame_; }
    /// A frame of its own with the same bytes (a call kept to run again must not share
    /// its buffer with a REQUEST that is still on its way).
    call_head_frame clone() const;

  private:
    explicit call_head_frame(zmq::message_t frame) : frame_(std::move(frame)) {}
    std::string_view bytes() const noexcept { return view(frame_); }
    zmq::message_t frame_;
};

/// A CALL or a REQUEST, its frames taken out of the message: [call head][args].
struct call_message {
    call_head_frame head;
    zmq::message_t args;
};

frames make_call(const call_head& head, zmq::message_t args);
/// A REQUEST of `head` (its id already the broker's ticket) and `args`.
frames make_request(zmq::message_t head, zmq::message_t args);
frames make_request(const call_head& head, zmq::message_t args);
/// Takes the frames of a CALL (reason "bad_call") or a REQUEST out of `msg`.
parsed<call_message> parse_call(std::span<zmq::message_t> msg);
parsed<call_message> parse_request(std::span<zmq::message_t> msg);

frames make_reply(const outcome& o, zmq::message_t body);
frames make_result(const outcome& o, zmq::message_t body);
/// A RESULT with no value: `code` and `text` (the failure's message) for `call_id`.
frames make_failed_result(std::uint64_t call_id, errc code, std::string_view text);

/// REPLY or RESULT [outcome][body]. `id` is read from the first 8 bytes even when the
/// rest of the outcome does not parse (`outcome` is then empty), so a malformed REPLY
/// still finds its call.
struct outcome_view {
    std::optional<std::uint64_t> id;
    std::optional<outcome> result;  ///< id, code and type, if the frame parses
    zmq::message_t* outcome_frame = nullptr;
    zmq::message_t* body = nullptr;
    /// A RESULT's [served by] frame: the routing id of the worker that served the call,
    /// empty unless the CALL asked for it (call_report_server).
    std::string_view served_by;
};
outcome_view parse_reply(std::span<zmq::message_t> msg);
outcome_view parse_result(std::span<zmq::message_t> msg);
/// The RESULT of a REPLY for the caller's `call_id`: the REPLY's outcome frame with its
/// id patched in place, and its body, both moved (no byte of either is copied).
frames result_from_reply(outcome_view& reply, std::uint64_t call_id);
/// The same, followed by the [served by] frame: `server`, the routing id of the worker
/// the REPLY came from (for a CALL with call_report_server).
frames result_from_reply(outcome_view& reply, std::uint64_t call_id, std::string_view server);

// ---- callbacks: INVOKE, INVOKED, RELEASE, RELEASED ----

frames make_invoke(std::uint64_t seq, std::string_view origin, std::uint64_t callback,
                   std::string_view types, zmq::message_t args);

/// INVOKE [seq][origin][callback][types][args].
struct invoke_view {
    std::uint64_t seq = 0;
    std::string_view origin;
    std::span<zmq::message_t> msg;
};
invoke_view parse_invoke(std::span<zmq::message_t> msg);
/// The INVOKED for the origin: the INVOKE's seq, callback, types and args frames moved.
frames make_invoked(zmq::message_t invoker, invoke_view& invoke);
frames make_invoked(std::string_view invoker, std::uint64_t seq, std::uint64_t callback,
                    std::string_view types, zmq::message_t args);

/// INVOKED [invoker][seq][callback][types][args]; `callback` is empty if not 8 bytes.
struct invoked_view {
    std::string_view invoker;
    std::uint64_t seq = 0;
    std::optional<std::uint64_t> callback;
    std::string_view types;
    zmq::message_t* args = nullptr;
};
invoked_view parse_invoked(std::span<zmq::message_t> msg);

frames make_release(std::string_view origin, std::uint64_t callback);

/// RELEASE [origin][callback].
struct release_view {
    std::string_view origin;
    std::span<zmq::message_t> msg;
};
release_view parse_release(std::span<zmq::message_t> msg);
frames make_released(zmq::message_t holder, release_view& release);
frames make_released(std::string_view holder, std::uint64_t callback);

/// RELEASED [holder][callback]; `callback` is empty if not 8 bytes.
struct released_view {
    std::string_view holder;
    std::optional<std::uint64_t> callback;
};
released_view parse_released(std::span<const zmq::message_t> msg);

// ---- accounting: LOST ----

/// LOST [count]: the broker could not keep `count` ERRORs or RESULTs it owed this worker
/// (its pipe stayed full past the broker's bound for it) since the last LOST.
frames make_lost(std::uint64_t count);
/// The count of a LOST, if its frame is 8 bytes.
std::optional<std::uint64_t> parse_lost(std::span<const zmq::message_t> msg);

/// HOLDER_GONE [holder]: a worker that took calls of this worker's made with
/// call_report_server is gone; callbacks it held will never be called.
frames make_holder_gone(std::string_view holder);
/// The holder's routing id (empty if the frame is).
std::string_view parse_holder_gone(std::span<const zmq::message_t> msg);

// ---- supervision: SCALE ----

frames make_scale(std::uint64_t call_id, std::string_view role, std::int32_t delta);

/// SCALE [call][role][delta].
struct scale_view {
    std::uint64_t call_id = 0;
    std::string_view role;
    std::int32_t delta = 0;
};
parsed<scale_view> parse_scale(std::span<const zmq::message_t> msg);

/// STOP_APP [call][exit code]: a worker asks the kingpin to stop the whole app and exit
/// with `exit_code` (0..255, int32 little-endian like SCALE's delta); answered by RESULT.
frames make_stop_app(std::uint64_t call_id, std::int32_t exit_code);
struct stop_app_view {
    std::uint64_t call_id = 0;
    std::int32_t exit_code = 0;
};
parsed<stop_app_view> parse_stop_app(std::span<const zmq::message_t> msg);

}  // namespace mob::protocol::v1
