// Builders and views of the v1 messages other than calls (calls.cpp): the one place
// that knows which frame of HELLO, WELCOME, READY, SEND, DELIVER, ERROR, REJECT, INVOKE,
// INVOKED, RELEASE, RELEASED and SCALE holds what (docs/protocol.md, "Commands").
#include "mob/protocol/messages.hpp"
#include "mob/codec.hpp"

#include <fmt/format.h>

namespace mob::protocol::v1 {

namespace {
// Frame positions, the header frame being 0.
namespace send_at {
enum : std::size_t { seq = 1, target, topic, type, payload };
}
namespace deliver_at {
enum : std::size_t { sender = 1, seq, topic, type, payload };
}
namespace error_at {
enum : std::size_t { seq = 1, body };
}
namespace reject_at {
enum : std::size_t { to = 1, seq, error };
}
namespace invoke_at {
enum : std::size_t { seq = 1, origin, callback, types, args };
}
namespace invoked_at {
enum : std::size_t { invoker = 1, seq, callback, types, args };
}
namespace release_at {
enum : std::size_t { origin = 1, callback };
}
namespace scale_at {
enum : std::size_t { call = 1, role, delta };
}
constexpr std::size_t body_at = 1;  // HELLO, WELCOME, READY

frames start(command c) {
    frames f;
    f.reserve(1 + body_frames(c));
    f.push_back(header_frame(c));
    return f;
}

template <typename T>
frames with_body(command c, const T& value) {
    auto f = start(c);
    f.push_back(encode_frame(value));
    return f;
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
    return start(c);
}

frames make_send(std::uint64_t seq, const target& to, std::string_view topic, std::string_view type,
                 zmq::message_t payload) {
    auto f = start(command::send);
    f.push_back(seq_frame(seq));
    f.push_back(text_frame(to.encode()));
    f.push_back(text_frame(topic));
    f.push_back(text_frame(type));
    f.push_back(std::move(payload));
    return f;
}

std::string_view send_view::topic() const {
    return view(msg[send_at::topic]);
}
std::string_view send_view::type() const {
    return view(msg[send_at::type]);
}

parsed<send_view> parse_send(std::span<zmq::message_t> msg) {
    auto seq = parse_seq(view(msg[send_at::seq]));
    if (!seq)
        return parse_failure{"bad_seq", "SEND: sequence frame is not 8 bytes", 0};
    auto to = target::parse(view(msg[send_at::target]));
    if (!to) {
        return parse_failure{
            "bad_target",
            fmt::format("SEND: malformed target frame '{}'", view(msg[send_at::target])), *seq};
    }
    return send_view{*seq, std::move(*to), msg};
}

frames make_deliver(const zmq::message_t& sender, const send_view& send) {
    auto f = start(command::deliver);
    f.push_back(shared(sender));
    f.push_back(shared(send.msg[send_at::seq]));
    f.push_back(shared(send.msg[send_at::topic]));
    f.push_back(shared(send.msg[send_at::type]));
    f.push_back(shared(send.msg[send_at::payload]));
    return f;
}

frames make_deliver(std::string_view sender, std::uint64_t seq, std::string_view topic,
                    std::string_view type, zmq::message_t payload) {
    auto f = start(command::deliver);
    f.push_back(text_frame(sender));
    f.push_back(seq_frame(seq));
    f.push_back(text_frame(topic));
    f.push_back(text_frame(type));
    f.push_back(std::move(payload));
    return f;
}

parsed<deliver_view> parse_deliver(std::span<zmq::message_t> msg) {
    auto seq = parse_seq(view(msg[deliver_at::seq]));
    if (!seq)
        return parse_failure{"bad_seq", "DELIVER: sequence frame is not 8 bytes", 0};
    return deliver_view{*seq, view(msg[deliver_at::sender]), view(msg[deliver_at::topic]),
                        view(msg[deliver_at::type]), &msg[deliver_at::payload]};
}

frames make_error(std::uint64_t seq, const error_body& e) {
    return make_error(seq, encode_frame(e));
}

frames make_error(std::uint64_t seq, zmq::message_t body) {
    auto f = start(command::error);
    f.push_back(seq_frame(seq));
    f.push_back(std::move(body));
    return f;
}

error_view parse_error(std::span<const zmq::message_t> msg) {
    error_view e;
    e.seq = parse_seq(view(msg[error_at::seq])).value_or(0);
    try {
        e.error = decode<error_body>(bytes(msg[error_at::body]));
    } catch (const std::exception& ex) {
        e.error = {errc::bad_frame, std::string{"undecodable ERROR from the broker: "} + ex.what()};
    }
    return e;
}

frames make_reject(std::string_view to, std::uint64_t seq, const error_body& e) {
    auto f = start(command::reject);
    f.push_back(text_frame(to));
    f.push_back(seq_frame(seq));
    f.push_back(encode_frame(e));
    return f;
}

reject_view parse_reject(std::span<zmq::message_t> msg) {
    return {view(msg[reject_at::to]), parse_seq(view(msg[reject_at::seq])).value_or(0),
            &msg[reject_at::error]};
}

frames make_invoke(std::uint64_t seq, std::string_view origin, std::uint64_t callback,
                   std::string_view types, zmq::message_t args) {
    auto f = start(command::invoke);
    f.push_back(seq_frame(seq));
    f.push_back(text_frame(origin));
    f.push_back(seq_frame(callback));
    f.push_back(text_frame(types));
    f.push_back(std::move(args));
    return f;
}

invoke_view parse_invoke(std::span<zmq::message_t> msg) {
    return {parse_seq(view(msg[invoke_at::seq])).value_or(0), view(msg[invoke_at::origin]), msg};
}

frames make_invoked(zmq::message_t invoker, invoke_view& invoke) {
    auto f = start(command::invoked);
    f.push_back(std::move(invoker));
    f.push_back(std::move(invoke.msg[invoke_at::seq]));
    f.push_back(std::move(invoke.msg[invoke_at::callback]));
    f.push_back(std::move(invoke.msg[invoke_at::types]));
    f.push_back(std::move(invoke.msg[invoke_at::args]));
    return f;
}

frames make_invoked(std::string_view invoker, std::uint64_t seq, std::uint64_t callback,
                    std::string_view types, zmq::message_t args) {
    auto f = start(command::invoked);
    f.push_back(text_frame(invoker));
    f.push_back(seq_frame(seq));
    f.push_back(seq_frame(callback));
    f.push_back(text_frame(types));
    f.push_back(std::move(args));
    return f;
}

invoked_view parse_invoked(std::span<zmq::message_t> msg) {
    return {view(msg[invoked_at::invoker]), parse_seq(view(msg[invoked_at::seq])).value_or(0),
            parse_seq(view(msg[invoked_at::callback])), view(msg[invoked_at::types]),
            &msg[invoked_at::args]};
}

frames make_release(std::string_view origin, std::uint64_t callback) {
    auto f = start(command::release);
    f.push_back(text_frame(origin));
    f.push_back(seq_frame(callback));
    return f;
}

release_view parse_release(std::span<zmq::message_t> msg) {
    return {view(msg[release_at::origin]), msg};
}

frames make_released(zmq::message_t holder, release_view& release) {
    auto f = start(command::released);
    f.push_back(std::move(holder));
    f.push_back(std::move(release.msg[release_at::callback]));
    return f;
}

frames make_released(std::string_view holder, std::uint64_t callback) {
    auto f = start(command::released);
    f.push_back(text_frame(holder));
    f.push_back(seq_frame(callback));
    return f;
}

released_view parse_released(std::span<const zmq::message_t> msg) {
    // Same layout as RELEASE: [holder][callback].
    return {view(msg[release_at::origin]), parse_seq(view(msg[release_at::callback]))};
}

frames make_scale(std::uint64_t call_id, std::string_view role, std::int32_t delta) {
    auto f = start(command::scale);
    f.push_back(seq_frame(call_id));
    f.push_back(text_frame(role));
    f.push_back(text_frame(encode_delta(delta)));
    return f;
}

parsed<scale_view> parse_scale(std::span<const zmq::message_t> msg) {
    auto id = parse_seq(view(msg[scale_at::call]));
    auto delta = parse_delta(view(msg[scale_at::delta]));
    if (!id || !delta) {
        return parse_failure{"bad_scale", "SCALE: malformed call id or delta frame",
                             id.value_or(0)};
    }
    return scale_view{*id, view(msg[scale_at::role]), *delta};
}

}  // namespace mob::protocol::v1
