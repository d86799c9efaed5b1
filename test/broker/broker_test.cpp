// The broker itself (broker/src/broker.*): the envelope check, a sender it does not
// know, STOP, a worker's process that exited (kept a moment for its last REPLYs), and
// removals that wait until the message in hand is handled.
#include "broker_harness.hpp"

namespace {

using namespace mob::test;
using mob::errc;
using state = mob::detail::worker_state;

TEST(broker, asks_a_worker_it_does_not_know_to_say_hello_again_and_fails_its_send) {
    broker_harness h;
    auto s = h.stranger("s");
    h.send(s, 21, mob::protocol::target{});
    auto e = broker_harness::error_at(s);
    EXPECT_EQ(e.seq, 21u);
    EXPECT_EQ(e.error.code, errc::not_registered);
    s.expect(command::hello_again);
}

TEST(broker, fails_a_call_from_a_worker_it_does_not_know_with_not_registered) {
    broker_harness h;
    auto s = h.stranger("s");
    h.call(s, 33);
    broker_harness::expect_result(s, 33u, errc::not_registered,
                                  "the broker does not know this worker: say HELLO first");
    s.expect(command::hello_again);
}

TEST(broker, answers_a_message_with_the_wrong_frame_count_with_bad_frame) {
    broker_harness h;
    auto s = h.stranger("s");
    s.send(mob::protocol::make_message(command::heartbeat, {"x"}));  // one frame too many
    h.pump();
    auto e = broker_harness::error_at(s);
    EXPECT_EQ(e.error.code, errc::bad_frame);
    EXPECT_EQ(h.broker().stats().dropped.at("long"), 1u);  // counted by what was wrong
}

TEST(broker, gives_nothing_new_to_a_worker_told_to_stop) {
    broker_harness h;
    h.local_pids = {101};
    auto a = h.join("a", "back", 2, true, 101);
    auto b = h.join("b", "back");
    auto c = h.join("c", "front");
    h.call(c, 1);
    auto ticket = h.request_at(a);
    h.broker().stop_worker(101);
    a.expect(command::stop);
    h.call(c, 2);
    h.request_at(b);
    h.send(c, 3, mob::protocol::target{mob::protocol::target_kind::any, "back"});
    b.expect(command::deliver);
    EXPECT_TRUE(a.idle());
    h.reply(a, ticket);  // it finishes what it has
    EXPECT_EQ(broker_harness::result_at(c).id, 1u);
    EXPECT_TRUE(a.idle());  // and gets no credit back
}

/// `a`, whose process exited, says GOODBYE: it is forgotten, and nothing lingers.
void expect_forgotten_at_goodbye(broker_harness& h, peer& a) {
    a.send(mob::protocol::make_signal(command::goodbye));
    h.pump();
    EXPECT_EQ(h.find("a"), nullptr);
    EXPECT_FALSE(h.broker().lingering());
}

TEST(broker, keeps_a_worker_that_exited_cleanly_with_calls_in_flight_for_its_last_replies) {
    broker_harness h;
    h.local_pids = {101};
    auto a = h.join("a", "back", 1, true, 101);
    auto c = h.join("c", "front");
    h.call(c, 1);
    auto ticket = h.request_at(a);
    h.broker().process_exited(101, /*clean=*/true, h.now);
    EXPECT_EQ(h.find("a")->state, state::exited);
    EXPECT_TRUE(h.broker().lingering());
    h.advance(400ms);
    h.reply(a, ticket);
    EXPECT_EQ(broker_harness::result_at(c).id, 1u);
    expect_forgotten_at_goodbye(h, a);
}

TEST(broker, forgets_an_exited_worker_500_ms_after_its_exit_and_fails_its_calls) {
    broker_harness h;
    h.local_pids = {101};
    auto a = h.join("a", "back", 1, true, 101);
    auto c = h.join("c", "front");
    h.call(c, 1);
    h.request_at(a);
    h.broker().process_exited(101, /*clean=*/true, h.now);
    EXPECT_LE(h.broker().next_deadline(), h.now + 500ms);
    h.advance(499ms);
    EXPECT_NE(h.find("a"), nullptr);
    h.advance(1ms);
    EXPECT_EQ(h.find("a"), nullptr);
    EXPECT_EQ(h.gone.at(0).second, "process exited");
    EXPECT_EQ(broker_harness::result_at(c).code, errc::worker_died);
}

TEST(broker, relays_what_a_worker_sent_before_it_exited_cleanly_until_its_goodbye) {
    // The kingpin can see the exit before it reads the worker's last messages: a REJECT
    // of a message the worker refused on its way out still reaches that message's sender.
    broker_harness h;
    h.local_pids = {101};
    auto a = h.join("a", "back", 1, true, 101);
    auto c = h.join("c", "front");
    h.broker().process_exited(101, /*clean=*/true, h.now);
    ASSERT_NE(h.find("a"), nullptr);
    EXPECT_EQ(h.find("a")->state, state::exited);
    a.send(mob::protocol::make_reject(
        "c", 12, mob::protocol::error_body{errc::handler_failed, "I have left"}));
    h.pump();
    auto e = broker_harness::error_at(c);
    EXPECT_EQ(e.seq, 12u);
    EXPECT_EQ(e.error.message, "I have left");
    expect_forgotten_at_goodbye(h, a);
}

TEST(broker, forgets_at_once_a_worker_whose_process_crashed_with_nothing_in_flight) {
    broker_harness h;
    h.local_pids = {101};
    auto a = h.join("a", "back", 1, true, 101);
    h.broker().process_exited(101, /*clean=*/false, h.now);
    EXPECT_EQ(h.find("a"), nullptr);
    EXPECT_FALSE(h.broker().lingering());
}

TEST(broker, forgets_a_caller_that_cannot_be_reached_once_its_reply_is_handled) {
    broker_harness h;
    auto a = h.join("a", "back");
    auto c = h.join("c", "front");
    h.call(c, 1);
    h.call(c, 2);  // waits: a has credit 1
    auto ticket = h.request_at(a);
    h.vanish(c);
    h.reply(a, ticket);  // the RESULT finds c unreachable
    EXPECT_EQ(h.find("c"), nullptr);
    EXPECT_EQ(h.gone.at(0), (std::pair<std::string, std::string>{"c", "unreachable"}));
    // c's waiting call went with it: a has nothing new.
    EXPECT_TRUE(a.idle());
}

TEST(broker, tells_a_worker_that_joins_while_it_stops_to_stop_at_once) {
    broker_harness h;
    h.broker().stop_all();
    auto a = h.join("a", "back", 1, /*ready_too=*/false);
    a.expect(command::stop);
    EXPECT_EQ(h.find("a")->state, state::stopping);
}

}  // namespace
