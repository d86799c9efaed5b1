// The worker registry (broker/src/worker_registry.*): hello, the explicit worker states,
// liveness by heartbeats (and a stalled kingpin that does not blame its workers), and
// lookups by pid and id; driven through the broker over inproc with the test's clock.
#include "broker_harness.hpp"

namespace {

using namespace mob::test;
using mob::errc;
using state = mob::detail::worker_state;

TEST(worker_registry, welcomes_a_worker_in_state_connected_and_makes_it_ready_at_ready) {
    broker_harness h;
    auto a = h.join("a", "back", 1, /*ready_too=*/false);
    ASSERT_NE(h.find("a"), nullptr);
    EXPECT_EQ(h.find("a")->state, state::connected);
    EXPECT_TRUE(h.ready.empty());
    h.say_ready(a, 3);
    EXPECT_EQ(h.find("a")->state, state::ready);
    EXPECT_EQ(h.find("a")->credit, 3u);
    EXPECT_EQ(h.ready, std::vector<std::string>{"a"});
    EXPECT_EQ(h.broker().ready_count(0), 1u);
}

TEST(worker_registry, gives_each_worker_a_handle_never_used_before) {
    broker_harness h;
    auto a = h.join("a", "back");
    const auto first = h.find("a")->handle;
    a.send(mob::protocol::make_signal(command::goodbye));
    h.pump();
    EXPECT_EQ(h.find("a"), nullptr);
    auto b = h.join("b", "back");
    ASSERT_NE(h.find("b"), nullptr);
    EXPECT_GT(h.find("b")->handle, first);  // a's is not handed out again
}

TEST(worker_registry, forgets_a_worker_silent_for_heartbeat_times_liveness_and_fails_its_calls) {
    broker_harness h;
    auto a = h.join("a", "back");
    auto c = h.join("c", "front");
    h.call(c, 1);
    h.request_at(a);
    for (int i = 0; i < 3; ++i) {
        h.advance(1000ms);
        c.send(mob::protocol::make_signal(command::heartbeat));
        h.pump();
    }
    EXPECT_NE(h.find("a"), nullptr);  // 3 s of silence is not more than 3 x 1 s
    h.advance(1000ms);
    EXPECT_EQ(h.find("a"), nullptr);
    EXPECT_NE(h.find("c"), nullptr);
    ASSERT_EQ(h.gone.size(), 1u);
    EXPECT_EQ(h.gone[0].second, "missed heartbeats");
    auto r = broker_harness::result_at(c);
    EXPECT_EQ(r.code, errc::worker_died);
}

TEST(worker_registry, sends_every_worker_a_heartbeat_each_interval) {
    broker_harness h;
    auto a = h.join("a", "back");
    h.advance(500ms);
    EXPECT_EQ(a.heartbeats(), 0);
    h.advance(600ms);
    EXPECT_EQ(a.heartbeats(), 1);
}

TEST(worker_registry, does_not_forget_its_workers_after_the_kingpin_itself_stalled) {
    broker_harness h;
    auto a = h.join("a", "back");
    h.advance(1000ms);
    h.advance(10000ms);  // the loop did not run for 10 s: the silence is its own
    EXPECT_NE(h.find("a"), nullptr);
    h.advance(1000ms);
    EXPECT_NE(h.find("a"), nullptr);
    EXPECT_TRUE(h.gone.empty());
}

TEST(worker_registry, moves_a_worker_from_ready_to_stopping_when_it_is_told_to_stop) {
    broker_harness h;
    h.local_pids = {101};
    auto a = h.join("a", "back", 1, true, 101);
    EXPECT_TRUE(h.find("a")->local_child);
    EXPECT_TRUE(h.broker().stop_worker(101));
    a.expect(command::stop);
    EXPECT_EQ(h.find("a")->state, state::stopping);
    h.say_ready(a);  // a READY does not bring it back
    EXPECT_EQ(h.find("a")->state, state::stopping);
    EXPECT_FALSE(h.broker().stop_worker(999));
}

TEST(worker_registry, forgets_a_worker_that_says_hello_again_and_welcomes_it_anew) {
    broker_harness h;
    auto a = h.join("a", "back");
    const auto first = h.find("a")->handle;
    a.send(mob::protocol::make_hello(mob::protocol::hello{"app", "back", 5, "x", 0, false, 1, {}}));
    h.pump();
    a.expect(command::welcome);
    ASSERT_EQ(h.gone.size(), 1u);
    EXPECT_EQ(h.gone[0].second, "said hello again");
    EXPECT_NE(h.find("a")->handle, first);
    EXPECT_EQ(h.find("a")->state, state::connected);
}

TEST(worker_registry, counts_a_role_full_when_its_target_is_ready) {
    broker_harness h;
    auto a = h.join("a", "back");
    auto c = h.join("c", "front");
    EXPECT_FALSE(h.broker().role_full("back"));  // back's target is 2
    EXPECT_TRUE(h.broker().role_full("front"));
    EXPECT_FALSE(h.broker().all_full());
    auto b = h.join("b", "back");
    EXPECT_TRUE(h.broker().all_full());
}

TEST(worker_registry, describes_each_worker_and_each_roles_ready_count) {
    broker_harness h;
    auto a = h.join("a", "back", 2);
    auto b = h.join("b", "back", 1, /*ready_too=*/false);
    mob::control::app_status s;
    h.roles().describe(s);
    h.broker().describe(s, h.now);
    ASSERT_EQ(s.roles.size(), 2u);
    EXPECT_EQ(s.roles[0].name, "back");
    EXPECT_EQ(s.roles[0].ready, 1u);
    EXPECT_EQ(s.roles[0].joined, 2u);
    ASSERT_EQ(s.workers.size(), 2u);
    EXPECT_EQ(s.workers[0].id, "a");  // in the order they joined
    EXPECT_EQ(s.workers[0].state, "ready");
    EXPECT_EQ(s.workers[0].credit, 2u);
    EXPECT_EQ(s.workers[1].state, "connected");
}

}  // namespace
