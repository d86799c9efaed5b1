// Builders and views of the four call messages: CALL and REQUEST carry [call head][args],
// REPLY and RESULT [outcome][body]. The broker reads a call head once, keeps it with the
// call, and patches the id of the head (CALL -> REQUEST) and of the outcome (REPLY ->
// RESULT) in place, so no frame of a call is built twice or copied on its way.
#include "mob/protocol/messages.hpp"

namespace mob::protocol::v1 {

namespace {
namespace call_at {
enum : std::size_t { head = 1, args };
}
namespace outcome_at {
enum : std::size_t { outcome = 1, body, served_by };
}
// The call head's layout (fields.hpp): id (8), flags (1), timeout (4), role size (1),
// role, method size (1), method, types.
constexpr std::size_t role_size_at = 13;

parsed<call_message> take_call(std::span<zmq::message_t> msg, std::string_view reason,
                               std::string_view name) {
    auto id = leading_id(view(msg[call_at::head])).value_or(0);
    auto head = call_head_frame::from(std::move(msg[call_at::head]));
    if (!head)
        return parse_failure{reason, std::string{name} + ": malformed call head", id};
    return call_message{std::move(*head), std::move(msg[call_at::args])};
}

outcome_view view_outcome(std::span<zmq::message_t> msg) {
    outcome_view v;
    v.outcome_frame = &msg[outcome_at::outcome];
    v.body = &msg[outcome_at::body];
    v.id = leading_id(view(*v.outcome_frame));
    v.result = outcome::parse(view(*v.outcome_frame));
    if (msg.size() > outcome_at::served_by)
        v.served_by = view(msg[outcome_at::served_by]);
    return v;
}
}  // namespace

std::optional<call_head_frame> call_head_frame::from(zmq::message_t frame) {
    if (!call_head::parse(view(frame)))
        return std::nullopt;
    return call_head_frame{std::move(frame)};
}

std::uint64_t call_head_frame::id() const noexcept {
    return *leading_id(bytes());
}

call_options call_head_frame::options() const noexcept {
    auto b = bytes();
    call_options o;
    o.flags = static_cast<std::uint8_t>(b[8]);
    std::uint32_t t = 0;
    for (int i = 0; i < 4; ++i)
        t |= std::uint32_t{static_cast<unsigned char>(b[9 + i])} << (8 * i);
    o.timeout_ms = t;
    return o;
}

std::string_view call_head_frame::role() const noexcept {
    auto b = bytes();
    return b.substr(role_size_at + 1, static_cast<unsigned char>(b[role_size_at]));
}

std::string_view call_head_frame::method() const noexcept {
    auto b = bytes();
    auto at = role_size_at + 1 + static_cast<unsigned char>(b[role_size_at]);
    return b.substr(at + 1, static_cast<unsigned char>(b[at]));
}

std::string_view call_head_frame::types() const noexcept {
    auto b = bytes();
    auto at = role_size_at + 1 + static_cast<unsigned char>(b[role_size_at]);
    at += 1 + static_cast<unsigned char>(b[at]);
    return b.substr(at);
}

call_head_frame call_head_frame::clone() const {
    return call_head_frame{zmq::message_t{frame_.data(), frame_.size()}};
}

frames make_call(const call_head& head, zmq::message_t args) {
    return build(command::call, head.encode(), std::move(args));
}

frames make_request(zmq::message_t head, zmq::message_t args) {
    return build(command::request, std::move(head), std::move(args));
}

frames make_request(const call_head& head, zmq::message_t args) {
    return make_request(head.encode(), std::move(args));
}

parsed<call_message> parse_call(std::span<zmq::message_t> msg) {
    return take_call(msg, "bad_call", "CALL");
}

parsed<call_message> parse_request(std::span<zmq::message_t> msg) {
    return take_call(msg, "bad_request", "REQUEST");
}

frames make_reply(const outcome& o, zmq::message_t body) {
    return build(command::reply, o.encode(), std::move(body));
}

frames make_result(const outcome& o, zmq::message_t body) {
    return build(command::result, o.encode(), std::move(body));
}

frames make_failed_result(std::uint64_t call_id, errc code, std::string_view text) {
    return make_result(outcome{call_id, code, {}}, text_frame(text));
}

outcome_view parse_reply(std::span<zmq::message_t> msg) {
    return view_outcome(msg);
}

outcome_view parse_result(std::span<zmq::message_t> msg) {
    return view_outcome(msg);
}

frames result_from_reply(outcome_view& reply, std::uint64_t call_id) {
    patch_id(*reply.outcome_frame, call_id);
    return build(command::result, std::move(*reply.outcome_frame), std::move(*reply.body));
}

}  // namespace mob::protocol::v1

namespace mob::protocol::v1 {

frames result_from_reply(outcome_view& reply, std::uint64_t call_id, std::string_view server) {
    patch_id(*reply.outcome_frame, call_id);
    return build(command::result, std::move(*reply.outcome_frame), std::move(*reply.body),
                 text_frame(server));
}

}  // namespace mob::protocol::v1
