// Bad input at the broker: whatever a peer sends, the kingpin answers with a clear
// ERROR where it can, counts and logs the rest, and keeps routing.
#include <gtest/gtest.h>
#include <mob/protocol.hpp>

#include "cluster.hpp"
#include "raw_peer.hpp"
#include "status_query.hpp"

namespace mob::test {
namespace {
namespace proto = mob::protocol;

TEST(protocol_errors, malformed_frames_are_answered_with_bad_frame_and_the_kingpin_keeps_routing) {
    cluster c;
    ASSERT_TRUE(c.wait_full()) << c.kingpin().output();
    raw_peer raw{c};
    raw.send({"garbage"});
    auto e = raw.next_error();
    ASSERT_TRUE(e);
    EXPECT_EQ(e->second.code, errc::bad_frame);

    raw.send({header(static_cast<proto::command>(0x7f))});
    e = raw.next_error();
    ASSERT_TRUE(e);
    EXPECT_EQ(e->second.code, errc::bad_frame);
    EXPECT_NE(e->second.message.find("unknown command 0x7f"), std::string::npos)
        << e->second.message;

    raw.send({header(proto::command::send), proto::encode_seq(42), "Rback"});  // too short
    e = raw.next_error();
    ASSERT_TRUE(e);
    EXPECT_EQ(e->first, 42u) << "the SEND's sequence comes back with its error";
    EXPECT_EQ(e->second.code, errc::bad_frame);
    EXPECT_EQ(e->second.message, "SEND with 2 body frames, expected 5");

    // A sequence frame that is not 8 bytes is not read as one.
    raw.send({header(proto::command::send), proto::encode_seq(43).substr(0, 7), "Rback"});
    e = raw.next_error();
    ASSERT_TRUE(e);
    EXPECT_EQ(e->first, 0u);
    EXPECT_EQ(e->second.code, errc::bad_frame);

    raw.send({header(proto::command::hello), "not a cereal hello"});
    e = raw.next_error();
    ASSERT_TRUE(e);
    EXPECT_EQ(e->second.code, errc::bad_frame);

    probe p{c};
    ASSERT_TRUE(p.w().wait_until_welcomed(20s));
    p.w().any("back").send("probe", 11);
    EXPECT_EQ(acks_for(p.wait_acks(1), 11).size(), 1u);
    EXPECT_TRUE(c.kingpin().wait_for(std::regex{"dropped a message from 'raw/1@test"}, 1s));
    // Counted by what was wrong, as mobctl status shows them.
    auto s = status_of(c.runtime_dir());
    ASSERT_TRUE(s.has_value());
    EXPECT_EQ(s->dropped["malformed"], 1u);  // "garbage"
    EXPECT_EQ(s->dropped["unknown_command"], 1u);
    EXPECT_EQ(s->dropped["short"], 2u);  // the two SENDs of 2 body frames
    EXPECT_EQ(s->dropped["bad_hello"], 1u);
}

TEST(protocol_errors,
     the_old_two_frame_layout_is_answered_with_bad_frame_and_the_kingpin_keeps_serving) {
    cluster c;
    ASSERT_TRUE(c.wait_full()) << c.kingpin().output();
    raw_peer raw{c};
    // "MOB1" and the command byte in two frames: no header frame, not even for a HELLO.
    raw.send(old_layout(proto::command::hello, {hello_body("testapp", "front")}));
    auto e = raw.next_error();
    ASSERT_TRUE(e) << "no ERROR for an old-layout HELLO";
    EXPECT_EQ(e->first, 0u);
    EXPECT_EQ(e->second.code, errc::bad_frame);
    EXPECT_EQ(e->second.message, "no MOB1 header frame");
    // That HELLO did not register the peer: a CALL now is not_registered.
    const auto& types = type_name<std::tuple<int, int>>();
    const auto args = encode(std::tuple<int, int>{1, 2});
    raw.send({header(proto::command::call), call_head(5, "back", "add", types), args});
    auto r = raw.next_result();
    ASSERT_TRUE(r) << "no RESULT for a CALL before any HELLO";
    EXPECT_EQ(r->id, 5u);
    EXPECT_EQ(r->code, errc::not_registered);

    // An old-layout SEND: its frame 1 is the command byte, no sequence to answer with.
    raw.send(old_layout(proto::command::send,
                        {proto::encode_seq(42), "?back", "probe", "int", encode(1)}));
    e = raw.next_error();
    ASSERT_TRUE(e) << "no ERROR for an old-layout SEND";
    EXPECT_EQ(e->first, 0u);
    EXPECT_EQ(e->second.code, errc::bad_frame);
    EXPECT_EQ(e->second.message, "no MOB1 header frame");

    // Registered in the new layout, an old-layout message is still refused, the peer
    // stays registered and its calls are served.
    raw.send({header(proto::command::hello), hello_body("testapp", "front")});
    ASSERT_TRUE(raw.next_is(proto::command::welcome));
    raw.send(old_layout(proto::command::call, {call_head(6, "back", "add", types), args}));
    e = raw.next_error();
    ASSERT_TRUE(e) << "no ERROR for an old-layout CALL";
    EXPECT_EQ(e->second.code, errc::bad_frame);
    EXPECT_EQ(e->second.message, "no MOB1 header frame");
    raw.send(old_layout(proto::command::heartbeat, {}));
    e = raw.next_error();
    ASSERT_TRUE(e) << "no ERROR for an old-layout HEARTBEAT";
    EXPECT_EQ(e->second.code, errc::bad_frame);

    raw.send({header(proto::command::call), call_head(7, "back", "add", types), args});
    r = raw.next_result();
    ASSERT_TRUE(r) << "no RESULT for a good call after the old-layout messages";
    EXPECT_EQ(r->id, 7u);
    ASSERT_EQ(r->code, errc::ok) << r->body;
    EXPECT_EQ(decode<int>(r->body), 3);
    EXPECT_TRUE(c.kingpin().wait_for(
        std::regex{"dropped a message from 'raw/1@test[^']*': malformed: no MOB1 header frame"},
        5s))
        << c.kingpin().output();

    // And the kingpin keeps routing for everyone else.
    probe p{c};
    ASSERT_TRUE(p.w().wait_until_welcomed(20s));
    p.w().any("back").send("probe", 12);
    EXPECT_EQ(acks_for(p.wait_acks(1), 12).size(), 1u);
}

TEST(protocol_errors, another_protocol_version_is_answered_with_bad_version) {
    cluster c;
    ASSERT_TRUE(c.wait_full()) << c.kingpin().output();
    raw_peer raw{c};
    raw.send({"MOB2" + std::string(1, '\x01'), hello_body("testapp", "back")});
    auto e = raw.next_error();
    ASSERT_TRUE(e);
    EXPECT_EQ(e->second.code, errc::bad_version);
    EXPECT_EQ(e->second.message, "protocol version 'MOB2' (this side speaks MOB1)");
}

TEST(protocol_errors, bad_version_carries_the_seq_of_a_send_and_0_for_anything_else) {
    cluster c;
    ASSERT_TRUE(c.wait_full()) << c.kingpin().output();
    raw_peer raw{c};
    // A SEND of another version still has its seq first: the ERROR names it.
    raw.send({"MOB2" + std::string(1, '\x04'), proto::encode_seq(9), "?back", "probe", "int",
              encode(1)});
    auto send = raw.next_error();
    ASSERT_TRUE(send);
    EXPECT_EQ(send->second.code, errc::bad_version);
    EXPECT_EQ(send->first, 9u);
    // Any other command of another version (here a HELLO) names nothing.
    raw.send({"MOB2" + std::string(1, '\x01'), proto::encode_seq(9)});
    auto hello = raw.next_error();
    ASSERT_TRUE(hello);
    EXPECT_EQ(hello->second.code, errc::bad_version);
    EXPECT_EQ(hello->first, 0u);
}

TEST(protocol_errors, an_unknown_identity_is_asked_to_say_hello_again_and_its_send_fails) {
    cluster c;
    ASSERT_TRUE(c.wait_full()) << c.kingpin().output();
    raw_peer raw{c};
    raw.send({header(proto::command::heartbeat)});
    EXPECT_TRUE(raw.next_is(proto::command::hello_again));
    raw.send(
        {header(proto::command::send), proto::encode_seq(7), "?back", "probe", "int", encode(1)});
    auto e = raw.next_error();
    ASSERT_TRUE(e);
    EXPECT_EQ(e->first, 7u);
    EXPECT_EQ(e->second.code, errc::not_registered);
}

TEST(protocol_errors, a_hello_for_another_app_or_an_unknown_role_is_refused) {
    cluster c;
    ASSERT_TRUE(c.wait_full()) << c.kingpin().output();
    raw_peer raw{c};
    raw.send({header(proto::command::hello), hello_body("otherapp", "back")});
    auto e = raw.next_error();
    ASSERT_TRUE(e);
    EXPECT_EQ(e->second.code, errc::wrong_app);
    raw.send({header(proto::command::hello), hello_body("testapp", "nosuchrole")});
    e = raw.next_error();
    ASSERT_TRUE(e);
    EXPECT_EQ(e->second.code, errc::unknown_role);
    EXPECT_NE(e->second.message.find("nosuchrole"), std::string::npos);
}

TEST(protocol_errors, a_registered_worker_gets_bad_frame_with_its_sequence_for_a_malformed_target) {
    cluster c;
    ASSERT_TRUE(c.wait_full()) << c.kingpin().output();
    raw_peer raw{c};
    raw.send({header(proto::command::hello), hello_body("testapp", "front")});
    ASSERT_TRUE(raw.next_is(proto::command::welcome));
    raw.send({header(proto::command::send), proto::encode_seq(99), "Pnot-a-pid", "probe", "int",
              encode(1)});
    auto e = raw.next_error();
    ASSERT_TRUE(e);
    EXPECT_EQ(e->first, 99u);
    EXPECT_EQ(e->second.code, errc::bad_frame);
    EXPECT_NE(e->second.message.find("target"), std::string::npos);
}

TEST(protocol_errors, a_worker_that_says_ready_once_gets_calls_for_what_it_exports) {
    // "late" has its own worker, which is not ready for a long while: the raw peer is the
    // role's only ready worker, and it says READY exactly once.
    cluster c{{{"TEST_LATE_MS", "20000"}}};
    ASSERT_TRUE(c.kingpin().wait_for(std::regex{"EVENT start late"}, 10s)) << c.kingpin().output();
    raw_peer raw{c};
    raw.send({header(proto::command::hello), hello_body("testapp", "late")});
    ASSERT_TRUE(raw.next_is(proto::command::welcome));
    raw.send({header(proto::command::ready), encode(proto::ready{1, {"ping"}})});
    probe p{c};
    ASSERT_TRUE(p.w().wait_until_welcomed(20s));
    auto call = p.w().require("late").with({.timeout = 3s}).call<int>("ping");
    auto request = raw.next_of(proto::command::request);
    ASSERT_EQ(request.size(), 3u) << "the call did not reach the only ready worker";
    auto head = proto::call_head::parse(proto::view(request[1]));
    ASSERT_TRUE(head);
    EXPECT_EQ(head->role, "late");
    EXPECT_EQ(head->method, "ping");
    raw.send(
        {header(proto::command::reply), outcome(head->id, errc::ok, type_name<int>()), encode(7)});
    auto r = call.get();
    ASSERT_TRUE(r.ok()) << r.error().message;
    EXPECT_EQ(r.value(), 7);
}

/// A raw peer that is the only ready worker of role "late" (whose own worker is not
/// ready for a long while), exporting `exports` with credit 1, and a probe to call it.
struct late_raw_worker {
    cluster c{{{"TEST_LATE_MS", "20000"}}};
    std::optional<raw_peer> raw;
    std::optional<probe> p;

