// The protocol's views of received messages (messages.hpp): what each reads, and how
// each says a message cannot be read (the reason the broker counts, the text the sender
// gets, the id it is answered under). Also encode_frame, which encodes into the frame.
#include "mob/codec.hpp"
#include "mob/protocol.hpp"

#include <gtest/gtest.h>

#include <cstdint>
#include <map>
#include <span>
#include <stdexcept>
#include <string>
#include <tuple>
#include <vector>

namespace {

namespace proto = mob::protocol;
using proto::command;
using proto::frames;

proto::call_head sample_head() {
    return {
        21, {proto::call_idempotent, 2500}, "billing", "charge", mob::type_name<std::tuple<int>>()};
}

TEST(call_head_frame, reads_every_field_of_a_valid_head_without_parsing_again) {
    auto head = proto::call_head_frame::from(sample_head().encode());
    ASSERT_TRUE(head);
    EXPECT_EQ(head->id(), 21u);
    EXPECT_EQ(head->options(), (proto::call_options{proto::call_idempotent, 2500}));
    EXPECT_EQ(head->role(), "billing");
    EXPECT_EQ(head->method(), "charge");
    EXPECT_EQ(head->types(), mob::type_name<std::tuple<int>>());
}

TEST(call_head_frame, refuses_a_frame_that_is_no_call_head) {
    EXPECT_FALSE(proto::call_head_frame::from(proto::text_frame("short")));
    auto bad_flags = sample_head().encode();
    static_cast<char*>(bad_flags.data())[8] = 0x40;
    EXPECT_FALSE(proto::call_head_frame::from(std::move(bad_flags)));
}

TEST(call_head_frame, set_id_patches_only_the_id_in_place) {
    auto head = proto::call_head_frame::from(sample_head().encode());
    ASSERT_TRUE(head);
    const auto* before = head->frame().data();
    head->set_id(0x1122334455667788ULL);
    EXPECT_EQ(head->frame().data(), before);
    EXPECT_EQ(head->id(), 0x1122334455667788ULL);
    EXPECT_EQ(head->method(), "charge");
    auto parsed = proto::call_head::parse(proto::view(head->frame()));
    ASSERT_TRUE(parsed);
    EXPECT_EQ(parsed->id, 0x1122334455667788ULL);
    EXPECT_EQ(parsed->types, mob::type_name<std::tuple<int>>());
}

TEST(call_head_frame, a_clone_has_bytes_of_its_own) {
    auto head = proto::call_head_frame::from(sample_head().encode());
    ASSERT_TRUE(head);
    auto copy = head->clone();
    head->set_id(99);
    EXPECT_EQ(copy.id(), 21u);
    EXPECT_NE(copy.frame().data(), head->frame().data());
}

TEST(parse_call, takes_the_head_and_args_out_of_the_message) {
    auto msg = proto::make_call(sample_head(), mob::encode_frame(std::tuple<int>{99}));
    auto call = proto::parse_call(msg);
    ASSERT_TRUE(call);
    EXPECT_EQ(call->head.method(), "charge");
    EXPECT_EQ(mob::decode<std::tuple<int>>(call->args), std::tuple<int>{99});
}

TEST(parse_call, a_malformed_head_is_bad_call_answered_under_its_first_eight_bytes) {
    auto msg = proto::make_call(sample_head(), proto::text_frame(""));
    msg[1] = proto::text_frame(proto::encode_seq(77) + "xy");  // cut inside the fixed part
    auto call = proto::parse_call(msg);
    ASSERT_FALSE(call);
    EXPECT_EQ(call.failure().reason, "bad_call");
    EXPECT_EQ(call.failure().text, "CALL: malformed call head");
    EXPECT_EQ(call.failure().id, 77u);

    msg[1] = proto::text_frame("1234");  // not even an id
    auto none = proto::parse_call(msg);
    ASSERT_FALSE(none);
    EXPECT_EQ(none.failure().id, 0u);
}

TEST(parse_send, reads_seq_target_topic_and_type) {
    auto msg = proto::make_send(5, {proto::target_kind::role, "back"}, "news",
                                mob::type_name<int>(), mob::encode_frame(3));
    auto send = proto::parse_send(msg);
    ASSERT_TRUE(send);
    EXPECT_EQ(send->seq, 5u);
    EXPECT_EQ(send->to, (proto::target{proto::target_kind::role, "back"}));
    EXPECT_EQ(send->topic(), "news");
    EXPECT_EQ(send->type(), "int");
}

TEST(parse_send, a_bad_seq_or_target_says_which_with_the_brokers_reason_and_text) {
    auto msg = proto::make_send(5, {proto::target_kind::all, ""}, "t", "int", mob::encode_frame(3));
    msg[1] = proto::text_frame("1234567");
    auto bad_seq = proto::parse_send(msg);
    ASSERT_FALSE(bad_seq);
    EXPECT_EQ(bad_seq.failure().reason, "bad_seq");
    EXPECT_EQ(bad_seq.failure().text, "SEND: sequence frame is not 8 bytes");
    EXPECT_EQ(bad_seq.failure().id, 0u);

    msg[1] = proto::seq_frame(6);
    msg[2] = proto::text_frame("Xnope");
    auto bad_target = proto::parse_send(msg);
    ASSERT_FALSE(bad_target);
    EXPECT_EQ(bad_target.failure().reason, "bad_target");
    EXPECT_EQ(bad_target.failure().text, "SEND: malformed target frame 'Xnope'");
    EXPECT_EQ(bad_target.failure().id, 6u);
}

TEST(parse_reply, a_malformed_outcome_still_names_its_ticket) {
    auto msg = proto::make_reply({9, mob::errc::ok, "int"}, mob::encode_frame(1));
    msg[1] = proto::text_frame(proto::encode_seq(9) + "x");  // 9 bytes: no code
    auto reply = proto::parse_reply(msg);
    EXPECT_EQ(reply.id, 9u);
    EXPECT_FALSE(reply.result);
    msg[1] = proto::text_frame("abc");
    EXPECT_FALSE(proto::parse_reply(msg).id);
}

TEST(parse_result, reads_code_type_and_body) {
    auto msg = proto::make_failed_result(4, mob::errc::timeout, "too slow");
    auto r = proto::parse_result(msg);
    ASSERT_TRUE(r.result);
    EXPECT_EQ(r.result->id, 4u);
    EXPECT_EQ(r.result->code, mob::errc::timeout);
    EXPECT_EQ(r.result->type, "");
    EXPECT_EQ(proto::view(*r.body), "too slow");
}

TEST(parse_error, an_undecodable_body_reads_as_bad_frame_saying_so) {
    auto msg = proto::make_error(3, {mob::errc::queue_full, "full"});
    auto e = proto::parse_error(msg);
    EXPECT_EQ(e.seq, 3u);
    EXPECT_EQ(e.error, (proto::error_body{mob::errc::queue_full, "full"}));
    msg[2] = proto::text_frame("\x01");
    auto bad = proto::parse_error(msg);
    EXPECT_EQ(bad.seq, 3u);
    EXPECT_EQ(bad.error.code, mob::errc::bad_frame);
    EXPECT_NE(bad.error.message.find("undecodable ERROR"), std::string::npos);
}

TEST(parse_scale, a_malformed_delta_is_bad_scale_under_the_call_id) {
    auto msg = proto::make_scale(12, "back", +3);
    auto ok = proto::parse_scale(msg);
    ASSERT_TRUE(ok);
    EXPECT_EQ(ok->call_id, 12u);
    EXPECT_EQ(ok->role, "back");
    EXPECT_EQ(ok->delta, 3);
    msg[3] = proto::text_frame("12345");
    auto bad = proto::parse_scale(msg);
    ASSERT_FALSE(bad);
    EXPECT_EQ(bad.failure().reason, "bad_scale");
    EXPECT_EQ(bad.failure().text, "SCALE: malformed call id or delta frame");
    EXPECT_EQ(bad.failure().id, 12u);
}

TEST(parse_hello, an_undecodable_body_is_bad_hello) {
    auto msg = proto::make_hello({});
    msg[1] = proto::text_frame("\x01\x02");
    auto h = proto::parse_hello(msg);
    ASSERT_FALSE(h);
    EXPECT_EQ(h.failure().reason, "bad_hello");
    EXPECT_EQ(h.failure().text.rfind("undecodable HELLO: ", 0), 0u);
}

TEST(parse_invoked, a_callback_frame_of_the_wrong_size_reads_as_none) {
    auto msg = proto::make_invoked("back/1@h#1", 4, 5, "std::tuple<int>", mob::encode_frame(1));
    auto ok = proto::parse_invoked(msg);
    EXPECT_EQ(ok.invoker, "back/1@h#1");
    EXPECT_EQ(ok.seq, 4u);
    EXPECT_EQ(ok.callback, 5u);
    msg[3] = proto::text_frame("5");
    EXPECT_FALSE(proto::parse_invoked(msg).callback);
}

TEST(check_envelope, a_send_of_another_version_is_refused_under_its_seq) {
    auto msg =
        proto::make_send(42, {proto::target_kind::all, ""}, "t", "int", mob::encode_frame(1));
    static_cast<char*>(msg[0].data())[3] = '2';  // MOB2
    auto env = proto::check_envelope(msg, false);
    EXPECT_EQ(env.code, mob::errc::bad_version);
    EXPECT_EQ(env.seq, 42u);
    auto call = proto::make_call(sample_head(), proto::text_frame(""));
    static_cast<char*>(call[0].data())[3] = '2';
    EXPECT_EQ(proto::check_envelope(call, false).seq, 0u);  // only a SEND's seq is known
}

TEST(command_table, every_command_byte_is_in_it_once_with_a_direction) {
    for (std::size_t i = 0; i < proto::commands.size(); ++i) {
        const auto& c = proto::commands[i];
        EXPECT_EQ(proto::find_command(c.code), &c);
        EXPECT_FALSE(c.name.empty());
        EXPECT_NE(static_cast<int>(c.dir), 0);
        // Commands to the broker have the high bit clear, commands to workers set.
        if (c.dir == proto::direction::to_broker) {
            EXPECT_LT(static_cast<unsigned>(c.code), 0x80u) << c.name;
        }
        if (c.dir == proto::direction::to_worker) {
            EXPECT_GE(static_cast<unsigned>(c.code), 0x80u) << c.name;
        }
        for (std::size_t j = i + 1; j < proto::commands.size(); ++j)
            EXPECT_NE(c.code, proto::commands[j].code);
    }
    EXPECT_EQ(proto::find_command(std::uint8_t{0x00}), nullptr);
    EXPECT_EQ(proto::find_command(std::uint8_t{0x7f}), nullptr);
}

TEST(encode_frame, decodes_back_to_the_value_small_or_large) {
    EXPECT_EQ(mob::decode<int>(mob::encode_frame(7)), 7);
    const std::string big(100000, 'z');
    auto f = mob::encode_frame(big);
    EXPECT_EQ(mob::decode<std::string>(f), big);
    EXPECT_EQ(proto::view(f), mob::encode(big));  // the same bytes as encode()
    std::map<std::string, std::vector<int>> m{{"a", {1, 2}}, {"b", std::vector<int>(50, 3)}};
    EXPECT_EQ((mob::decode<std::map<std::string, std::vector<int>>>(mob::encode_frame(m))), m);
}

// A value whose encoding throws half way, after writing some bytes.
struct fails_half_way {
    template <typename Archive>
    void save(Archive& ar) const {
        ar(std::string(300, 'x'));
        throw std::runtime_error("no more");
    }
};

// A value whose encoding encodes another frame first (the thread's encoder is busy).
struct encodes_inside {
    template <typename Archive>
    void save(Archive& ar) const {
        auto inner = mob::encode_frame(std::string(200, 'i'));
        ar(std::string{static_cast<const char*>(inner.data()), inner.size()});
    }
};

TEST(encode_frame, the_threads_encoder_is_clean_after_an_encoding_that_threw) {
    EXPECT_THROW((void)mob::encode_frame(fails_half_way{}), std::runtime_error);
    EXPECT_EQ(proto::view(mob::encode_frame(7)), mob::encode(7));
    EXPECT_EQ(mob::decode<std::string>(mob::encode_frame(std::string(90, 'y'))),
              std::string(90, 'y'));
}

TEST(encode_frame, an_encoding_inside_an_encoding_gets_an_encoder_of_its_own) {
    auto outer = mob::encode_frame(encodes_inside{}, 5);
    auto [inner_bytes, five] = mob::decode<std::tuple<std::string, int>>(outer);
    EXPECT_EQ(five, 5);
    EXPECT_EQ(mob::decode<std::string>(std::span{
                  reinterpret_cast<const std::byte*>(inner_bytes.data()), inner_bytes.size()}),
              std::string(200, 'i'));
}

TEST(encode_frame, frames_made_one_after_another_do_not_share_bytes) {
    // Copied out below the limit, handed over above it: either way each frame is its own.
    for (std::size_t n : {10u, 500u, 70000u, 200000u, 20u}) {
        auto a = mob::encode_frame(std::string(n, 'a'));
        auto b = mob::encode_frame(std::string(n, 'b'));
        EXPECT_EQ(mob::decode<std::string>(a), std::string(n, 'a')) << n;
        EXPECT_EQ(mob::decode<std::string>(b), std::string(n, 'b')) << n;
    }
}

TEST(encode_frame, encodes_several_values_as_encode_into_does) {
    std::string expected;
    mob::encode_into(expected, 1, std::string{"two"});
    EXPECT_EQ(proto::view(mob::encode_frame(1, std::string{"two"})), expected);
}

}  // namespace

