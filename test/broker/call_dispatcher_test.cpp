// The call dispatcher (broker/src/call_dispatcher.*): credit, the free-worker LRU,
// queued calls and their deadlines, retries of idempotent calls, and calls failed when
// their worker dies; driven over inproc sockets with the test's own clock.
#include "broker_harness.hpp"

namespace {

using namespace mob::test;
using mob::errc;

TEST(call_dispatcher, gives_the_next_call_to_the_least_recently_used_free_worker) {
    broker_harness h;
    auto a = h.join("a", "back");
    auto b = h.join("b", "back");
    auto c = h.join("c", "front");
    h.call(c, 1);
    auto t1 = h.request_at(a);
    EXPECT_TRUE(b.idle());
    h.call(c, 2);
    h.request_at(b);
    h.reply(a, t1);
    EXPECT_EQ(broker_harness::result_at(c).id, 1u);
    h.call(c, 3);
    h.request_at(a);
    EXPECT_TRUE(b.idle());
}

TEST(call_dispatcher, gives_a_call_to_an_idle_worker_before_pipelining_it_behind_a_busy_one) {
    broker_harness h;
    auto a = h.join("a", "back", /*credit=*/4);
    auto b = h.join("b", "back", /*credit=*/4);
    auto c = h.join("c", "front");
    h.call(c, 1);
    h.request_at(a);  // a: one in flight, and now the most recently used
    h.call(c, 2);
    h.reply(b, h.request_at(b));  // b: done, idle again, and more recently used than a
    EXPECT_EQ(broker_harness::result_at(c).id, 2u);
    // a has credit to spare and was used longest ago; b is idle: b gets it.
    h.call(c, 3);
    h.request_at(b);
    EXPECT_TRUE(a.idle());
    // Now both are busy: pipelined, least recently used first.
    h.call(c, 4);
    h.request_at(a);
}

TEST(call_dispatcher, holds_as_many_calls_at_a_worker_as_its_credit_and_queues_the_rest) {
    broker_harness h;
    auto a = h.join("a", "back", /*credit=*/2);
    auto c = h.join("c", "front");
    h.call(c, 1);
    h.call(c, 2);
    h.call(c, 3);
    auto t1 = h.request_at(a);
    h.request_at(a);
    EXPECT_TRUE(a.idle());  // the third waits for credit
    EXPECT_EQ(h.find("a")->in_flight, 2u);
    h.reply(a, t1);
    EXPECT_EQ(broker_harness::result_at(c).id, 1u);
    h.request_at(a);  // the credit came back with the REPLY
}

TEST(call_dispatcher, gives_a_worker_with_credit_two_two_calls_and_one_with_credit_one_one) {
    broker_harness h;
    auto a = h.join("a", "back", /*credit=*/2);
    auto b = h.join("b", "back", /*credit=*/1);
    auto c = h.join("c", "front");
    for (std::uint64_t id = 1; id <= 4; ++id)
        h.call(c, id);
    h.request_at(a);
    h.request_at(a);
    h.request_at(b);
    EXPECT_TRUE(a.idle());
    EXPECT_TRUE(b.idle());
    mob::control::app_status s;
    h.roles().describe(s);
    h.broker().describe(s, h.now);
    EXPECT_EQ(s.roles[0].queued_calls, 1u);
    EXPECT_EQ(s.roles[0].calls_routed, 3u);
}

TEST(call_dispatcher, sends_the_reply_on_as_the_result_under_the_callers_call_id) {
    broker_harness h;
    auto a = h.join("a", "back");
    auto c = h.join("c", "front");
    h.call(c, 77);
    auto ticket = h.request_at(a);
    EXPECT_NE(ticket, 77u);  // the worker sees the broker's ticket, not the caller's id
    h.reply(a, ticket);
    broker_harness::expect_result(c, 77u, errc::ok, "42");
    EXPECT_EQ(h.find("a")->served, 1u);
}

TEST(call_dispatcher, tells_a_caller_that_asks_which_worker_served_its_call) {
    broker_harness h;
    auto a = h.join("a", "back");
    auto c = h.join("c", "front");
    h.call(c, 1, mob::protocol::call_report_server);
    h.reply(a, h.request_at(a));
    auto f = c.expect(command::result);
    ASSERT_FALSE(f.empty());
    EXPECT_EQ(proto::parse_result(std::span{f}).served_by, "a");
    h.call(c, 2);  // one that did not ask gets the two-frame RESULT
    h.reply(a, h.request_at(a));
    auto g = c.expect(command::result);
    EXPECT_EQ(g.size(), 3u);
    EXPECT_TRUE(proto::parse_result(std::span{g}).served_by.empty());
}

TEST(call_dispatcher, sends_no_result_for_a_oneway_call_that_succeeded) {
    broker_harness h;
    auto a = h.join("a", "back");
    auto c = h.join("c", "front");
    h.call(c, 5, mob::protocol::call_oneway);
    h.reply(a, h.request_at(a));
    EXPECT_TRUE(c.idle());
}

TEST(call_dispatcher, drops_a_reply_for_no_call_in_flight_at_that_worker) {
    broker_harness h;
    auto a = h.join("a", "back");
    auto b = h.join("b", "back");
    auto c = h.join("c", "front");
    h.call(c, 1);
    auto ticket = h.request_at(a);
    h.reply(b, ticket);  // b answers a's call
    EXPECT_TRUE(c.idle());
    EXPECT_EQ(h.broker().stats().dropped.at("stray_reply"), 1u);
    h.reply(a, ticket);
    EXPECT_EQ(broker_harness::result_at(c).id, 1u);
}

TEST(call_dispatcher, runs_an_idempotent_call_once_more_elsewhere_when_its_worker_dies) {
    broker_harness h;
    auto a = h.join("a", "back");
    auto c = h.join("c", "front");
    h.call(c, 9, mob::protocol::call_idempotent);
    h.request_at(a);
    auto b = h.join("b", "back");
    a.send(mob::protocol::make_signal(command::goodbye));
    h.pump();
    auto ticket = h.request_at(b);
    h.reply(b, ticket);
    auto r = broker_harness::result_at(c);
    EXPECT_EQ(r.id, 9u);
    EXPECT_EQ(r.code, errc::ok);
}

TEST(call_dispatcher, fails_a_retried_call_with_worker_died_when_its_second_worker_dies) {
    broker_harness h;
    auto a = h.join("a", "back");
    auto b = h.join("b", "back");
    auto c = h.join("c", "front");
    h.call(c, 9, mob::protocol::call_idempotent);
    h.request_at(a);
    a.send(mob::protocol::make_signal(command::goodbye));
    h.pump();
    h.request_at(b);
    b.send(mob::protocol::make_signal(command::goodbye));
    h.pump();
    auto r = broker_harness::result_at(c);
    EXPECT_EQ(r.id, 9u);
    EXPECT_EQ(r.code, errc::worker_died);
    EXPECT_EQ(r.body, "back.add: worker b died with the call in flight");
}

TEST(call_dispatcher, fails_a_call_that_is_not_idempotent_when_its_worker_dies) {
    broker_harness h;
    auto a = h.join("a", "back");
    auto b = h.join("b", "back");
    auto c = h.join("c", "front");
    h.call(c, 4);
    h.request_at(a);
    a.send(mob::protocol::make_signal(command::goodbye));
    h.pump();
    auto r = broker_harness::result_at(c);
    EXPECT_EQ(r.code, errc::worker_died);
    EXPECT_EQ(r.body, "back.add: worker a died with the call in flight");
    EXPECT_TRUE(b.idle());
}

TEST(call_dispatcher, puts_a_call_to_run_again_before_every_waiting_call) {
    broker_harness h;
    auto a = h.join("a", "back");
    auto b = h.join("b", "back");
    auto c = h.join("c", "front");
    h.call(c, 1, mob::protocol::call_idempotent);
    h.request_at(a);
    h.call(c, 2);
    auto t2 = h.request_at(b);
    h.call(c, 3);  // waits: both are busy
    a.send(mob::protocol::make_signal(command::goodbye));
    h.pump();  // call 1 waits again, first
    h.reply(b, t2);
    EXPECT_EQ(broker_harness::result_at(c).id, 2u);
    auto f = b.expect(command::request);
    ASSERT_FALSE(f.empty());
    auto again = mob::protocol::parse_request(std::span{f});
    ASSERT_TRUE(again);
    EXPECT_EQ(again->head.options().flags & mob::protocol::call_idempotent,
              mob::protocol::call_idempotent);  // call 1, not call 3
    h.reply(b, again->head.id());
    EXPECT_EQ(broker_harness::result_at(c).id, 1u);
}

TEST(call_dispatcher, fails_a_queued_call_with_timeout_past_its_deadline) {
    broker_harness h;
    auto c = h.join("c", "front");
    h.call(c, 3, 0, /*timeout_ms=*/500);  // no worker of back: it waits
    h.advance(400ms);
    EXPECT_TRUE(c.idle());
    h.advance(200ms);
    broker_harness::expect_result(
        c, 3u, errc::timeout,
        "back.add: no worker of role 'back' was free before the call's timeout");
}

TEST(call_dispatcher, gives_a_queued_call_to_the_first_worker_that_becomes_free) {
    broker_harness h;
    auto c = h.join("c", "front");
    h.call(c, 1);
    h.call(c, 2);
    auto a = h.join("a", "back", /*credit=*/2);
    auto t1 = h.request_at(a);
    auto t2 = h.request_at(a);
    h.reply(a, t2);
    h.reply(a, t1);
    EXPECT_EQ(broker_harness::result_at(c).id, 2u);
    EXPECT_EQ(broker_harness::result_at(c).id, 1u);
}

TEST(call_dispatcher, refuses_a_call_with_queue_full_beyond_max_queued_per_role) {
    harness_options o;
    o.max_queued_per_role = 2;
    broker_harness h{o};
    auto c = h.join("c", "front");
    h.call(c, 1);
    h.call(c, 2);
    h.call(c, 3);
    auto r = broker_harness::result_at(c);
    EXPECT_EQ(r.id, 3u);
    EXPECT_EQ(r.code, errc::queue_full);
    EXPECT_EQ(r.body, "back.add: 2 calls already wait for a worker of role 'back'");
}

TEST(call_dispatcher, refuses_a_method_the_ready_workers_do_not_export) {
    broker_harness h;
    auto a = h.join("a", "back");
    auto c = h.join("c", "front");
    h.call(c, 1, 0, 0, "nope");
    auto r = broker_harness::result_at(c);
    EXPECT_EQ(r.code, errc::unknown_method);
    EXPECT_EQ(r.body, "role 'back' has no method 'nope' (it exports: add, ping)");
    EXPECT_TRUE(a.idle());
}

TEST(call_dispatcher, fails_the_queued_calls_with_shutting_down_when_the_kingpin_stops) {
    broker_harness h;
    auto c = h.join("c", "front");
    h.call(c, 6);
    h.broker().stop_all();
    broker_harness::expect_result(c, 6u, errc::shutting_down, "back.add: the kingpin is stopping");
    c.expect(command::stop);
}

TEST(call_dispatcher, fails_the_calls_in_flight_with_shutting_down_at_shutdown) {
    broker_harness h;
    auto a = h.join("a", "back");
    auto c = h.join("c", "front");
    h.call(c, 8);
    h.request_at(a);
    h.broker().shutdown();
    auto r = broker_harness::result_at(c);
    EXPECT_EQ(r.code, errc::shutting_down);
    EXPECT_EQ(r.body, "back.add: the kingpin stopped before worker a answered");
}

}  // namespace