    /// Whether it got that far (the test fails with the kingpin's output if not).
    bool start(std::vector<std::string> exports) {
        if (!c.kingpin().wait_for(std::regex{"EVENT start late"}, 10s))
            return false;
        raw.emplace(c);
        raw->send({header(proto::command::hello), hello_body("testapp", "late")});
        if (!raw->next_is(proto::command::welcome))
            return false;
        raw->send({header(proto::command::ready), encode(proto::ready{1, std::move(exports)})});
        p.emplace(c);
        if (!p->w().wait_until_welcomed(20s))
            return false;
        raw->send({header(proto::command::heartbeat)});  // not silent while the probe joined
        return true;
    }
    /// The call head of the next REQUEST the raw peer gets (nullopt if none comes).
    std::optional<std::pair<std::uint64_t, std::string>> next_request() {
        auto m = raw->next_of(proto::command::request);
        if (m.size() != 3)
            return std::nullopt;
        auto head = proto::call_head::parse(proto::view(m[1]));
        if (!head)
            return std::nullopt;
        return std::pair{head->id, std::string{head->method}};
    }
};

TEST(protocol_errors, a_reply_for_no_call_in_flight_is_dropped_and_later_calls_still_work) {
    late_raw_worker l;
    ASSERT_TRUE(l.start({"add"})) << l.c.kingpin().output();
    auto& raw = *l.raw;
    // Before any REQUEST: no ticket is in flight at this worker.
    raw.send({header(proto::command::reply), outcome(1, errc::ok, type_name<int>()), encode(-1)});
    EXPECT_TRUE(l.c.kingpin().wait_for(
        std::regex{"dropped a message from 'raw/1@test[^']*': stray_reply"}, 5s))
        << l.c.kingpin().output();
    // Too short to be an outcome, and for no call either.
    raw.send({header(proto::command::reply), std::string("\x01\0\0\0", 4), ""});
    EXPECT_TRUE(l.c.kingpin().wait_for(
        std::regex{"dropped a message from 'raw/1@test[^']*': bad_reply"}, 5s))
        << l.c.kingpin().output();

    auto late = l.p->w().require("late").with({.timeout = 5s});
    std::vector<std::uint64_t> tickets;
    for (int round = 0; round < 3; ++round) {
        auto call = late.call<int>("add", 20, round);
        auto request = l.next_request();
        ASSERT_TRUE(request) << "round " << round << ": no REQUEST came";
        EXPECT_EQ(request->second, "add");
        tickets.push_back(request->first);
        // A REPLY naming another ticket first: dropped, and the call waits for its own.
        raw.send({header(proto::command::reply),
                  outcome(request->first + 1000, errc::ok, type_name<int>()), encode(-1)});
        raw.send({header(proto::command::reply),
                  outcome(request->first, errc::ok, type_name<int>()), encode(20 + round)});
        auto r = call.get();
        ASSERT_TRUE(r.ok()) << "round " << round << ": " << r.error().message;
        EXPECT_EQ(r.value(), 20 + round) << "round " << round;
    }
    EXPECT_EQ(std::set<std::uint64_t>(tickets.begin(), tickets.end()).size(), tickets.size())
        << "every REQUEST has a ticket of its own";
    EXPECT_TRUE(l.c.kingpin().wait_for(std::regex{"stray_reply: .*\\(4 so far\\)"}, 5s))
        << l.c.kingpin().output();
}

TEST(protocol_errors, a_malformed_reply_for_a_call_in_flight_fails_the_call_with_bad_frame) {
    late_raw_worker l;
    ASSERT_TRUE(l.start({"add"})) << l.c.kingpin().output();
    auto& raw = *l.raw;
    auto late = l.p->w().require("late").with({.timeout = 5s});
    auto call = late.call<int>("add", 1, 2);
    auto request = l.next_request();
    ASSERT_TRUE(request) << "no REQUEST came";
    // The ticket, then one byte of the code: the caller must not wait for its timeout.
    raw.send({header(proto::command::reply), outcome(request->first, errc::ok, {}).substr(0, 9),
              encode(3)});
    auto r = call.get();
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error().code, errc::bad_frame);
    EXPECT_NE(r.error().message.find("sent a malformed reply"), std::string::npos)
        << r.error().message;
    // The worker's credit came back with it: the next call is served.
    auto again = late.call<int>("add", 2, 2);
    request = l.next_request();
    ASSERT_TRUE(request) << "no REQUEST came after the malformed reply";
    raw.send({header(proto::command::reply), outcome(request->first, errc::ok, type_name<int>()),
              encode(4)});
    auto r2 = again.get();
    ASSERT_TRUE(r2.ok()) << r2.error().message;
    EXPECT_EQ(r2.value(), 4);
}

TEST(protocol_errors, a_call_with_a_malformed_call_head_gets_bad_frame_with_its_call_id) {
    cluster c;
    ASSERT_TRUE(c.wait_full()) << c.kingpin().output();
    raw_peer raw{c};
    raw.send({header(proto::command::hello), hello_body("testapp", "front")});
    ASSERT_TRUE(raw.next_is(proto::command::welcome));
    const auto& types = type_name<std::tuple<int, int>>();
    const auto args = encode(std::tuple<int, int>{1, 2});

    auto unknown_flag = call_head(42, "back", "add", types);
    unknown_flag[8] = '\x80';
    auto role_past_end = call_head(43, "back", "add", "");
    role_past_end[13] = '\x7f';
    auto method_past_end = call_head(44, "back", "add", "");
    method_past_end[18] = '\x7f';
    const auto cut_short = call_head(45, "back", "add", types).substr(0, 14);
    const std::vector<std::pair<std::string, std::uint64_t>> bad{
        {unknown_flag, 42},
        {role_past_end, 43},
        {method_past_end, 44},
        {cut_short, 45},
        {std::string("\x2e\0\0\0", 4), 0},  // too short for a call id: 0 stands for it
    };
    for (const auto& [head, id] : bad) {
        raw.send({header(proto::command::call), head, args});
        auto r = raw.next_result();
        ASSERT_TRUE(r) << "no RESULT for call " << id;
        EXPECT_EQ(r->id, id);
        EXPECT_EQ(r->code, errc::bad_frame) << id;
        EXPECT_TRUE(r->type.empty()) << id;
        EXPECT_EQ(r->body, "CALL: malformed call head") << id;
    }
    EXPECT_TRUE(c.kingpin().wait_for(
        std::regex{"dropped a message from 'raw/1@test[^']*': bad_call: malformed call head"}, 5s))
        << c.kingpin().output();

    // The kingpin keeps routing: the same head, well formed, is served.
    raw.send({header(proto::command::call), call_head(46, "back", "add", types), args});
    auto r = raw.next_result();
    ASSERT_TRUE(r) << "no RESULT for a good call";
    EXPECT_EQ(r->id, 46u);
    ASSERT_EQ(r->code, errc::ok) << r->body;
    EXPECT_EQ(r->type, type_name<int>());
    EXPECT_EQ(decode<int>(r->body), 3);
}

TEST(protocol_errors, a_call_from_an_unknown_identity_fails_at_once_with_not_registered) {
    cluster c;
    ASSERT_TRUE(c.wait_full()) << c.kingpin().output();
    raw_peer raw{c};
    raw.send({header(proto::command::call), call_head(5, "back", "add", "std::tuple<int, int>"),
              encode(std::tuple<int, int>{1, 2})});
    auto r = raw.next_result();
    ASSERT_TRUE(r) << "no RESULT came back";
    EXPECT_EQ(r->id, 5u);
    EXPECT_EQ(r->code, errc::not_registered);
    EXPECT_TRUE(r->type.empty());
}

TEST(protocol_errors, a_refused_worker_stops_instead_of_saying_hello_forever) {
    cluster c;
    ASSERT_TRUE(c.wait_full()) << c.kingpin().output();
    worker w{worker_options{.endpoint = c.endpoint(), .app = "otherapp", .role = "back"}};
    w.ready();
    ASSERT_TRUE(w.wait_until_stopping(3s));
    EXPECT_TRUE(w.refused());
    EXPECT_FALSE(w.welcomed());
    // Give a looping worker time to show itself: the kingpin saw one refusal, not a storm.
    EXPECT_FALSE(c.kingpin().wait_for(std::regex{"wrong_app: otherapp \\(2 so far\\)"}, 1500ms));
}

// The worker's side: a broker made by hand, which sends a worker a REQUEST the real
// kingpin never would.
TEST(protocol_errors, a_worker_answers_a_request_with_a_malformed_call_head_by_its_ticket) {
    zmq::context_t context;
    zmq::socket_t broker{context, zmq::socket_type::router};
    broker.set(zmq::sockopt::linger, 0);
    broker.bind("tcp://127.0.0.1:*");
    const auto endpoint = broker.get(zmq::sockopt::last_endpoint);
    auto next = [&](proto::command c) {
        std::vector<zmq::message_t> m;
        for (int i = 0; i < 20; ++i) {
            m.clear();
            zmq::pollitem_t item{broker.handle(), 0, ZMQ_POLLIN, 0};
            if (zmq::poll(&item, 1, 3s) <= 0)
                return m;
            (void)zmq::recv_multipart(broker, std::back_inserter(m));
            if (m.size() >= 2 && proto::command_of(m[1]) == c)
                return m;
        }
        m.clear();
        return m;
    };
    worker w{worker_options{.endpoint = endpoint, .app = "rawtest", .role = "back"}};
    w.export_fn("add", [](int a, int b) { return a + b; });
    auto hello = next(proto::command::hello);
    ASSERT_EQ(hello.size(), 3u) << "no HELLO";
    const std::string id{proto::view(hello[0])};
    auto send = [&](std::vector<zmq::message_t> body) {
        body.insert(body.begin(), zmq::message_t{id.data(), id.size()});
        zmq::send_multipart(broker, body);
    };
    auto welcome = encode(proto::welcome{"rawtest", id, 1000, 3, {"back"}, {}});
    send(proto::make_message(proto::command::welcome, {welcome}));
    ASSERT_TRUE(w.wait_until_welcomed(5s));

    // A call head cut after its id and flags: the ticket is readable, the rest is not.
    auto head = text(proto::call_head{77, {}, "back", "add", ""}.encode()).substr(0, 10);
    send(proto::make_message(proto::command::request, {head, encode(std::tuple{1, 2})}));
    auto reply = next(proto::command::reply);
    ASSERT_EQ(reply.size(), 4u) << "no REPLY for the malformed REQUEST";
    auto out = proto::outcome::parse(proto::view(reply[2]));
    ASSERT_TRUE(out);
    EXPECT_EQ(out->id, 77u);
    EXPECT_EQ(out->code, errc::bad_frame);
    EXPECT_EQ(proto::view(reply[3]), "REQUEST: malformed call head");

    // The worker still serves a good one.
    auto good = text(proto::call_head{78, {}, "back", "add", ""}.encode());
    send(proto::make_message(proto::command::request, {good, encode(std::tuple{1, 2})}));
    reply = next(proto::command::reply);
    ASSERT_EQ(reply.size(), 4u) << "no REPLY for the good REQUEST";
    out = proto::outcome::parse(proto::view(reply[2]));
    ASSERT_TRUE(out);
    EXPECT_EQ(out->id, 78u);
    EXPECT_EQ(out->code, errc::ok);
    EXPECT_EQ(decode<int>(proto::bytes(reply[3])), 3);
}

}  // namespace
}  // namespace mob::test
