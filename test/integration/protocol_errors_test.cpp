// Bad input at the broker: whatever a peer sends, the kingpin answers with a clear
// ERROR where it can, counts and logs the rest, and keeps routing.
#include <gtest/gtest.h>
#include <mob/protocol.hpp>

#include "cluster.hpp"

namespace mob::test {
namespace {
namespace proto = mob::protocol;

/// A bare DEALER speaking (or not) protocol v1 by hand.
class raw_peer {
  public:
    explicit raw_peer(const cluster& c) : socket_(context_, zmq::socket_type::dealer) {
        socket_.set(zmq::sockopt::linger, 0);
        socket_.set(zmq::sockopt::routing_id, "raw/1@test#0000000000000001");
        socket_.connect(c.endpoint());
    }
    void send(std::vector<std::string> frames) {
        std::vector<zmq::message_t> msgs;
        for (auto& f : frames)
            msgs.emplace_back(f.data(), f.size());
        zmq::send_multipart(socket_, msgs);
    }
    std::vector<zmq::message_t> receive(std::chrono::milliseconds timeout = 3s) {
        std::vector<zmq::message_t> out;
        zmq::pollitem_t item{socket_.handle(), 0, ZMQ_POLLIN, 0};
        if (zmq::poll(&item, 1, timeout) > 0) {
            (void)zmq::recv_multipart(socket_, std::back_inserter(out));
        }
        return out;
    }
    /// The next ERROR (skipping heartbeats), decoded.
    std::optional<std::pair<std::uint64_t, proto::error_body>> next_error() {
        for (int i = 0; i < 10; ++i) {
            auto m = receive();
            if (m.empty())
                return std::nullopt;
            if (m.size() == 4 && proto::view(m[1]) == std::string(1, '\x83')) {
                return std::pair{*proto::parse_seq(proto::view(m[2])),
                                 decode<proto::error_body>(proto::bytes(m[3]))};
            }
        }
        return std::nullopt;
    }
    bool next_is(proto::command c) {
        for (int i = 0; i < 10; ++i) {
            auto m = receive();
            if (m.size() < 2)
                return false;
            if (proto::view(m[1])[0] == static_cast<char>(c))
                return true;
        }
        return false;
    }