namespace {

TEST(served_by, a_result_of_a_reply_may_carry_the_serving_workers_id_as_a_third_frame) {
    const std::string server = "back/12@host#00000000000000aa";
    auto reply = proto::make_reply({9, mob::errc::ok, "int"}, mob::encode_frame(5));
    auto view = proto::parse_reply(reply);
    auto result = proto::result_from_reply(view, 3, server);
    ASSERT_EQ(result.size(), 4u);
    ASSERT_TRUE(proto::check_envelope(result, true).ok());
    auto r = proto::parse_result(result);
    ASSERT_TRUE(r.result);
    EXPECT_EQ(r.result->id, 3u);
    EXPECT_EQ(r.served_by, server);
    EXPECT_EQ(mob::decode<int>(*r.body), 5);
    // Without it, the view says nobody.
    auto plain = proto::make_result({3, mob::errc::ok, "int"}, mob::encode_frame(5));
    EXPECT_EQ(proto::parse_result(plain).served_by, "");
}

TEST(served_by, only_a_result_may_carry_an_optional_frame) {
    for (const auto& c : proto::commands)
        EXPECT_EQ(c.optional_frames, c.code == command::result ? 1 : 0) << c.name;
    auto call = proto::call_head{1, {proto::call_report_server, 0}, "r", "m", ""};
    auto parsed = proto::call_head::parse(proto::view(call.encode()));
    ASSERT_TRUE(parsed);
    EXPECT_EQ(parsed->options.flags, proto::call_report_server);
}

}  // namespace
