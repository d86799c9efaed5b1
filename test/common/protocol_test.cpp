// Protocol v1: envelopes, bodies, targets, sequence numbers, call heads, outcomes and
// routing ids. Frames are built the way worker/src/worker_core.cpp,
// worker/src/rpc.cpp, broker/src/router.cpp and broker/src/router_calls.cpp build them.
#include "mob/protocol.hpp"
#include "mob/codec.hpp"
#include "mob/error.hpp"
#include "mob/identity.hpp"

#include <fmt/format.h>
#include <gtest/gtest.h>
#include <zmq.hpp>

#include <algorithm>
#include <cstdint>
#include <initializer_list>
#include <limits>
#include <optional>
#include <ostream>
#include <random>
#include <set>
#include <span>
#include <stdexcept>
#include <string>
#include <string_view>
#include <tuple>
#include <vector>

namespace mob {
// gtest prints error codes by name.
inline void PrintTo(errc code, std::ostream* os) {
    *os << to_string(code);
}
}  // namespace mob

namespace {

namespace proto = mob::protocol;
using proto::command;
using frames = std::vector<zmq::message_t>;

zmq::message_t text_frame(std::string_view s) {
    return zmq::message_t{s.data(), s.size()};
}

// The command lists, derived from the protocol's one table (commands.hpp).
std::vector<command> commands_toward(proto::direction way) {
    std::vector<command> out;
    for (const auto& info : proto::commands) {
        if (proto::sent_toward(info.code, way))
            out.push_back(info.code);
    }
    return out;
}
const std::vector<command> worker_commands = commands_toward(proto::direction::to_broker);
const std::vector<command> broker_commands = commands_toward(proto::direction::to_worker);
// Every command once (HEARTBEAT goes both ways).
const std::vector<command> all_commands = [] {
    std::vector<command> out;
    for (const auto& info : proto::commands)
        out.push_back(info.code);
    return out;
}();

// Routing ids of the sample peers.
const std::string client_id = "client/1@h#0000000000000001";
const std::string billing_id = "billing/4242@host-1#0123456789abcdef";

proto::hello sample_hello() {
    proto::hello h;
    h.app = "shop";
    h.role = "billing";
    h.pid = 4242;
    h.host = "host-1";
    h.nonce = 0x0123456789abcdefULL;
    h.spawned = true;
    h.credit = 8;
    h.exports = {"charge", "refund"};
    return h;
}

proto::welcome sample_welcome() {
    proto::welcome w;
    w.app = "shop";
    w.worker_id = "billing/4242@host-1#0123456789abcdef";
    w.heartbeat_ms = 250;
    w.liveness = 5;
    w.roles = {"billing", "stock"};
    return w;
}

proto::error_body sample_error() {
    return {mob::errc::no_ready_worker, "no billing worker"};
}

const proto::target sample_target{proto::target_kind::any, "billing"};

proto::ready sample_ready() {
    return {8, {"charge", "refund"}};
}

// A CALL of billing.charge(99), idempotent, with a 2.5 s timeout; the broker sends it
// on as the REQUEST `sample_ticket`.
constexpr std::uint64_t sample_call_id = 21;
constexpr std::uint64_t sample_ticket = 0x5eed0001;
constexpr proto::call_options sample_options{proto::call_idempotent, 2500};
const std::string& sample_types() {
    return mob::type_name<std::tuple<int>>();
}
const std::string sample_args = mob::encode(std::tuple<int>{99});

proto::call_head sample_head(std::uint64_t id = sample_call_id) {
    return {id, sample_options, "billing", "charge", sample_types()};
}

// The callback `sample_callback_id` of `client_id`, called with ("done").
constexpr std::uint64_t sample_invoke_seq = 22;
constexpr std::uint64_t sample_callback_id = 3;
const std::string& sample_callback_types() {
    return mob::type_name<std::tuple<std::string>>();
}
const std::string sample_callback_args = mob::encode(std::tuple<std::string>{"done"});

// The header frame of `c`, alone: "MOB1" and the command byte in one frame.
frames start(command c) {
    frames f;
    f.push_back(proto::header_frame(c));
    return f;
}

template <typename T>
void push_body(frames& f, const T& value) {
    auto body = mob::encode(value);
    f.emplace_back(body.data(), body.size());
}

frames of_texts(const std::vector<std::string>& texts) {
    frames f;
    for (const auto& t : texts)
        f.push_back(text_frame(t));
    return f;
}

// The frames of `c` as the worker and the broker build them: with the protocol's own
// builders (messages.hpp), the only code that knows where each frame goes.
frames build(command c) {
    switch (c) {
        case command::hello:
            return proto::make_hello(sample_hello());
        case command::ready:
            return proto::make_ready(sample_ready());
        case command::heartbeat:
        case command::goodbye:
        case command::stop:
        case command::hello_again:
            return proto::make_signal(c);
        case command::send:
            return proto::make_send(17, sample_target, "charge", mob::type_name<int>(),
                                    mob::encode_frame(99));
        case command::reject:
            return proto::make_reject(client_id, 18, sample_error());
        case command::call:
            return proto::make_call(sample_head(), text_frame(sample_args));
        case command::reply:
            return proto::make_reply({sample_ticket, mob::errc::ok, mob::type_name<int>()},
                                     mob::encode_frame(100));
        case command::invoke:
            return proto::make_invoke(sample_invoke_seq, client_id, sample_callback_id,
                                      sample_callback_types(), text_frame(sample_callback_args));
        case command::release:
            return proto::make_release(client_id, sample_callback_id);
        case command::scale:
            return proto::make_scale(7, "billing", -2);
        case command::stop_app:
            return proto::make_stop_app(8, 3);
        case command::welcome:
            return proto::make_welcome(sample_welcome());
        case command::deliver:
            return proto::make_deliver(client_id, 19, "charge", mob::type_name<int>(),
                                       mob::encode_frame(99));
        case command::error:
            return proto::make_error(20, sample_error());
        case command::request:  // the head's id the broker's ticket
            return proto::make_request(sample_head(sample_ticket), text_frame(sample_args));
        case command::result:  // the outcome's id the caller's call id
            return proto::make_result({sample_call_id, mob::errc::ok, mob::type_name<int>()},
                                      mob::encode_frame(100));
        case command::invoked:
            return proto::make_invoked(billing_id, sample_invoke_seq, sample_callback_id,
                                       sample_callback_types(), text_frame(sample_callback_args));
        case command::released:
            return proto::make_released(billing_id, sample_callback_id);
        case command::lost:
            return proto::make_lost(23);
        case command::holder_gone:
            return proto::make_holder_gone(billing_id);
    }
    return {};
}

// The frames of `c` laid out by hand from docs/protocol.md's frame tables, to check the
// builders against the document rather than against themselves.
frames by_hand(command c) {
    auto f = of_texts({});
    f.push_back(proto::header_frame(c));
    auto text = [&](std::string_view s) { f.push_back(text_frame(s)); };
    switch (c) {
        case command::hello:
            text(mob::encode(sample_hello()));
            break;
        case command::ready:
            text(mob::encode(sample_ready()));
            break;
        case command::heartbeat:
        case command::goodbye:
        case command::stop:
        case command::hello_again:
            break;
        case command::send:  // [seq][target][topic][type][payload]
            text(proto::encode_seq(17));
            text(sample_target.encode());
            text("charge");
            text(mob::type_name<int>());
            text(mob::encode(99));
            break;
        case command::reject:  // [sender][seq][error]
            text(client_id);
            text(proto::encode_seq(18));
            text(mob::encode(sample_error()));
            break;
        case command::call:  // [call head][args]
            f.push_back(sample_head().encode());
            text(sample_args);
            break;
        case command::reply:  // [outcome][body]
            f.push_back(
                proto::outcome{sample_ticket, mob::errc::ok, mob::type_name<int>()}.encode());
            text(mob::encode(100));
            break;
        case command::invoke:  // [seq][origin][callback][types][args]
            text(proto::encode_seq(sample_invoke_seq));
            text(client_id);
            text(proto::encode_seq(sample_callback_id));
            text(sample_callback_types());
            text(sample_callback_args);
            break;
        case command::release:  // [origin][callback]
            text(client_id);
            text(proto::encode_seq(sample_callback_id));
            break;
        case command::scale:  // [call][role][delta]
            text(proto::encode_seq(7));
            text("billing");
            text(proto::encode_delta(-2));
            break;
        case command::stop_app:  // [call][exit code]
            text(proto::encode_seq(8));
            text(proto::encode_delta(3));
            break;
        case command::welcome:
            text(mob::encode(sample_welcome()));
            break;
        case command::deliver:  // [sender][seq][topic][type][payload]
            text(client_id);
            text(proto::encode_seq(19));
            text("charge");
            text(mob::type_name<int>());
            text(mob::encode(99));
            break;
        case command::error:  // [seq][error]
            text(proto::encode_seq(20));
            text(mob::encode(sample_error()));
            break;
        case command::request:  // [call head][args]
            f.push_back(sample_head(sample_ticket).encode());
            text(sample_args);
            break;
        case command::result:  // [outcome][body]
            f.push_back(
                proto::outcome{sample_call_id, mob::errc::ok, mob::type_name<int>()}.encode());
            text(mob::encode(100));
            break;
        case command::invoked:  // [invoker][seq][callback][types][args]
            text(billing_id);
            text(proto::encode_seq(sample_invoke_seq));
            text(proto::encode_seq(sample_callback_id));
            text(sample_callback_types());
            text(sample_callback_args);
            break;
        case command::released:  // [holder][callback]
            text(billing_id);
            text(proto::encode_seq(sample_callback_id));
            break;
        case command::lost:  // [count]
            text(proto::encode_seq(23));
            break;
        case command::holder_gone:  // [holder]
            text(billing_id);
            break;
    }
    return f;
}

bool same_frames(const frames& a, const frames& b) {
    if (a.size() != b.size())
        return false;
    for (std::size_t i = 0; i < a.size(); ++i) {
        if (proto::view(a[i]) != proto::view(b[i]))
            return false;
    }
    return true;
}

// `c` in the layout before the one header frame: "MOB1" (4 bytes), then the command
// byte in a frame of its own, then `c`'s body frames.
frames old_layout(command c) {
    frames f = of_texts({std::string{proto::header}, std::string(1, static_cast<char>(c))});
    auto now = build(c);
    for (std::size_t i = 1; i < now.size(); ++i)
        f.push_back(std::move(now[i]));
    return f;
}

void expect_rejected(const frames& f, bool from_broker, mob::errc code, const std::string& why) {
    auto env = proto::check_envelope(f, from_broker);
    EXPECT_FALSE(env.ok()) << why;
    EXPECT_EQ(env.code, code) << why << ": " << env.reason;
    EXPECT_FALSE(env.reason.empty()) << why;
}

// ---- envelopes that pass ----

TEST(protocol, every_worker_command_passes_the_envelope_check_on_the_broker) {
    for (auto c : worker_commands) {
        auto f = build(c);
        auto env = proto::check_envelope(f, /*from_broker=*/false);
        EXPECT_TRUE(env.ok()) << proto::to_string(c) << ": " << env.reason;
        EXPECT_EQ(env.cmd, c) << proto::to_string(c);
        EXPECT_EQ(env.code, mob::errc::ok);
        EXPECT_TRUE(env.reason.empty());
        EXPECT_EQ(f.size(), 1 + proto::body_frames(c)) << proto::to_string(c);
        EXPECT_EQ(proto::command_of(f[0]), c) << proto::to_string(c);
    }
}

TEST(protocol, every_broker_command_passes_the_envelope_check_on_the_worker) {
    for (auto c : broker_commands) {
        auto f = build(c);
        auto env = proto::check_envelope(f, /*from_broker=*/true);
        EXPECT_TRUE(env.ok()) << proto::to_string(c) << ": " << env.reason;
        EXPECT_EQ(env.cmd, c) << proto::to_string(c);
        EXPECT_EQ(f.size(), 1 + proto::body_frames(c)) << proto::to_string(c);
        EXPECT_EQ(proto::command_of(f[0]), c) << proto::to_string(c);
    }
}

TEST(protocol, the_broker_checks_the_frames_after_the_routing_id) {
    frames f;
    f.push_back(text_frame("billing/4242@host-1#0123456789abcdef"));
    for (auto& m : build(command::send))
        f.push_back(std::move(m));
    auto env = proto::check_envelope(std::span{f}.subspan(1), /*from_broker=*/false);
    EXPECT_TRUE(env.ok()) << env.reason;
    EXPECT_EQ(env.cmd, command::send);
    // After the routing id comes the header frame, then the SEND's body from index 2.
    ASSERT_EQ(f.size(), 7u);
    EXPECT_EQ(proto::command_of(f[1]), command::send);
    EXPECT_EQ(proto::parse_seq(proto::view(f[2])), 17u);
    EXPECT_EQ(proto::target::parse(proto::view(f[3])), sample_target);
    // The routing id is no header frame: the whole message does not pass.
    env = proto::check_envelope(f, /*from_broker=*/false);
    EXPECT_EQ(env.code, mob::errc::bad_frame);
    EXPECT_EQ(env.reason, "no MOB1 header frame");
}

TEST(protocol, heartbeat_is_valid_in_both_directions) {
    auto f = build(command::heartbeat);
    EXPECT_TRUE(proto::check_envelope(f, true).ok());
    EXPECT_TRUE(proto::check_envelope(f, false).ok());
}

// ---- bodies that decode back equal ----

TEST(protocol, hello_round_trips_through_its_body_frame) {
    auto f = build(command::hello);
    ASSERT_TRUE(proto::check_envelope(f, false).ok());
    EXPECT_EQ(mob::decode<proto::hello>(proto::bytes(f[1])), sample_hello());
}

TEST(protocol, a_default_hello_round_trips) {
    frames f = start(command::hello);
    push_body(f, proto::hello{});
    ASSERT_TRUE(proto::check_envelope(f, false).ok());
    EXPECT_EQ(mob::decode<proto::hello>(proto::bytes(f[1])), proto::hello{});
}

TEST(protocol, welcome_round_trips_through_its_body_frame) {
    auto f = build(command::welcome);
    ASSERT_TRUE(proto::check_envelope(f, true).ok());
    EXPECT_EQ(mob::decode<proto::welcome>(proto::bytes(f[1])), sample_welcome());
}

TEST(protocol, error_round_trips_its_seq_and_body) {
    auto f = build(command::error);
    ASSERT_TRUE(proto::check_envelope(f, true).ok());
    EXPECT_EQ(proto::parse_seq(proto::view(f[1])), 20u);
    EXPECT_EQ(mob::decode<proto::error_body>(proto::bytes(f[2])), sample_error());
}

TEST(protocol, every_error_code_round_trips_in_an_error_body) {
    // Codes are numbered from 0 without gaps; the first value without a name ends them.
    std::uint16_t v = 0;
    for (; mob::to_string(static_cast<mob::errc>(v)) != "unknown_error"; ++v) {
        const auto code = static_cast<mob::errc>(v);
        const proto::error_body e{code, "because " + std::string{mob::to_string(code)}};
        EXPECT_EQ(mob::decode<proto::error_body>(mob::encode(e)), e);
    }
    EXPECT_GT(v, static_cast<std::uint16_t>(mob::errc::callback_expired));
    // An unnamed code still travels as its number.
    const proto::error_body odd{static_cast<mob::errc>(v + 100), "odd"};
    EXPECT_EQ(mob::decode<proto::error_body>(mob::encode(odd)), odd);
}

TEST(protocol, error_codes_keep_their_wire_numbers) {
    auto number = [](mob::errc c) { return static_cast<unsigned>(c); };
    EXPECT_EQ(number(mob::errc::not_a_mobster), 13u);
    EXPECT_EQ(number(mob::errc::unknown_worker), 14u);
    EXPECT_EQ(number(mob::errc::not_registered), 15u);
    EXPECT_EQ(number(mob::errc::wrong_app), 16u);
    EXPECT_EQ(number(mob::errc::unknown_method), 17u);
    EXPECT_EQ(number(mob::errc::remote_exception), 18u);
    EXPECT_EQ(number(mob::errc::worker_died), 19u);
    EXPECT_EQ(number(mob::errc::timeout), 20u);
    EXPECT_EQ(number(mob::errc::callback_used), 21u);
    EXPECT_EQ(number(mob::errc::origin_gone), 22u);
    EXPECT_EQ(number(mob::errc::callback_expired), 23u);
    EXPECT_EQ(number(mob::errc::broker_lost), 24u);
    EXPECT_EQ(number(mob::errc::fates_lost), 25u);
    EXPECT_EQ(number(mob::errc::key_not_allowed), 26u);
    EXPECT_EQ(number(mob::errc::too_large), 27u);
    EXPECT_EQ(mob::to_string(mob::errc::unknown_method), "unknown_method");
    EXPECT_EQ(mob::to_string(mob::errc::callback_expired), "callback_expired");
}

TEST(protocol, reject_round_trips_its_sender_seq_and_body) {
    auto f = build(command::reject);
    ASSERT_TRUE(proto::check_envelope(f, false).ok());
    EXPECT_EQ(proto::view(f[1]), "client/1@h#0000000000000001");
    EXPECT_EQ(proto::parse_seq(proto::view(f[2])), 18u);
    EXPECT_EQ(mob::decode<proto::error_body>(proto::bytes(f[3])), sample_error());
}

TEST(protocol, send_round_trips_its_seq_target_topic_type_and_payload) {
    auto f = build(command::send);
    ASSERT_TRUE(proto::check_envelope(f, false).ok());
    EXPECT_EQ(proto::parse_seq(proto::view(f[1])), 17u);
    EXPECT_EQ(proto::target::parse(proto::view(f[2])), sample_target);
    EXPECT_EQ(proto::view(f[3]), "charge");
    EXPECT_EQ(proto::view(f[4]), "int");
    EXPECT_EQ(mob::decode<int>(proto::bytes(f[5])), 99);
}

TEST(protocol, deliver_round_trips_its_sender_seq_topic_type_and_payload) {
    auto f = build(command::deliver);
    ASSERT_TRUE(proto::check_envelope(f, true).ok());
    EXPECT_EQ(proto::view(f[1]), "client/1@h#0000000000000001");
    EXPECT_EQ(proto::parse_seq(proto::view(f[2])), 19u);
    EXPECT_EQ(proto::view(f[3]), "charge");
    EXPECT_EQ(proto::view(f[4]), "int");
    EXPECT_EQ(mob::decode<int>(proto::bytes(f[5])), 99);
}

TEST(protocol, ready_round_trips_its_credit_and_exports_through_its_body_frame) {
    auto f = build(command::ready);
    ASSERT_TRUE(proto::check_envelope(f, false).ok());
    EXPECT_EQ(mob::decode<proto::ready>(proto::bytes(f[1])), sample_ready());
}

TEST(protocol, a_default_ready_takes_one_call_and_exports_nothing) {
    const proto::ready r;
    EXPECT_EQ(r.credit, 1u);
    EXPECT_TRUE(r.exports.empty());
    frames f = start(command::ready);
    push_body(f, r);
    ASSERT_TRUE(proto::check_envelope(f, false).ok());
    EXPECT_EQ(mob::decode<proto::ready>(proto::bytes(f[1])), r);
}

TEST(protocol, a_ready_body_is_the_credit_then_the_exports) {
    // flag, uint32 credit, uint64 count, then each name as uint64 length + bytes.
    const std::string expected(
        "\x01"
        "\x02\x00\x00\x00"
        "\x01\x00\x00\x00\x00\x00\x00\x00"
        "\x03\x00\x00\x00\x00\x00\x00\x00"
        "add",
        24);
    EXPECT_EQ(mob::encode(proto::ready{2, {"add"}}), expected);
}

TEST(protocol, a_ready_body_cut_short_or_with_bytes_left_over_does_not_decode) {
    const auto body = mob::encode(sample_ready());
    for (std::size_t n = 0; n < body.size(); ++n) {
        EXPECT_THROW((void)mob::decode<proto::ready>(body.substr(0, n)), mob::error) << n;
    }
    EXPECT_THROW((void)mob::decode<proto::ready>(body + '\0'), mob::error);
    // A hello body is no ready body.
    EXPECT_THROW((void)mob::decode<proto::ready>(mob::encode(sample_hello())), mob::error);
}

TEST(protocol, call_round_trips_its_call_head_and_args) {
    auto f = build(command::call);
    ASSERT_TRUE(proto::check_envelope(f, false).ok());
    auto head = proto::call_head::parse(proto::view(f[1]));
    ASSERT_TRUE(head.has_value());
    EXPECT_EQ(head->id, sample_call_id);
    EXPECT_EQ(head->options.flags, proto::call_idempotent);
    EXPECT_EQ(head->options.timeout_ms, 2500u);
    EXPECT_EQ(head->role, "billing");
    EXPECT_EQ(head->method, "charge");
    EXPECT_EQ(head->types, "std::tuple<int>");
    EXPECT_EQ(mob::decode<std::tuple<int>>(proto::bytes(f[2])), std::tuple<int>{99});
}

TEST(protocol, request_round_trips_its_ticket_call_head_and_args) {
    auto f = build(command::request);
    ASSERT_TRUE(proto::check_envelope(f, true).ok());
    auto head = proto::call_head::parse(proto::view(f[1]));
    ASSERT_TRUE(head.has_value());
    EXPECT_EQ(head->id, sample_ticket);
    EXPECT_EQ(head->options, sample_options);
    EXPECT_EQ(head->role, "billing");
    EXPECT_EQ(head->method, "charge");
    EXPECT_EQ(head->types, sample_types());
    EXPECT_EQ(mob::decode<std::tuple<int>>(proto::bytes(f[2])), std::tuple<int>{99});
}

TEST(protocol, reply_round_trips_its_ticket_outcome_and_body) {
    auto f = build(command::reply);
    ASSERT_TRUE(proto::check_envelope(f, false).ok());
    auto out = proto::outcome::parse(proto::view(f[1]));
    ASSERT_TRUE(out.has_value());
    EXPECT_EQ(out->id, sample_ticket);
    EXPECT_EQ(out->code, mob::errc::ok);
    EXPECT_EQ(out->type, "int");
    EXPECT_EQ(mob::decode<int>(proto::bytes(f[2])), 100);
}

TEST(protocol, result_round_trips_its_outcome_and_body) {
    auto f = build(command::result);
    ASSERT_TRUE(proto::check_envelope(f, true).ok());
    auto out = proto::outcome::parse(proto::view(f[1]));
    ASSERT_TRUE(out.has_value());
    EXPECT_EQ(out->id, sample_call_id);
    EXPECT_EQ(out->code, mob::errc::ok);
    EXPECT_EQ(out->type, "int");
    EXPECT_EQ(mob::decode<int>(proto::bytes(f[2])), 100);
}

TEST(protocol, a_failed_result_carries_the_code_no_type_and_the_message_as_plain_text) {
    // As router_calls.cpp's send_call_result and a worker's failing REPLY build it.
    frames f = start(command::result);
    f.push_back(proto::outcome{sample_call_id, mob::errc::worker_died, {}}.encode());
    f.push_back(text_frame("billing.charge: worker billing/4242@host-1#… died"));
    ASSERT_TRUE(proto::check_envelope(f, true).ok());
    EXPECT_EQ(f[1].size(), proto::outcome::fixed_size);
    auto out = proto::outcome::parse(proto::view(f[1]));
    ASSERT_TRUE(out.has_value());
    EXPECT_EQ(out->id, sample_call_id);
    EXPECT_EQ(out->code, mob::errc::worker_died);
    EXPECT_TRUE(out->type.empty());
    EXPECT_EQ(proto::view(f[2]).substr(0, 15), "billing.charge:");
}

TEST(protocol, invoke_round_trips_its_seq_origin_callback_types_and_args) {
    auto f = build(command::invoke);
    ASSERT_TRUE(proto::check_envelope(f, false).ok());
    EXPECT_EQ(proto::parse_seq(proto::view(f[1])), sample_invoke_seq);
    EXPECT_EQ(proto::view(f[2]), client_id);
    EXPECT_EQ(proto::parse_seq(proto::view(f[3])), sample_callback_id);
    EXPECT_EQ(proto::view(f[4]), "std::tuple<std::string>");
    EXPECT_EQ(mob::decode<std::tuple<std::string>>(proto::bytes(f[5])),
              std::tuple<std::string>{"done"});
}

TEST(protocol, invoked_round_trips_its_invoker_seq_callback_types_and_args) {
    auto f = build(command::invoked);
    ASSERT_TRUE(proto::check_envelope(f, true).ok());
    EXPECT_EQ(proto::view(f[1]), billing_id);
    EXPECT_EQ(proto::parse_seq(proto::view(f[2])), sample_invoke_seq);
    EXPECT_EQ(proto::parse_seq(proto::view(f[3])), sample_callback_id);
    EXPECT_EQ(proto::view(f[4]), sample_callback_types());
    EXPECT_EQ(mob::decode<std::tuple<std::string>>(proto::bytes(f[5])),
              std::tuple<std::string>{"done"});
}

TEST(protocol, release_round_trips_its_origin_and_callback) {
    auto f = build(command::release);
    ASSERT_TRUE(proto::check_envelope(f, false).ok());
    EXPECT_EQ(proto::view(f[1]), client_id);
    EXPECT_EQ(proto::parse_seq(proto::view(f[2])), sample_callback_id);
}

TEST(protocol, released_round_trips_its_holder_and_callback) {
    auto f = build(command::released);
    ASSERT_TRUE(proto::check_envelope(f, true).ok());
    EXPECT_EQ(proto::view(f[1]), billing_id);
    EXPECT_EQ(proto::parse_seq(proto::view(f[2])), sample_callback_id);
}

TEST(protocol, scale_round_trips_its_call_id_role_and_signed_delta) {
    auto f = build(command::scale);
    ASSERT_TRUE(proto::check_envelope(f, false).ok());
    EXPECT_FALSE(proto::check_envelope(f, true).ok());  // worker -> broker only
    EXPECT_EQ(proto::parse_seq(proto::view(f[1])), 7u);
    EXPECT_EQ(proto::view(f[2]), "billing");
    EXPECT_EQ(proto::parse_delta(proto::view(f[3])), -2);
    EXPECT_EQ(proto::encode_delta(-1), std::string(4, '\xff'));
    EXPECT_EQ(proto::encode_delta(258), (std::string{'\x02', '\x01', '\0', '\0'}));
    for (std::int32_t d : {0, 1, -1, 3, -3, INT32_MAX, INT32_MIN})
        EXPECT_EQ(proto::parse_delta(proto::encode_delta(d)), d);
    EXPECT_FALSE(proto::parse_delta("abc"));
    EXPECT_FALSE(proto::parse_delta("abcde"));
}

// ---- what the broker forwards ----

TEST(protocol, the_builders_lay_out_every_command_as_the_document_does) {
    for (auto c : all_commands)
        EXPECT_TRUE(same_frames(build(c), by_hand(c))) << proto::to_string(c);
}

TEST(protocol, a_call_becomes_a_request_with_the_brokers_ticket_patched_into_its_call_head) {
    // As the broker dispatches: the call head kept, its id patched in place, then sent on.
    auto in = build(command::call);
    auto call = proto::parse_call(in);
    ASSERT_TRUE(call);
    EXPECT_EQ(call->head.id(), sample_call_id);
    const auto* bytes_before = call->head.frame().data();
    call->head.set_id(sample_ticket);
    EXPECT_EQ(call->head.frame().data(), bytes_before);  // the same bytes, not a new frame
    auto out = proto::make_request(std::move(call->head.frame()), std::move(call->args));
    ASSERT_TRUE(proto::check_envelope(out, true).ok());
    EXPECT_TRUE(same_frames(out, build(command::request)));
    // The caller's routing id does not travel to the worker.
    for (const auto& m : out)
        EXPECT_EQ(proto::view(m).find(client_id), std::string_view::npos);
}

TEST(protocol, a_reply_becomes_a_result_with_the_callers_call_id_patched_into_its_outcome) {
    auto in = build(command::reply);
    auto reply = proto::parse_reply(in);
    ASSERT_TRUE(reply.result);
    ASSERT_EQ(reply.id, sample_ticket);
    auto out = proto::result_from_reply(reply, sample_call_id);
    ASSERT_TRUE(proto::check_envelope(out, true).ok());
    EXPECT_TRUE(same_frames(out, build(command::result)));

    // An outcome too long to live inside the message (over 33 bytes) keeps its buffer.
    const auto& type = mob::type_name<std::vector<std::pair<std::string, int>>>();
    auto long_reply = proto::make_reply({sample_ticket, mob::errc::ok, type}, text_frame(""));
    auto view = proto::parse_reply(long_reply);
    const auto* long_bytes = view.outcome_frame->data();
    auto long_result = proto::result_from_reply(view, sample_call_id);
    EXPECT_EQ(long_result[1].data(), long_bytes);  // patched in place and moved
    auto o = proto::outcome::parse(proto::view(long_result[1]));
    ASSERT_TRUE(o);
    EXPECT_EQ(o->id, sample_call_id);
    EXPECT_EQ(o->type, type);
}

TEST(protocol, an_invoke_becomes_an_invoked_with_the_invokers_id_instead_of_the_origin) {
    auto in = build(command::invoke);
    auto invoke = proto::parse_invoke(in);
    EXPECT_EQ(invoke.seq, sample_invoke_seq);
    EXPECT_EQ(invoke.origin, client_id);
    auto out = proto::make_invoked(text_frame(billing_id), invoke);
    ASSERT_TRUE(proto::check_envelope(out, true).ok());
    EXPECT_TRUE(same_frames(out, build(command::invoked)));
}

TEST(protocol, a_release_becomes_a_released_with_the_holders_id_instead_of_the_origin) {
    auto in = build(command::release);
    auto release = proto::parse_release(in);
    EXPECT_EQ(release.origin, client_id);
    auto out = proto::make_released(text_frame(billing_id), release);
    ASSERT_TRUE(proto::check_envelope(out, true).ok());
    EXPECT_TRUE(same_frames(out, build(command::released)));
}

TEST(protocol, a_send_is_delivered_with_its_frames_shared_not_copied) {
    auto in = proto::make_send(17, sample_target, "charge", mob::type_name<std::string>(),
                               mob::encode_frame(std::string(4096, 'x')));
    auto send = proto::parse_send(in);
    ASSERT_TRUE(send);
    auto out = proto::make_deliver(text_frame(client_id), *send);
    ASSERT_TRUE(proto::check_envelope(out, true).ok());
    auto d = proto::parse_deliver(out);
    ASSERT_TRUE(d);
    EXPECT_EQ(d->sender, client_id);
    EXPECT_EQ(d->seq, 17u);
    EXPECT_EQ(d->topic, "charge");
    EXPECT_EQ(mob::decode<std::string>(*d->payload), std::string(4096, 'x'));
    EXPECT_EQ(d->payload->data(), in.back().data());  // one buffer for SEND and DELIVER
}

TEST(protocol, body_frames_match_the_documented_table) {
    EXPECT_EQ(proto::body_frames(command::hello), 1u);
    EXPECT_EQ(proto::body_frames(command::ready), 1u);
    EXPECT_EQ(proto::body_frames(command::heartbeat), 0u);
    EXPECT_EQ(proto::body_frames(command::send), 5u);
    EXPECT_EQ(proto::body_frames(command::reject), 3u);
    EXPECT_EQ(proto::body_frames(command::goodbye), 0u);
    EXPECT_EQ(proto::body_frames(command::call), 2u);
    EXPECT_EQ(proto::body_frames(command::reply), 2u);
    EXPECT_EQ(proto::body_frames(command::invoke), 5u);
    EXPECT_EQ(proto::body_frames(command::release), 2u);
    EXPECT_EQ(proto::body_frames(command::scale), 3u);
    EXPECT_EQ(proto::body_frames(command::welcome), 1u);
    EXPECT_EQ(proto::body_frames(command::deliver), 5u);
    EXPECT_EQ(proto::body_frames(command::error), 2u);
    EXPECT_EQ(proto::body_frames(command::stop), 0u);
    EXPECT_EQ(proto::body_frames(command::hello_again), 0u);
    EXPECT_EQ(proto::body_frames(command::request), 2u);
    EXPECT_EQ(proto::body_frames(command::result), 2u);
    EXPECT_EQ(proto::body_frames(command::invoked), 5u);
    EXPECT_EQ(proto::body_frames(command::released), 2u);
}

TEST(protocol, command_bytes_are_the_ones_protocol_v1_fixed) {
    auto byte = [](command c) { return static_cast<unsigned>(c); };
    EXPECT_EQ(byte(command::hello), 0x01u);
    EXPECT_EQ(byte(command::ready), 0x02u);
    EXPECT_EQ(byte(command::heartbeat), 0x03u);
    EXPECT_EQ(byte(command::send), 0x04u);
    EXPECT_EQ(byte(command::reject), 0x05u);
    EXPECT_EQ(byte(command::goodbye), 0x06u);
    EXPECT_EQ(byte(command::call), 0x07u);
    EXPECT_EQ(byte(command::reply), 0x08u);
    EXPECT_EQ(byte(command::invoke), 0x09u);
    EXPECT_EQ(byte(command::release), 0x0au);
    EXPECT_EQ(byte(command::scale), 0x0bu);
    EXPECT_EQ(byte(command::welcome), 0x81u);
    EXPECT_EQ(byte(command::deliver), 0x82u);
    EXPECT_EQ(byte(command::error), 0x83u);
    EXPECT_EQ(byte(command::stop), 0x84u);
    EXPECT_EQ(byte(command::hello_again), 0x85u);
    EXPECT_EQ(byte(command::request), 0x86u);
    EXPECT_EQ(byte(command::result), 0x87u);
    EXPECT_EQ(byte(command::invoked), 0x88u);
    EXPECT_EQ(byte(command::released), 0x89u);
}

// ---- the header frame ----

TEST(protocol, header_frame_is_mob1_and_the_command_byte_in_five_bytes) {
    auto bytes = [](command c) { return std::string{proto::view(proto::header_frame(c))}; };
    EXPECT_EQ(bytes(command::call), std::string_view("\x4d\x4f\x42\x31\x07", 5));
    EXPECT_EQ(bytes(command::hello), std::string_view("\x4d\x4f\x42\x31\x01", 5));
    EXPECT_EQ(bytes(command::heartbeat), std::string_view("\x4d\x4f\x42\x31\x03", 5));
    EXPECT_EQ(bytes(command::scale), std::string_view("\x4d\x4f\x42\x31\x0b", 5));
    EXPECT_EQ(bytes(command::welcome), std::string_view("\x4d\x4f\x42\x31\x81", 5));
    EXPECT_EQ(bytes(command::result), std::string_view("\x4d\x4f\x42\x31\x87", 5));
    EXPECT_EQ(bytes(command::released), std::string_view("\x4d\x4f\x42\x31\x89", 5));
    for (auto c : all_commands) {
        const auto head = proto::header_frame(c);
        ASSERT_EQ(head.size(), 5u) << proto::to_string(c);
        EXPECT_EQ(proto::view(head).substr(0, 4), "MOB1") << proto::to_string(c);
        EXPECT_EQ(static_cast<std::uint8_t>(proto::view(head)[4]), static_cast<std::uint8_t>(c))
            << proto::to_string(c);
    }
}

TEST(protocol, command_of_reads_the_command_of_a_header_frame) {
    for (auto c : all_commands)
        EXPECT_EQ(proto::command_of(proto::header_frame(c)), c) << proto::to_string(c);
    EXPECT_EQ(proto::command_of(text_frame(std::string_view("MOB1\x07", 5))), command::call);
    // Any byte after "MOB1": command_of does not judge the byte, check_envelope does.
    EXPECT_EQ(proto::command_of(text_frame(std::string_view("MOB1\x7f", 5))),
              static_cast<command>(0x7f));
    EXPECT_EQ(proto::command_of(text_frame(std::string_view("MOB1\x00", 5))),
              static_cast<command>(0x00));
}

TEST(protocol, command_of_is_nullopt_for_anything_but_mob1_and_one_byte) {
    for (std::string_view frame :
         {std::string_view{}, std::string_view{"MOB1"}, std::string_view{"MOB"},
          std::string_view("MOB1\x07\x00", 6), std::string_view{"MOB1\x07\x07"},
          std::string_view{"MOB2\x07"}, std::string_view{"MOB0\x07"}, std::string_view{"mob1\x07"},
          std::string_view{"\x07MOB1"}, std::string_view{"XMOB1"}, std::string_view{"\x07"}}) {
        EXPECT_EQ(proto::command_of(text_frame(frame)), std::nullopt)
            << "frame of " << frame.size() << " bytes: '" << frame << "'";
    }
    // A body frame is no header, even one that starts with the header's bytes.
    EXPECT_EQ(proto::command_of(text_frame(std::string{proto::header} + "\x07 and more")),
              std::nullopt);
}

TEST(protocol, make_message_builds_the_header_frame_then_one_frame_per_part) {
    const auto seq = proto::encode_seq(20);
    const auto body = mob::encode(sample_error());
    auto f = proto::make_message(command::error, {seq, body});
    ASSERT_EQ(f.size(), 3u);
    EXPECT_EQ(proto::view(f[0]), std::string_view("MOB1\x83", 5));
    EXPECT_EQ(proto::view(f[1]), seq);
    EXPECT_EQ(proto::view(f[2]), body);
    EXPECT_TRUE(same_frames(f, build(command::error)));
    EXPECT_TRUE(proto::check_envelope(f, true).ok());

    auto beat = proto::make_message(command::heartbeat, {});
    ASSERT_EQ(beat.size(), 1u);
    EXPECT_EQ(proto::view(beat[0]), std::string_view("MOB1\x03", 5));
    EXPECT_TRUE(proto::check_envelope(beat, false).ok());
    EXPECT_TRUE(proto::check_envelope(beat, true).ok());

    // The rest pushed after, as router_calls.cpp does: the body starts at index 1.
    auto result = proto::make_message(command::result, {});
    ASSERT_EQ(result.size(), 1u);
    result.push_back(proto::outcome{sample_call_id, mob::errc::ok, mob::type_name<int>()}.encode());
    const auto hundred = mob::encode(100);
    result.emplace_back(hundred.data(), hundred.size());
    EXPECT_TRUE(same_frames(result, build(command::result)));
}

TEST(protocol, every_command_has_its_own_name) {
    std::vector<std::string_view> names;
    for (auto c : all_commands)
        names.push_back(proto::to_string(c));
    for (std::size_t i = 0; i < names.size(); ++i) {
        EXPECT_NE(names[i], "UNKNOWN");
        for (std::size_t j = i + 1; j < names.size(); ++j)
            EXPECT_NE(names[i], names[j]);
    }
    EXPECT_EQ(proto::to_string(command::hello), "HELLO");
    EXPECT_EQ(proto::to_string(command::call), "CALL");
    EXPECT_EQ(proto::to_string(command::reply), "REPLY");
    EXPECT_EQ(proto::to_string(command::invoke), "INVOKE");
    EXPECT_EQ(proto::to_string(command::release), "RELEASE");
    EXPECT_EQ(proto::to_string(command::request), "REQUEST");
    EXPECT_EQ(proto::to_string(command::result), "RESULT");
    EXPECT_EQ(proto::to_string(command::invoked), "INVOKED");
    EXPECT_EQ(proto::to_string(command::released), "RELEASED");
    EXPECT_EQ(proto::to_string(command::lost), "LOST");
    EXPECT_EQ(proto::to_string(command::holder_gone), "HOLDER_GONE");
    EXPECT_EQ(proto::to_string(static_cast<command>(0x7f)), "UNKNOWN");
}

TEST(protocol, the_command_lists_of_this_test_hold_every_command) {
    // 23 commands; only HEARTBEAT is in both directions.
    EXPECT_EQ(all_commands.size(), 23u);
    EXPECT_EQ(worker_commands.size() + broker_commands.size(), all_commands.size() + 1);
    for (auto c : all_commands) {
        bool from_worker = false;
        bool from_broker = false;
        for (auto k : worker_commands)
            from_worker = from_worker || k == c;
        for (auto k : broker_commands)
            from_broker = from_broker || k == c;
        EXPECT_TRUE(from_worker || from_broker) << proto::to_string(c);
        EXPECT_EQ(from_worker && from_broker, c == command::heartbeat) << proto::to_string(c);
    }
}

// ---- envelopes that are rejected ----

TEST(protocol, check_envelope_rejects_no_frames) {
    frames f;
    expect_rejected(f, false, mob::errc::bad_frame, "no frames");
    expect_rejected(f, true, mob::errc::bad_frame, "no frames");
    EXPECT_EQ(proto::check_envelope(f, false).reason, "no frames");
    EXPECT_EQ(proto::check_envelope(f, true).reason, "no frames");
}

TEST(protocol, a_lone_header_frame_passes_only_for_commands_without_a_body) {
    for (auto c : all_commands) {
        const std::string name{proto::to_string(c)};
        const bool from_broker =
            c != command::heartbeat &&
            std::find(broker_commands.begin(), broker_commands.end(), c) != broker_commands.end();
        auto env = proto::check_envelope(start(c), from_broker);
        if (proto::body_frames(c) == 0) {
            EXPECT_TRUE(env.ok()) << name << ": " << env.reason;
            EXPECT_EQ(env.cmd, c) << name;
        } else {
            expect_rejected(start(c), from_broker, mob::errc::bad_frame, name + " header only");
            const auto* info = proto::find_command(c);
            EXPECT_EQ(
                env.reason,
                fmt::format("{} with 0 body frames, expected {}{}", name, info->body_frames,
                            info->optional_frames > 0
                                ? fmt::format(" to {}", info->body_frames + info->optional_frames)
                                : std::string{}));
        }
    }
}

TEST(protocol, check_envelope_rejects_a_wrong_header) {
    // Each a whole HEARTBEAT (no body) but for its header frame.
    for (std::string head :
         {std::string{}, std::string{"M"}, std::string{"MOB"}, std::string{"MOB\x03"},
          std::string{"mob1\x03"}, std::string{"XMOB\x03"}, std::string{"ABCD\x03"},
          std::string{"\x03MOB1"}, std::string{" MOB1\x03"}, std::string{"MOB1\x03 "},
          std::string("MOB1\x03\x00", 6), std::string("\0\0\0\0\x03", 5)}) {
        frames f;
        f.push_back(text_frame(head));
        expect_rejected(f, false, mob::errc::bad_frame, "header '" + head + "'");
        expect_rejected(f, true, mob::errc::bad_frame, "header '" + head + "'");
        EXPECT_EQ(proto::check_envelope(f, false).reason, "no MOB1 header frame") << head;
    }
}

TEST(protocol, check_envelope_rejects_another_version_with_bad_version) {
    for (std::string version : {"MOB2", "MOB0", "MOB9", "MOBx"}) {
        for (auto c : {command::heartbeat, command::hello, command::call}) {
            // The other version's header frame, and a body as long as MOB1's.
            auto f = of_texts({version + static_cast<char>(c)});
            for (std::size_t i = 0; i < proto::body_frames(c); ++i)
                f.push_back(text_frame("x"));
            expect_rejected(f, false, mob::errc::bad_version, version);
            expect_rejected(f, true, mob::errc::bad_version, version);
            // Only the version shows, not the command byte after it.
            EXPECT_EQ(proto::check_envelope(f, false).reason,
                      "protocol version '" + version + "' (this side speaks MOB1)");
        }
    }
    // Two frames, the second one byte, as in the old layout: still the version that counts.
    auto f = of_texts({"MOB2\x01", mob::encode(sample_hello())});
    auto env = proto::check_envelope(f, false);
    EXPECT_EQ(env.code, mob::errc::bad_version);
    EXPECT_NE(env.reason.find("'MOB2'"), std::string::npos) << env.reason;
}

TEST(protocol, check_envelope_rejects_a_header_frame_of_4_or_6_bytes) {
    // "MOB1" and a command byte in exactly 5 bytes, no fewer and no more.
    for (std::string head :
         {std::string{"MOB1"}, std::string{"MOB1\x03\x03"}, std::string("MOB1\x03\x00", 6),
          std::string("MOB1\x01\x00", 6), std::string{"MOB2"}, std::string{"MOB2\x03\x03"}}) {
        auto f = of_texts({head});
        for (bool from_broker : {false, true}) {
            auto env = proto::check_envelope(f, from_broker);
            EXPECT_EQ(env.code, mob::errc::bad_frame) << head.size() << ": " << env.reason;
            EXPECT_EQ(env.reason, "no MOB1 header frame") << head.size();
        }
    }
}

TEST(protocol, check_envelope_rejects_the_old_two_frame_layout) {
    // "MOB1" in a frame of its own, then the command byte in the next: bad_frame, whatever
    // the command and however many frames follow.
    auto check = [](command c, bool from_broker) {
        const std::string name{proto::to_string(c)};
        auto f = old_layout(c);
        ASSERT_EQ(f.size(), 2 + proto::body_frames(c)) << name;
        ASSERT_EQ(f[0].size(), 4u);
        auto env = proto::check_envelope(f, from_broker);
        EXPECT_FALSE(env.ok()) << name;
        EXPECT_EQ(env.code, mob::errc::bad_frame) << name << ": " << env.reason;
        EXPECT_EQ(env.reason, "no MOB1 header frame") << name;
        // The old header alone, and with only its command frame.
        f.resize(2);
        EXPECT_EQ(proto::check_envelope(f, from_broker).reason, "no MOB1 header frame") << name;
        f.resize(1);
        EXPECT_EQ(proto::check_envelope(f, from_broker).reason, "no MOB1 header frame") << name;
    };
    for (auto c : worker_commands)
        check(c, false);
    for (auto c : broker_commands)
        check(c, true);
}

TEST(protocol, check_envelope_counts_body_frames_after_the_header_frame) {
    auto f = start(command::send);
    f.push_back(text_frame(proto::encode_seq(42)));
    EXPECT_EQ(proto::check_envelope(f, false).reason, "SEND with 1 body frames, expected 5");
    auto heartbeat = build(command::heartbeat);
    heartbeat.push_back(text_frame(""));
    EXPECT_EQ(proto::check_envelope(heartbeat, true).reason,
              "HEARTBEAT with 1 body frames, expected 0");
    auto deliver = build(command::deliver);
    deliver.pop_back();
    EXPECT_EQ(proto::check_envelope(deliver, true).reason,
              "DELIVER with 4 body frames, expected 5");
}

TEST(protocol, check_envelope_names_the_unknown_command_byte) {
    for (unsigned v : {0x00u, 0x0du, 0x7fu, 0x80u, 0x8cu, 0xffu}) {
        auto f = of_texts({std::string{proto::header} + static_cast<char>(v)});
        for (bool from_broker : {false, true}) {
            auto env = proto::check_envelope(f, from_broker);
            EXPECT_EQ(env.code, mob::errc::bad_frame);
            EXPECT_EQ(env.reason, fmt::format("unknown command 0x{:02x}", v));
        }
    }
}

TEST(protocol, check_envelope_rejects_an_unknown_command_byte) {
    for (unsigned v = 0; v < 256; ++v) {
        auto c = static_cast<command>(v);
        bool known_worker = false;
        bool known_broker = false;
        for (auto k : worker_commands)
            known_worker = known_worker || k == c;
        for (auto k : broker_commands)
            known_broker = known_broker || k == c;
        frames f = start(c);
        for (std::size_t i = 0; i < proto::body_frames(c); ++i)
            f.push_back(text_frame("x"));
        if (!known_worker) {
            expect_rejected(f, false, mob::errc::bad_frame, "byte " + std::to_string(v));
        }
        if (!known_broker) {
            expect_rejected(f, true, mob::errc::bad_frame, "byte " + std::to_string(v));
        }
    }
}

TEST(protocol, check_envelope_rejects_a_broker_command_sent_by_a_worker) {
    for (auto c : broker_commands) {
        if (c == command::heartbeat)
            continue;
        expect_rejected(build(c), /*from_broker=*/false, mob::errc::bad_frame,
                        std::string{proto::to_string(c)});
    }
}

TEST(protocol, check_envelope_rejects_a_worker_command_sent_by_the_broker) {
    for (auto c : worker_commands) {
        if (c == command::heartbeat)
            continue;
        expect_rejected(build(c), /*from_broker=*/true, mob::errc::bad_frame,
                        std::string{proto::to_string(c)});
    }
}

TEST(protocol, check_envelope_rejects_request_result_invoked_and_released_sent_by_a_worker) {
    for (auto c : {command::request, command::result, command::invoked, command::released}) {
        const std::string name{proto::to_string(c)};
        ASSERT_TRUE(proto::check_envelope(build(c), /*from_broker=*/true).ok()) << name;
        expect_rejected(build(c), /*from_broker=*/false, mob::errc::bad_frame, name);
        auto env = proto::check_envelope(build(c), false);
        EXPECT_NE(env.reason.find("unknown command"), std::string::npos) << env.reason;
    }
}

TEST(protocol, check_envelope_rejects_ready_call_reply_invoke_and_release_sent_by_the_broker) {
    for (auto c :
         {command::ready, command::call, command::reply, command::invoke, command::release}) {
        const std::string name{proto::to_string(c)};
        ASSERT_TRUE(proto::check_envelope(build(c), /*from_broker=*/false).ok()) << name;
        expect_rejected(build(c), /*from_broker=*/true, mob::errc::bad_frame, name);
    }
}

TEST(protocol, check_envelope_rejects_a_ready_without_its_body) {
    // READY had no body before RPC; a bodiless READY is now malformed.
    auto f = start(command::ready);
    auto env = proto::check_envelope(f, false);
    EXPECT_FALSE(env.ok());
    EXPECT_EQ(env.code, mob::errc::bad_frame);
    EXPECT_EQ(env.reason, "READY with 0 body frames, expected 1");
}

TEST(protocol, check_envelope_rejects_too_many_body_frames) {
    auto check = [](command c, bool from_broker) {
        auto f = build(c);
        // One frame past the most the command may carry (a RESULT's [served by] is
        // optional: a RESULT takes 3 body frames, not 4).
        for (std::size_t i = 0; i <= proto::find_command(c)->optional_frames; ++i)
            f.push_back(text_frame("extra"));
        expect_rejected(f, from_broker, mob::errc::bad_frame,
                        std::string{proto::to_string(c)} + " plus one");
        auto env = proto::check_envelope(f, from_broker);
        EXPECT_EQ(env.cmd, c);
    };
    for (auto c : worker_commands)
        check(c, false);
    for (auto c : broker_commands)
        check(c, true);
}

TEST(protocol, check_envelope_rejects_too_few_body_frames) {
    auto check = [](command c, bool from_broker) {
        auto f = build(c);
        if (f.size() == 1)
            return;
        f.pop_back();
        expect_rejected(f, from_broker, mob::errc::bad_frame,
                        std::string{proto::to_string(c)} + " minus one");
        // The header frame alone is not enough either.
        f.resize(1);
        expect_rejected(f, from_broker, mob::errc::bad_frame,
                        std::string{proto::to_string(c)} + " without body");
    };
    for (auto c : worker_commands)
        check(c, false);
    for (auto c : broker_commands)
        check(c, true);
}

// ---- targets ----

TEST(target, every_kind_round_trips) {
    const std::vector<proto::target> targets{
        {proto::target_kind::all, ""},
        {proto::target_kind::role, "billing"},
        {proto::target_kind::any, "billing"},
        {proto::target_kind::pid, "4242"},
        {proto::target_kind::pid, std::to_string(std::numeric_limits<std::int64_t>::max())},
        {proto::target_kind::id, "billing/4242@host-1#0123456789abcdef"},
    };
    for (const auto& t : targets) {
        auto frame = t.encode();
        EXPECT_EQ(frame.size(), 1 + t.value.size());
        EXPECT_EQ(frame[0], static_cast<char>(t.kind));
        auto back = proto::target::parse(frame);
        ASSERT_TRUE(back.has_value()) << frame;
        EXPECT_EQ(*back, t) << frame;
    }
}

TEST(target, describe_says_who_it_is_for) {
    EXPECT_EQ((proto::target{proto::target_kind::all, ""}.describe()), "all");
    EXPECT_EQ((proto::target{proto::target_kind::role, "a"}.describe()), "all('a')");
    EXPECT_EQ((proto::target{proto::target_kind::any, "a"}.describe()), "any('a')");
    EXPECT_EQ((proto::target{proto::target_kind::pid, "12"}.describe()), "pid(12)");
    EXPECT_EQ((proto::target{proto::target_kind::id, "x"}.describe()), "id('x')");
}

TEST(target, parse_rejects_an_empty_frame) {
    EXPECT_EQ(proto::target::parse(""), std::nullopt);
}

TEST(target, parse_rejects_an_unknown_kind_byte) {
    for (std::string_view frame : {"Xbilling", "rbilling", "!billing", " billing"}) {
        EXPECT_EQ(proto::target::parse(frame), std::nullopt) << frame;
    }
    EXPECT_EQ(proto::target::parse(std::string_view{"\0billing", 8}), std::nullopt);
}

TEST(target, parse_rejects_all_with_a_value) {
    EXPECT_EQ(proto::target::parse("*billing"), std::nullopt);
    EXPECT_EQ(proto::target::parse("**"), std::nullopt);
}

TEST(target, parse_rejects_a_pid_that_is_not_a_positive_number) {
    for (std::string_view frame : {"P", "Pabc", "P12a", "Pa12", "P 12", "P12 ", "P+12", "P0", "P00",
                                   "P-1", "P-4242", "P1.5", "P99999999999999999999"}) {
        EXPECT_EQ(proto::target::parse(frame), std::nullopt) << frame;
    }
}

TEST(target, parse_rejects_a_role_or_id_with_an_empty_value) {
    EXPECT_EQ(proto::target::parse("R"), std::nullopt);
    EXPECT_EQ(proto::target::parse("?"), std::nullopt);
    EXPECT_EQ(proto::target::parse("I"), std::nullopt);
}

// ---- sequence numbers ----

TEST(seq, round_trips_edge_values) {
    for (std::uint64_t v : {std::uint64_t{0}, std::uint64_t{1}, std::uint64_t{255},
                            std::uint64_t{256}, std::numeric_limits<std::uint64_t>::max()}) {
        auto frame = proto::encode_seq(v);
        EXPECT_EQ(frame.size(), 8u);
        EXPECT_EQ(proto::parse_seq(frame), v);
    }
}

TEST(seq, is_little_endian) {
    EXPECT_EQ(proto::encode_seq(1), std::string("\x01\0\0\0\0\0\0\0", 8));
    EXPECT_EQ(proto::encode_seq(0x0102030405060708ULL),
              std::string("\x08\x07\x06\x05\x04\x03\x02\x01", 8));
    EXPECT_EQ(proto::encode_seq(std::numeric_limits<std::uint64_t>::max()), std::string(8, '\xff'));
}

TEST(seq, parse_rejects_frames_that_are_not_eight_bytes) {
    EXPECT_EQ(proto::parse_seq(std::string(7, '\x01')), std::nullopt);
    EXPECT_EQ(proto::parse_seq(std::string(9, '\x01')), std::nullopt);
    EXPECT_EQ(proto::parse_seq(""), std::nullopt);
}

// ---- call heads ----

// The bytes of a call head, spelled out: the C++ literals are cut after each \x escape,
// which would otherwise swallow the hex digits of a following name.
std::string bytes_of(std::initializer_list<std::string_view> parts) {
    std::string out;
    for (auto p : parts)
        out.append(p);
    return out;
}

// back.add(1, 2): call id 1, no flags, a 30 s timeout.
const std::string worked_head = bytes_of({
    std::string_view{"\x01\x00\x00\x00\x00\x00\x00\x00", 8},  // id 1
    std::string_view{"\x00", 1},                              // flags
    std::string_view{"\x30\x75\x00\x00", 4},                  // timeout 30000 ms
    "\x04", "back",                                           // role
    "\x03", "add",                                            // method
    "std::tuple<int, int>",                                   // types
});

void expect_same_head(const proto::call_head& got, const proto::call_head& want) {
    EXPECT_EQ(got.id, want.id);
    EXPECT_EQ(got.options.flags, want.options.flags);
    EXPECT_EQ(got.options.timeout_ms, want.options.timeout_ms);
    EXPECT_EQ(got.role, want.role);
    EXPECT_EQ(got.method, want.method);
    EXPECT_EQ(got.types, want.types);
}

TEST(call_head, encodes_the_worked_example_byte_for_byte) {
    ASSERT_EQ(worked_head.size(), 42u);
    const proto::call_head h{1, {0, 30000}, "back", "add", "std::tuple<int, int>"};
    const auto frame = h.encode();
    EXPECT_EQ(proto::view(frame), worked_head);
    auto back = proto::call_head::parse(worked_head);
    ASSERT_TRUE(back.has_value());
    expect_same_head(*back, h);
}

TEST(call_head, writes_id_and_timeout_little_endian_after_the_flag_byte) {
    const proto::call_head h{0x0102030405060708ULL,
                             {proto::call_idempotent | proto::call_oneway, 0x0a0b0c0d},
                             "r",
                             "m",
                             "t"};
    EXPECT_EQ(proto::view(h.encode()), std::string_view("\x08\x07\x06\x05\x04\x03\x02\x01"
                                                        "\x03"
                                                        "\x0d\x0c\x0b\x0a"
                                                        "\x01r\x01m"
                                                        "t",
                                                        18));
}

TEST(call_head, round_trips_every_field) {
    const std::string role = "billing";
    const std::string method = "charge";
    const std::string types = mob::type_name<std::tuple<int, std::string>>();
    for (std::uint64_t id :
         {std::uint64_t{0}, std::uint64_t{1}, std::uint64_t{0x0123456789abcdefULL},
          std::numeric_limits<std::uint64_t>::max()}) {
        for (std::uint8_t flags : {std::uint8_t{0}, std::uint8_t{proto::call_idempotent},
                                   std::uint8_t{proto::call_oneway},
                                   std::uint8_t{proto::call_idempotent | proto::call_oneway}}) {
            for (std::uint32_t timeout : {0u, 1u, 255u, 256u, 30000u, 0x80000000u,
                                          std::numeric_limits<std::uint32_t>::max()}) {
                const proto::call_head h{id, {flags, timeout}, role, method, types};
                const auto frame = h.encode();
                EXPECT_EQ(frame.size(), proto::call_head::fixed_size + role.size() + method.size() +
                                            types.size());
                auto back = proto::call_head::parse(proto::view(frame));
                ASSERT_TRUE(back.has_value()) << id << " " << int{flags} << " " << timeout;
                expect_same_head(*back, h);
            }
        }
    }
}

TEST(call_head, round_trips_empty_types) {
    const proto::call_head h{7, {}, "back", "whoami", ""};
    const auto frame = h.encode();
    EXPECT_EQ(frame.size(), proto::call_head::fixed_size + 4 + 6);
    EXPECT_EQ(proto::view(frame).back(), 'i') << "the frame ends with the method";
    auto back = proto::call_head::parse(proto::view(frame));
    ASSERT_TRUE(back.has_value());
    expect_same_head(*back, h);
    EXPECT_TRUE(back->types.empty());
}

TEST(call_head, round_trips_an_empty_role_and_method_in_the_smallest_frame) {
    const proto::call_head h{9, {proto::call_oneway, 5}, "", "", ""};
    const auto frame = h.encode();
    EXPECT_EQ(frame.size(), proto::call_head::fixed_size);
    EXPECT_EQ(proto::call_head::fixed_size, 15u);
    auto back = proto::call_head::parse(proto::view(frame));
    ASSERT_TRUE(back.has_value());
    expect_same_head(*back, h);
    // An empty role before a method: the method is not read as the role.
    const proto::call_head no_role{9, {}, "", "add", "x"};
    const auto no_role_frame = no_role.encode();  // the parsed views point into it
    back = proto::call_head::parse(proto::view(no_role_frame));
    ASSERT_TRUE(back.has_value());
    expect_same_head(*back, no_role);
}

TEST(call_head, round_trips_255_byte_role_and_method) {
    const std::string role(255, 'r');
    const std::string method(255, 'm');
    const std::string types = "std::tuple<>";
    const proto::call_head h{3, {proto::call_idempotent, 100}, role, method, types};
    const auto frame = h.encode();
    EXPECT_EQ(frame.size(), proto::call_head::fixed_size + 255 + 255 + types.size());
    EXPECT_EQ(static_cast<unsigned>(static_cast<unsigned char>(proto::view(frame)[13])), 255u);
    auto back = proto::call_head::parse(proto::view(frame));
    ASSERT_TRUE(back.has_value());
    expect_same_head(*back, h);
}

TEST(call_head, encode_refuses_a_role_or_method_of_256_bytes) {
    const std::string long_name(256, 'x');
    EXPECT_THROW((void)(proto::call_head{1, {}, "back", long_name, ""}.encode()),
                 std::length_error);
    EXPECT_THROW((void)(proto::call_head{1, {}, long_name, "add", ""}.encode()), std::length_error);
    // Long types are fine: they run to the end of the frame.
    EXPECT_NO_THROW((void)(proto::call_head{1, {}, "back", "add", long_name}.encode()));
}

TEST(call_head, parse_rejects_a_frame_shorter_than_its_fixed_size) {
    const auto smallest = proto::call_head{1, {}, "", "", ""}.encode();
    ASSERT_TRUE(proto::call_head::parse(proto::view(smallest)).has_value());
    for (std::size_t n = 0; n < proto::call_head::fixed_size; ++n) {
        EXPECT_FALSE(proto::call_head::parse(proto::view(smallest).substr(0, n)).has_value()) << n;
    }
}

TEST(call_head, parse_rejects_a_frame_cut_inside_its_names) {
    // Cut anywhere before the method's end it fails; after it, the types are cut.
    const std::size_t names_end = proto::call_head::fixed_size + 4 + 3;
    for (std::size_t n = 0; n <= worked_head.size(); ++n) {
        auto back = proto::call_head::parse(std::string_view{worked_head}.substr(0, n));
        EXPECT_EQ(back.has_value(), n >= names_end) << n;
        if (back) {
            EXPECT_EQ(back->types, worked_head.substr(names_end, n - names_end));
        }
    }
}

TEST(call_head, parse_rejects_a_role_size_past_the_end) {
    std::string frame = worked_head;
    frame[13] = '\xff';
    EXPECT_FALSE(proto::call_head::parse(frame).has_value());
    // A role that takes the rest of the frame leaves no method size byte.
    frame[13] = static_cast<char>(frame.size() - 14);
    EXPECT_FALSE(proto::call_head::parse(frame).has_value());
    frame[13] = static_cast<char>(frame.size() - 14 + 1);
    EXPECT_FALSE(proto::call_head::parse(frame).has_value());
}

TEST(call_head, parse_rejects_a_method_size_past_the_end) {
    std::string frame = worked_head;
    const std::size_t at = 13 + 1 + 4;  // the method's size byte
    ASSERT_EQ(frame[at], '\x03');
    const std::size_t rest = frame.size() - at - 1;
    frame[at] = static_cast<char>(rest + 1);
    EXPECT_FALSE(proto::call_head::parse(frame).has_value());
    frame[at] = '\xff';
    EXPECT_FALSE(proto::call_head::parse(frame).has_value());
    // Exactly to the end: the method takes the types, which are empty.
    frame[at] = static_cast<char>(rest);
    auto back = proto::call_head::parse(frame);
    ASSERT_TRUE(back.has_value());
    EXPECT_EQ(back->method, "addstd::tuple<int, int>");
    EXPECT_TRUE(back->types.empty());
}

TEST(call_head, parse_rejects_unknown_flag_bits) {
    for (unsigned v = 0; v < 256; ++v) {
        std::string frame = worked_head;
        frame[8] = static_cast<char>(v);
        const bool known = (v & ~0x07u) == 0;  // idempotent, oneway, report_server
        auto back = proto::call_head::parse(frame);
        EXPECT_EQ(back.has_value(), known) << "flags " << v;
        if (back) {
            EXPECT_EQ(unsigned{back->options.flags}, v);
        }
    }
}

TEST(call_head, with_id_replaces_only_the_first_eight_bytes) {
    const auto call = sample_head().encode();
    const std::string before{proto::view(call)};
    const auto request = proto::call_head::with_id(proto::view(call), 0x1122334455667788ULL);
    ASSERT_EQ(request.size(), call.size());
    EXPECT_EQ(proto::view(request).substr(0, 8),
              std::string_view("\x88\x77\x66\x55\x44\x33\x22\x11", 8));
    EXPECT_EQ(proto::view(request).substr(8), proto::view(call).substr(8));
    EXPECT_EQ(proto::view(call), before) << "the CALL's head is copied, not changed";
    auto back = proto::call_head::parse(proto::view(request));
    ASSERT_TRUE(back.has_value());
    expect_same_head(*back, sample_head(0x1122334455667788ULL));
    // The smallest head works too.
    const auto smallest = proto::call_head{1, {}, "", "", ""}.encode();
    const auto renamed = proto::call_head::with_id(proto::view(smallest), 2);
    const auto want = proto::call_head{2, {}, "", "", ""}.encode();
    EXPECT_EQ(proto::view(renamed), proto::view(want));
}

// ---- outcomes ----

TEST(outcome, encodes_id_then_code_little_endian_then_the_type) {
    EXPECT_EQ(proto::view(proto::outcome{1, mob::errc::callback_expired, "int"}.encode()),
              std::string_view("\x01\x00\x00\x00\x00\x00\x00\x00"
                               "\x17\x00"
                               "int",
                               13));
    EXPECT_EQ(
        proto::view(
            proto::outcome{0x0102030405060708ULL, static_cast<mob::errc>(0x1234), {}}.encode()),
        std::string_view("\x08\x07\x06\x05\x04\x03\x02\x01\x34\x12", 10));
    EXPECT_EQ(proto::view(proto::outcome{}.encode()), std::string(10, '\0'));
}

TEST(outcome, round_trips_every_field) {
    const std::string long_type(1000, 't');
    std::vector<mob::errc> codes;
    for (std::uint16_t v = 0; v <= static_cast<std::uint16_t>(mob::errc::broker_lost); ++v)
        codes.push_back(static_cast<mob::errc>(v));
    for (std::uint16_t v : {std::uint16_t{0x0100}, std::uint16_t{0x1234}, std::uint16_t{0xffff}})
        codes.push_back(static_cast<mob::errc>(v));  // unnamed codes travel as numbers
    for (std::uint64_t id :
         {std::uint64_t{0}, std::uint64_t{1}, std::uint64_t{0x0123456789abcdefULL},
          std::numeric_limits<std::uint64_t>::max()}) {
        for (auto code : codes) {
            for (std::string_view type :
                 {std::string_view{}, std::string_view{"int"}, std::string_view{long_type}}) {
                const proto::outcome o{id, code, type};
                const auto frame = o.encode();
                EXPECT_EQ(frame.size(), proto::outcome::fixed_size + type.size());
                auto back = proto::outcome::parse(proto::view(frame));
                ASSERT_TRUE(back.has_value());
                EXPECT_EQ(back->id, id);
                EXPECT_EQ(back->code, code);
                EXPECT_EQ(back->type, type);
            }
        }
    }
}

TEST(outcome, parse_rejects_a_frame_shorter_than_ten_bytes) {
    const auto frame = proto::outcome{5, mob::errc::timeout, {}}.encode();
    ASSERT_EQ(frame.size(), 10u);
    for (std::size_t n = 0; n < proto::outcome::fixed_size; ++n)
        EXPECT_FALSE(proto::outcome::parse(proto::view(frame).substr(0, n)).has_value()) << n;
    auto back = proto::outcome::parse(proto::view(frame));
    ASSERT_TRUE(back.has_value());
    EXPECT_EQ(back->id, 5u);
    EXPECT_EQ(back->code, mob::errc::timeout);
    EXPECT_TRUE(back->type.empty());
    // An 8-byte call id alone (the old RESULT's first frame) is no outcome.
    EXPECT_FALSE(proto::outcome::parse(proto::encode_seq(5)).has_value());
}

// ---- identity ----

TEST(identity, valid_role_names_are_accepted) {
    for (std::string_view name :
         {"a", "billing", "Billing2", "web-front", "job_runner", "v1.2", "-", "_", ".", "0"}) {
        EXPECT_TRUE(mob::valid_role_name(name)) << name;
    }
    EXPECT_TRUE(mob::valid_role_name(std::string(64, 'r')));
}

TEST(identity, invalid_role_names_are_refused) {
    for (std::string_view name :
         {"", "a b", "a/b", "a@b", "a#b", "a*", "a?", "r\xc3\xa9le", "tab\t", "new\nline"}) {
        EXPECT_FALSE(mob::valid_role_name(name)) << name;
    }
    EXPECT_FALSE(mob::valid_role_name(std::string_view{"a\0b", 3}));
    EXPECT_FALSE(mob::valid_role_name(std::string(65, 'r')));
}

TEST(identity, routing_id_reads_role_pid_host_and_nonce) {
    EXPECT_EQ(mob::make_routing_id("billing", 4242, "host-1", 0xabcULL),
              "billing/4242@host-1#0000000000000abc");
    EXPECT_EQ(mob::make_routing_id("r", 1, "h", 0xffffffffffffffffULL), "r/1@h#ffffffffffffffff");
}

// "role/pid@host#nonce" with a role name, a decimal pid, a host without '#' and 16
// lower-case hex digits (checked by hand: std::regex trips GCC 12 warnings in
// sanitizer builds).
bool has_routing_id_format(const std::string& id) {
    const auto slash = id.find('/');
    const auto at = id.find('@', slash == std::string::npos ? 0 : slash);
    const auto hash = id.rfind('#');
    if (slash == std::string::npos || at == std::string::npos || hash == std::string::npos ||
        hash < at) {
        return false;
    }
    if (!mob::valid_role_name(std::string_view{id}.substr(0, slash)))
        return false;
    auto pid = std::string_view{id}.substr(slash + 1, at - slash - 1);
    if (!pid.empty() && pid.front() == '-')
        pid.remove_prefix(1);
    if (pid.empty() || pid.find_first_not_of("0123456789") != std::string_view::npos) {
        return false;
    }
    const auto host = std::string_view{id}.substr(at + 1, hash - at - 1);
    if (host.empty() || host.find('#') != std::string_view::npos)
        return false;
    const auto nonce = std::string_view{id}.substr(hash + 1);
    return nonce.size() == 16 && nonce.find_first_not_of("0123456789abcdef") == std::string::npos;
}

TEST(identity, routing_id_has_the_documented_format) {
    for (std::uint64_t nonce : {std::uint64_t{1}, mob::random_nonce(), mob::random_nonce()}) {
        auto id = mob::make_routing_id("billing", 99, mob::local_hostname(), nonce);
        EXPECT_TRUE(has_routing_id_format(id)) << id;
    }
    EXPECT_TRUE(has_routing_id_format(mob::make_routing_id("r", -1, "h", 2)));
    EXPECT_FALSE(has_routing_id_format("billing/99@host#123"));
    EXPECT_FALSE(has_routing_id_format("billing/x9@host#0123456789abcdef"));
}

TEST(identity, routing_id_fits_zeromq_limit_even_with_a_huge_host) {
    const std::string host(300, 'h');
    const std::string role(64, 'r');
    auto id = mob::make_routing_id(role, std::numeric_limits<std::int64_t>::min(), host,
                                   0x0123456789abcdefULL);
    EXPECT_LE(id.size(), 255u);
    EXPECT_EQ(id.substr(0, 65), role + "/");
    // The nonce, which keeps ids unique, survives the cut.
    EXPECT_EQ(id.substr(id.size() - 17), "#0123456789abcdef");
}

TEST(identity, routing_id_fits_zeromq_limit_even_with_a_huge_role) {
    auto id = mob::make_routing_id(std::string(300, 'r'), 1, std::string(300, 'h'), 1);
    EXPECT_LE(id.size(), 255u);
    EXPECT_EQ(id.substr(id.size() - 17), "#0000000000000001");
}

TEST(identity, random_nonce_is_never_zero_and_varies) {
    auto a = mob::random_nonce();
    auto b = mob::random_nonce();
    EXPECT_NE(a, 0u);
    EXPECT_NE(b, 0u);
    EXPECT_NE(a, b);
}

TEST(identity, local_hostname_is_never_empty) {
    EXPECT_FALSE(mob::local_hostname().empty());
}

// ---- fuzz ----
// allocation_guard.cpp (linked in) turns a length prefix claiming gigabytes into a quick
// std::bad_alloc, which decode reports as mob::error.

TEST(protocol_fuzz, random_frames_never_crash_the_envelope_check_or_the_decoders) {
    std::mt19937_64 rng{20240601};
    auto below = [&](std::uint64_t n) { return rng() % n; };
    auto random_bytes = [&](std::size_t n) {
        std::string s(n, '\0');
        for (auto& ch : s)
            ch = static_cast<char>(rng());
        return s;
    };
    std::vector<std::string> valid_bodies{
        mob::encode(sample_hello()),
        mob::encode(proto::hello{}),
        mob::encode(sample_welcome()),
        mob::encode(sample_error()),
        mob::encode(sample_ready()),
        mob::encode(proto::ready{}),
        proto::encode_seq(sample_call_id),
        std::string{proto::view(sample_head().encode())},
        worked_head,
        std::string{proto::view(proto::outcome{}.encode())},
        std::string{
            proto::view(proto::outcome{sample_ticket, mob::errc::timeout, "int"}.encode())}};

    int accepted = 0;
    int decoded = 0;
    int versions = 0;
    std::set<command> reached;
    for (int round = 0; round < 20000; ++round) {
        frames f;
        auto count = below(10);
        for (std::uint64_t i = 0; i < count; ++i) {
            if (i == 0 && below(2) == 0) {
                f.push_back(proto::header_frame(all_commands[below(all_commands.size())]));
            } else if (i == 0 && below(3) == 0) {
                // Near misses: any command byte, another version, the old 4-byte header.
                switch (below(3)) {
                    case 0:
                        f.push_back(text_frame(std::string{proto::header} + random_bytes(1)));
                        break;
                    case 1:
                        f.push_back(text_frame("MOB" + random_bytes(2)));
                        break;
                    default:
                        f.push_back(text_frame(proto::header));
                        break;
                }
            } else if (below(4) == 0) {
                // A real body, sometimes cut short or with junk after it.
                auto body = valid_bodies[below(valid_bodies.size())];
                switch (below(3)) {
                    case 0:
                        body.resize(below(body.size() + 1));
                        break;
                    case 1:
                        body += random_bytes(1 + below(8));
                        break;
                    default:
                        break;
                }
                f.push_back(text_frame(body));
            } else {
                f.push_back(text_frame(random_bytes(below(33))));
            }
        }
        const bool from_broker = below(2) == 0;
        proto::envelope env;
        ASSERT_NO_THROW(env = proto::check_envelope(f, from_broker)) << "round " << round;
        if (!env.ok()) {
            EXPECT_TRUE(env.code == mob::errc::bad_frame || env.code == mob::errc::bad_version);
            EXPECT_FALSE(env.reason.empty());
            // bad_version only for a 5-byte frame 0 of "MOB" and not "MOB1".
            if (env.code == mob::errc::bad_version) {
                ++versions;
                ASSERT_FALSE(f.empty());
                EXPECT_EQ(f[0].size(), 5u);
                EXPECT_EQ(proto::view(f[0]).substr(0, 3), "MOB");
                EXPECT_EQ(proto::command_of(f[0]), std::nullopt);
            }
            continue;
        }
        ++accepted;
        reached.insert(env.cmd);
        ASSERT_GE(f.size(), 1 + proto::body_frames(env.cmd));
        ASSERT_LE(f.size(),
                  1 + proto::body_frames(env.cmd) + proto::find_command(env.cmd)->optional_frames);
        ASSERT_EQ(proto::command_of(f[0]), env.cmd) << "round " << round;
        try {
            switch (env.cmd) {
                case command::hello:
                    (void)mob::decode<proto::hello>(proto::bytes(f[1]));
                    break;
                case command::welcome:
                    (void)mob::decode<proto::welcome>(proto::bytes(f[1]));
                    break;
                case command::error:
                    (void)proto::parse_seq(proto::view(f[1]));
                    (void)mob::decode<proto::error_body>(proto::bytes(f[2]));
                    break;
                case command::reject:
                    (void)proto::parse_seq(proto::view(f[2]));
                    (void)mob::decode<proto::error_body>(proto::bytes(f[3]));
                    break;
                case command::send:
                    (void)proto::parse_seq(proto::view(f[1]));
                    (void)proto::target::parse(proto::view(f[2]));
                    break;
                case command::ready:
                    (void)mob::decode<proto::ready>(proto::bytes(f[1]));
                    break;
                case command::call:
                case command::request:
                    (void)proto::call_head::parse(proto::view(f[1]));
                    break;
                case command::reply:
                case command::result:
                    (void)proto::outcome::parse(proto::view(f[1]));
                    break;
                case command::invoke:
                    (void)proto::parse_seq(proto::view(f[1]));
                    (void)proto::parse_seq(proto::view(f[3]));
                    break;
                case command::invoked:
                    (void)proto::parse_seq(proto::view(f[2]));
                    (void)proto::parse_seq(proto::view(f[3]));
                    break;
                case command::release:
                case command::released:
                    (void)proto::parse_seq(proto::view(f[2]));
                    break;
                default:
                    break;
            }
            ++decoded;
        } catch (const mob::error& e) {
            EXPECT_EQ(e.code(), mob::errc::bad_type) << e.what();
        } catch (const std::exception& e) {
            ADD_FAILURE() << "round " << round
                          << ": decode threw a non-mob exception: " << e.what();
        }
    }
    // The generator must reach past the envelope check, or this tests little.
    EXPECT_GT(accepted, 100);
    EXPECT_GT(decoded, 10);
    EXPECT_GT(versions, 10);
    EXPECT_EQ(reached.size(), all_commands.size());
}

}  // namespace
