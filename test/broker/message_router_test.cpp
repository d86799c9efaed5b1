// The message router (broker/src/message_router.*): SEND to all, a role, any() with its
// bounded queue and deadline, a pid or an id; REJECT back to the sender; and a SEND that
// finds a recipient unreachable, whose removal waits until the SEND is done.
#include "broker_harness.hpp"

namespace {

using namespace mob::test;
using mob::errc;
using target = mob::protocol::target;
using kind = mob::protocol::target_kind;

target any_of(std::string role) {
    return {kind::any, std::move(role)};
}

TEST(message_router, spreads_any_messages_over_the_ready_workers_least_recently_used_first) {
    broker_harness h;
    auto a = h.join("a", "back");
    auto b = h.join("b", "back");
    auto c = h.join("c", "front");
    h.send(c, 1, any_of("back"));
    h.send(c, 2, any_of("back"));
    h.send(c, 3, any_of("back"));
    auto d1 = a.expect(command::deliver);
    auto d2 = b.expect(command::deliver);
    auto d3 = a.expect(command::deliver);
    EXPECT_EQ(proto::parse_deliver(std::span{d1})->seq, 1u);
    EXPECT_EQ(proto::parse_deliver(std::span{d2})->seq, 2u);
    EXPECT_EQ(proto::parse_deliver(std::span{d3})->seq, 3u);
    EXPECT_EQ(proto::parse_deliver(std::span{d3})->sender, "c");
}

TEST(message_router, fails_an_any_message_with_expired_past_the_queue_timeout) {
    harness_options o;
    o.queue_timeout = 500ms;
    broker_harness h{o};
    auto c = h.join("c", "front");
    h.send(c, 11, any_of("back"));
    h.advance(400ms);
    EXPECT_TRUE(c.idle());
    h.advance(200ms);
    auto e = broker_harness::error_at(c);
    EXPECT_EQ(e.seq, 11u);
    EXPECT_EQ(e.error.code, errc::expired);
    EXPECT_EQ(e.error.message, "no worker of role 'back' was ready within 500 ms");
}

TEST(message_router, delivers_a_waiting_any_message_once_a_worker_of_its_role_is_ready) {
    broker_harness h;
    auto c = h.join("c", "front");
    h.send(c, 5, any_of("back"));
    auto a = h.join("a", "back");
    auto d = a.expect(command::deliver);
    EXPECT_EQ(proto::parse_deliver(std::span{d})->seq, 5u);
    EXPECT_TRUE(c.idle());
}

TEST(message_router, refuses_an_any_message_with_queue_full_beyond_max_queued_per_role) {
    harness_options o;
    o.max_queued_per_role = 1;
    broker_harness h{o};
    auto c = h.join("c", "front");
    h.send(c, 1, any_of("back"));
    h.send(c, 2, any_of("back"));
    auto e = broker_harness::error_at(c);
    EXPECT_EQ(e.seq, 2u);
    EXPECT_EQ(e.error.code, errc::queue_full);
    EXPECT_EQ(e.error.message, "role 'back' has 1 messages waiting for a ready worker");
}

TEST(message_router, delivers_a_send_to_a_role_to_each_of_its_ready_workers) {
    broker_harness h;
    auto a = h.join("a", "back");
    auto b = h.join("b", "back");
    auto c = h.join("c", "front");
    h.send(c, 1, target{kind::role, "back"});
    a.expect(command::deliver);
    b.expect(command::deliver);
    EXPECT_TRUE(c.idle());
    EXPECT_EQ(h.find("a")->delivered, 1u);
}

TEST(message_router, keeps_delivering_a_send_to_all_when_one_recipient_is_unreachable) {
    broker_harness h;
    auto a = h.join("a", "back");
    auto b = h.join("b", "back");
    auto d = h.join("d", "back");
    auto c = h.join("c", "front");
    h.vanish(b);
    h.send(c, 7, target{});
    a.expect(command::deliver);
    d.expect(command::deliver);
    // c is ready too, so it gets its own message; and an ERROR for b.
    int delivered = 0;
    int errors = 0;
    while (auto f = c.next()) {
        auto cmd = proto::command_of(f->front());
        delivered += cmd == command::deliver ? 1 : 0;
        if (cmd == command::error) {
            ++errors;
            auto e = proto::parse_error(std::span{*f});
            EXPECT_EQ(e.seq, 7u);
            EXPECT_EQ(e.error.code, errc::no_ready_worker);
            EXPECT_EQ(e.error.message, "b could not take a message for all");
        }
    }
    EXPECT_EQ(delivered, 1);
    EXPECT_EQ(errors, 1);
    // b is forgotten once the SEND is done.
    EXPECT_EQ(h.find("b"), nullptr);
    ASSERT_EQ(h.gone.size(), 1u);
    EXPECT_EQ(h.gone[0], (std::pair<std::string, std::string>{"b", "unreachable"}));
}

TEST(message_router, answers_a_send_to_a_pid_no_worker_has_with_unknown_pid) {
    broker_harness h;
    auto c = h.join("c", "front");
    h.send(c, 3, target{kind::pid, "424242"});
    auto e = broker_harness::error_at(c);
    EXPECT_EQ(e.error.code, errc::unknown_pid);
    EXPECT_EQ(e.error.message, "no worker of app 'app' has pid 424242");
}

TEST(message_router, delivers_a_send_to_an_id_even_to_a_worker_not_yet_ready) {
    broker_harness h;
    auto a = h.join("a", "back", 1, /*ready_too=*/false);
    auto c = h.join("c", "front");
    h.send(c, 3, target{kind::id, "a"});
    a.expect(command::deliver);
}

TEST(message_router, forwards_a_reject_to_the_sender_as_error) {
    broker_harness h;
    auto a = h.join("a", "back");
    auto c = h.join("c", "front");
    a.send(proto::make_reject("c", 12, mob::protocol::error_body{errc::bad_frame, "no thanks"}));
    h.pump();
    auto e = broker_harness::error_at(c);
    EXPECT_EQ(e.seq, 12u);
    EXPECT_EQ(e.error.message, "no thanks");
}

TEST(message_router, fails_the_waiting_messages_with_shutting_down_when_the_kingpin_stops) {
    broker_harness h;
    auto c = h.join("c", "front");
    h.send(c, 2, any_of("back"));
    h.broker().stop_all();
    auto e = broker_harness::error_at(c);
    EXPECT_EQ(e.error.code, errc::shutting_down);
    EXPECT_EQ(e.error.message, "the kingpin is stopping; role 'back' had no ready worker");
}

}  // namespace

namespace {

std::uint64_t routed_to(broker_harness& h, const std::string& role) {
    mob::control::app_status s;
    h.roles().describe(s);
    h.broker().describe(s, h.now);
    for (const auto& r : s.roles) {
        if (r.name == role)
            return r.messages_routed;
    }
    return 0;
}

TEST(message_router, counts_a_send_to_every_process_or_a_role_against_each_recipients_role) {
    broker_harness h;
    auto a = h.join("a", "back");
    auto b = h.join("b", "back");
    auto c = h.join("c", "front");
    h.send(c, 1, target{});  // every process: a, b and c itself
    a.expect(command::deliver);
    b.expect(command::deliver);
    c.expect(command::deliver);
    EXPECT_EQ(routed_to(h, "back"), 2u);
    EXPECT_EQ(routed_to(h, "front"), 1u);
    h.send(c, 2, target{kind::role, "back"});
    a.expect(command::deliver);
    b.expect(command::deliver);
    EXPECT_EQ(routed_to(h, "back"), 4u);
    h.send(c, 3, target{kind::pid, std::to_string(h.find("a")->pid)});
    a.expect(command::deliver);
    EXPECT_EQ(routed_to(h, "back"), 5u);
}

}  // namespace