  private:
    zmq::context_t context_;
    zmq::socket_t socket_;
};

std::string cmd(proto::command c) {
    return std::string(1, static_cast<char>(c));
}
std::string header() {
    return std::string{proto::header};
}

std::string hello_body(std::string app, std::string role) {
    proto::hello h;
    h.app = std::move(app);
    h.role = std::move(role);
    h.pid = 1;
    h.host = "test";
    h.nonce = 1;
    return encode(h);
}

TEST(protocol_errors, malformed_frames_are_answered_with_bad_frame_and_the_kingpin_keeps_routing) {
    cluster c;
    ASSERT_TRUE(c.wait_full()) << c.kingpin().output();
    raw_peer raw{c};
    raw.send({"garbage"});
    auto e = raw.next_error();
    ASSERT_TRUE(e);
    EXPECT_EQ(e->second.code, errc::bad_frame);

    raw.send({header(), std::string(1, '\x7f')});
    e = raw.next_error();
    ASSERT_TRUE(e);
    EXPECT_EQ(e->second.code, errc::bad_frame);
    EXPECT_NE(e->second.message.find("unknown command 0x7f"), std::string::npos)
        << e->second.message;

    raw.send({header(), cmd(proto::command::send), proto::encode_seq(42), "Rback"});  // too short
    e = raw.next_error();
    ASSERT_TRUE(e);
    EXPECT_EQ(e->first, 42u) << "the SEND's sequence comes back with its error";
    EXPECT_EQ(e->second.code, errc::bad_frame);

    raw.send({header(), cmd(proto::command::hello), "not a cereal hello"});
    e = raw.next_error();
    ASSERT_TRUE(e);
    EXPECT_EQ(e->second.code, errc::bad_frame);

    probe p{c};
    ASSERT_TRUE(p.w().wait_until_welcomed(20s));
    p.w().any("back").send("probe", 11);
    EXPECT_EQ(acks_for(p.wait_acks(1), 11).size(), 1u);
    EXPECT_TRUE(c.kingpin().wait_for(std::regex{"dropped a message from 'raw/1@test"}, 1s));
}

TEST(protocol_errors, another_protocol_version_is_answered_with_bad_version) {
    cluster c;
    ASSERT_TRUE(c.wait_full()) << c.kingpin().output();
    raw_peer raw{c};
    raw.send({"MOB2", cmd(proto::command::hello), hello_body("testapp", "back")});
    auto e = raw.next_error();
    ASSERT_TRUE(e);
    EXPECT_EQ(e->second.code, errc::bad_version);
    EXPECT_NE(e->second.message.find("MOB2"), std::string::npos);
}

TEST(protocol_errors, an_unknown_identity_is_asked_to_say_hello_again_and_its_send_fails) {
    cluster c;
    ASSERT_TRUE(c.wait_full()) << c.kingpin().output();
    raw_peer raw{c};
    raw.send({header(), cmd(proto::command::heartbeat)});
    EXPECT_TRUE(raw.next_is(proto::command::hello_again));
    raw.send({header(), cmd(proto::command::send), proto::encode_seq(7), "?back", "probe", "int",
              encode(1)});
    auto e = raw.next_error();
    ASSERT_TRUE(e);
    EXPECT_EQ(e->first, 7u);
    EXPECT_EQ(e->second.code, errc::not_registered);
}

TEST(protocol_errors, a_hello_for_another_app_or_an_unknown_role_is_refused) {
    cluster c;
    ASSERT_TRUE(c.wait_full()) << c.kingpin().output();
    raw_peer raw{c};
    raw.send({header(), cmd(proto::command::hello), hello_body("otherapp", "back")});
    auto e = raw.next_error();
    ASSERT_TRUE(e);
    EXPECT_EQ(e->second.code, errc::wrong_app);
    raw.send({header(), cmd(proto::command::hello), hello_body("testapp", "nosuchrole")});
    e = raw.next_error();
    ASSERT_TRUE(e);
    EXPECT_EQ(e->second.code, errc::unknown_role);
    EXPECT_NE(e->second.message.find("nosuchrole"), std::string::npos);
}

TEST(protocol_errors, a_registered_worker_gets_bad_frame_with_its_sequence_for_a_malformed_target) {
    cluster c;
    ASSERT_TRUE(c.wait_full()) << c.kingpin().output();
    raw_peer raw{c};
    raw.send({header(), cmd(proto::command::hello), hello_body("testapp", "front")});
    ASSERT_TRUE(raw.next_is(proto::command::welcome));
    raw.send({header(), cmd(proto::command::send), proto::encode_seq(99), "Pnot-a-pid", "probe",
              "int", encode(1)});
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
    raw.send({header(), cmd(proto::command::hello), hello_body("testapp", "late")});
    ASSERT_TRUE(raw.next_is(proto::command::welcome));
    raw.send({header(), cmd(proto::command::ready), encode(proto::ready{1, {"ping"}})});
    probe p{c};
    ASSERT_TRUE(p.w().wait_until_welcomed(20s));
    auto call = p.w().require("late").with({.timeout = 3s}).call<int>("ping");
    EXPECT_TRUE(raw.next_is(proto::command::request))
        << "the call did not reach the only ready worker";
    auto r = call.get();
    EXPECT_FALSE(r.ok() && r.error().code == errc::unknown_method) << r.error().message;
}

TEST(protocol_errors, a_call_from_an_unknown_identity_fails_at_once_with_not_registered) {
    cluster c;
    ASSERT_TRUE(c.wait_full()) << c.kingpin().output();
    raw_peer raw{c};
    raw.send({header(), cmd(proto::command::call), proto::encode_seq(5), "back", "add",
              proto::call_options{0, 1000}.encode(), "std::tuple<int, int>",
              encode(std::tuple<int, int>{1, 2})});
    for (int i = 0; i < 10; ++i) {
        auto m = raw.receive();
        ASSERT_FALSE(m.empty()) << "no RESULT came back";
        if (m.size() == 6 && proto::view(m[1])[0] == static_cast<char>(proto::command::result)) {
            EXPECT_EQ(proto::parse_seq(proto::view(m[2])), 5u);
            EXPECT_EQ(proto::parse_code(proto::view(m[3])), errc::not_registered);
            return;
        }
    }
    FAIL() << "no RESULT came back";
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

}  // namespace
}  // namespace mob::test
