// Builders and views of the v1 messages other than calls (calls.cpp): the one place
// that knows which frame of HELLO, WELCOME, READY, SEND, DELIVER, ERROR, REJECT, INVOKE,
// INVOKED, RELEASE, RELEASED, SCALE and STOP_APP holds what (docs/protocol.md, "Commands").
#include "mob/protocol/messages.hpp"
#include "mob/codec.hpp"

#include <fmt/format.h>

namespace mob::protocol::v1 {

namespace {
// Frame positions, the header frame being 0 (docs/protocol.md's frame tables).
enum class at : std::size_t {
    send_seq = 1,
    send_target,
    send_topic,
    send_type,
    send_payload,
    deliver_sender = 1,
    deliver_seq,
    deliver_topic,
    deliver_type,
    deliver_payload,
    error_seq = 1,
    error_body,
    reject_to = 1,
    reject_seq,
    reject_error,
    invoke_seq = 1,
    invoke_origin,
    invoke_callback,
    invoke_types,
    invoke_args,
    invoked_invoker = 1,
    invoked_seq,
    invoked_callback,
    invoked_types,
    invoked_args,
    release_origin = 1,
    release_callback,
    scale_call = 1,
    scale_role,
    scale_delta,
    stop_app_call = 1,
    stop_app_code,
};
constexpr std::size_t pos(at a) {
    return static_cast<std::size_t>(a);
}
constexpr std::size_t body_at = 1;  // HELLO, WELCOME, READY; any message's first body frame

template <typename T>
frames with_body(command c, const T& value) {
    return build(c, encode_frame(value));
}

template <typename T>
parsed<T> decode_body(std::span<const zmq::message_t> msg, std::string_view reason,
                      std::string_view name) {
    try {
        return decode<T>(bytes(msg[body_at]));
    } catch (const std::exception& e) {
        return parse_failure{reason, fmt::format("undecodable {}: {}", name, e.what()), 0};
    }
}

zmq::message_t shared(const zmq::message_t& m) {
    zmq::message_t c;
    c.copy(const_cast<zmq::message_t&>(m));  // shares the buffer of large messages
    return c;
}
}  // namespace

std::uint64_t leading_body_id(std::span<const zmq::message_t> msg) noexcept {
    return msg.size() > body_at ? leading_id(view(msg[body_at])).value_or(0) : 0;
}

zmq::message_t text_frame(std::string_view text) {
    return zmq::message_t{text.data(), text.size()};
}

zmq::message_t seq_frame(std::uint64_t seq) {
    zmq::message_t m{8};
    patch_id(m, seq);
    return m;
}

frames make_hello(const hello& h) {
    return with_body(command::hello, h);
}
frames make_welcome(const welcome& w) {
    return with_body(command::welcome, w);
}
frames make_ready(const ready& r) {
    return with_body(command::ready, r);
}
parsed<hello> parse_hello(std::span<const zmq::message_t> msg) {
    return decode_body<hello>(msg, "bad_hello", "HELLO");
}
parsed<welcome> parse_welcome(std::span<const zmq::message_t> msg) {
    return decode_body<welcome>(msg, "bad_welcome", "WELCOME");
}
parsed<ready> parse_ready(std::span<const zmq::message_t> msg) {
    return decode_body<ready>(msg, "bad_ready", "READY");
}

frames make_signal(command c) {
    return build(c);
}

frames make_send(std::uint64_t seq, const target& to, std::string_view topic, std::string_view type,
                 zmq::message_t payload) {
    return build(command::send, seq_frame(seq), text_frame(to.encode()), text_frame(topic),
                 text_frame(type), std::move(payload));
}

std::string_view send_view::topic() const {
    return view(msg[pos(at::send_topic)]);
}
std::string_view send_view::type() const {
    return view(msg[pos(at::send_type)]);
}

parsed<send_view> parse_send(std::span<zmq::message_t> msg) {
    auto seq = parse_seq(view(msg[pos(at::send_seq)]));
    if (!seq)
        return parse_failure{"bad_seq", "SEND: sequence frame is not 8 bytes", 0};
    auto to = target::parse(view(msg[pos(at::send_target)]));
    if (!to) {
        return parse_failure{
            "bad_target",
            fmt::format("SEND: malformed target frame '{}'", view(msg[pos(at::send_target)])),
            *seq};
    }
    return send_view{*seq, std::move(*to), msg};
}

frames make_deliver(const zmq::message_t& sender, const send_view& send) {
    return build(command::deliver, shared(sender), shared(send.msg[pos(at::send_seq)]),
                 shared(send.msg[pos(at::send_topic)]), shared(send.msg[pos(at::send_type)]),
                 shared(send.msg[pos(at::send_payload)]));
}

frames make_deliver(std::string_view sender, std::uint64_t seq, std::string_view topic,
                    std::string_view type, zmq::message_t payload) {
    return build(command::deliver, text_frame(sender), seq_frame(seq), text_frame(topic),
                 text_frame(type), std::move(payload));
}

parsed<deliver_view> parse_deliver(std::span<zmq::message_t> msg) {
    auto seq = parse_seq(view(msg[pos(at::deliver_seq)]));
    if (!seq)
        return parse_failure{"bad_seq", "DELIVER: sequence frame is not 8 bytes", 0};
    return deliver_view{*seq, view(msg[pos(at::deliver_sender)]), view(msg[pos(at::deliver_topic)]),
                        view(msg[pos(at::deliver_type)]), &msg[pos(at::deliver_payload)]};
}

frames make_error(std::uint64_t seq, const error_body& e) {
    return make_error(seq, encode_frame(e));
}

frames make_error(std::uint64_t seq, zmq::message_t body) {
    return build(command::error, seq_frame(seq), std::move(body));
}

error_view parse_error(std::span<const zmq::message_t> msg) {
    error_view e;
    e.seq = parse_seq(view(msg[pos(at::error_seq)])).value_or(0);
    try {
        e.error = decode<error_body>(bytes(msg[pos(at::error_body)]));
    } catch (const std::exception& ex) {
        e.error = {errc::bad_frame, std::string{"undecodable ERROR from the broker: "} + ex.what()};
    }
    return e;
}

frames make_reject(std::string_view to, std::uint64_t seq, const error_body& e) {
    return build(command::reject, text_frame(to), seq_frame(seq), encode_frame(e));
}

reject_view parse_reject(std::span<zmq::message_t> msg) {
    return {view(msg[pos(at::reject_to)]), parse_seq(view(msg[pos(at::reject_seq)])).value_or(0),
            &msg[pos(at::reject_error)]};
}

frames make_invoke(std::uint64_t seq, std::string_view origin, std::uint64_t callback,
                   std::string_view types, zmq::message_t args) {
    return build(command::invoke, seq_frame(seq), text_frame(origin), seq_frame(callback),
                 text_frame(types), std::move(args));
}

invoke_view parse_invoke(std::span<zmq::message_t> msg) {
    return {parse_seq(view(msg[pos(at::invoke_seq)])).value_or(0),
            view(msg[pos(at::invoke_origin)]), msg};
}

frames make_invoked(zmq::message_t invoker, invoke_view& invoke) {
    return build(command::invoked, std::move(invoker), std::move(invoke.msg[pos(at::invoke_seq)]),
                 std::move(invoke.msg[pos(at::invoke_callback)]),
                 std::move(invoke.msg[pos(at::invoke_types)]),
                 std::move(invoke.msg[pos(at::invoke_args)]));
}

frames make_invoked(std::string_view invoker, std::uint64_t seq, std::uint64_t callback,
                    std::string_view types, zmq::message_t args) {
    return build(command::invoked, text_frame(invoker), seq_frame(seq), seq_frame(callback),
                 text_frame(types), std::move(args));
}

invoked_view parse_invoked(std::span<zmq::message_t> msg) {
    return {view(msg[pos(at::invoked_invoker)]),
            parse_seq(view(msg[pos(at::invoked_seq)])).value_or(0),
            parse_seq(view(msg[pos(at::invoked_callback)])), view(msg[pos(at::invoked_types)]),
            &msg[pos(at::invoked_args)]};
}

frames make_release(std::string_view origin, std::uint64_t callback) {
    return build(command::release, text_frame(origin), seq_frame(callback));
}

release_view parse_release(std::span<zmq::message_t> msg) {
    return {view(msg[pos(at::release_origin)]), msg};
}

frames make_released(zmq::message_t holder, release_view& release) {
    return build(command::released, std::move(holder),
                 std::move(release.msg[pos(at::release_callback)]));
}

frames make_released(std::string_view holder, std::uint64_t callback) {
    return build(command::released, text_frame(holder), seq_frame(callback));
}

released_view parse_released(std::span<const zmq::message_t> msg) {
    // Same layout as RELEASE: [holder][callback].
    return {view(msg[pos(at::release_origin)]), parse_seq(view(msg[pos(at::release_callback)]))};
}

frames make_lost(std::uint64_t count) {
    return build(command::lost, seq_frame(count));
}

std::optional<std::uint64_t> parse_lost(std::span<const zmq::message_t> msg) {
    return parse_seq(view(msg[body_at]));
}

frames make_holder_gone(std::string_view holder) {
    return build(command::holder_gone, text_frame(holder));
}

std::string_view parse_holder_gone(std::span<const zmq::message_t> msg) {
    return view(msg[body_at]);
}

frames make_scale(std::uint64_t call_id, std::string_view role, std::int32_t delta) {
    return build(command::scale, seq_frame(call_id), text_frame(role),
                 text_frame(encode_delta(delta)));
}

parsed<scale_view> parse_scale(std::span<const zmq::message_t> msg) {
    auto id = parse_seq(view(msg[pos(at::scale_call)]));
    auto delta = parse_delta(view(msg[pos(at::scale_delta)]));
    if (!id || !delta) {
        return parse_failure{"bad_scale", "SCALE: malformed call id or delta frame",
                             id.value_or(0)};
    }
    return scale_view{*id, view(msg[pos(at::scale_role)]), *delta};
}

frames make_stop_app(std::uint64_t call_id, std::int32_t exit_code) {
    return build(command::stop_app, seq_frame(call_id), text_frame(encode_delta(exit_code)));
}

parsed<stop_app_view> parse_stop_app(std::span<const zmq::message_t> msg) {
    auto id = parse_seq(view(msg[pos(at::stop_app_call)]));
    auto code = parse_delta(view(msg[pos(at::stop_app_code)]));
    if (!id || !code) {
        return parse_failure{"bad_stop_app", "STOP_APP: malformed call id or exit code frame",
                             id.value_or(0)};
    }
    return stop_app_view{*id, *code};
}

}  // namespace mob::protocol::v1
