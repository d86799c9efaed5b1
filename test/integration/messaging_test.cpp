// Exchanging messages, the seed's way: send / all / any / pid, through a real kingpin.
#include <gtest/gtest.h>

#include <atomic>

#include "cluster.hpp"

namespace mob::test {
namespace {

// Sends `value` through `send` and then a marker (value + 1000) to every process: each
// worker handles its messages in order, so once every marker is acked, every ack
// for `value` that will ever come has come.
std::vector<std::string> acks_with_barrier(probe& p, std::size_t expected_markers, int value) {
    p.w().send("probe", value + 1000);
    return p.wait_acks_until(
        [&](const std::vector<std::string>& acks) {
            return acks_for(acks, value + 1000).size() >= expected_markers;
        },
        10s);
}

TEST(messaging, every_role_starts_its_workers_and_the_app_becomes_full) {
    cluster c;
    ASSERT_TRUE(c.wait_full()) << c.kingpin().output();
    EXPECT_EQ(c.ready_pids("back").size(), 4u);
    EXPECT_EQ(c.ready_pids("front").size(), 2u);
}

TEST(messaging, send_reaches_every_worker_exactly_once) {
    cluster c;
    ASSERT_TRUE(c.wait_full()) << c.kingpin().output();
    probe p{c};
    ASSERT_TRUE(p.w().wait_until_welcomed(20s));
    p.w().send("probe", 1);
    auto acks = acks_with_barrier(p, 7, 1);
    auto got = acks_for(acks, 1);
    // 4 back, 2 front, and the probe itself (a front too) is a process of the app.
    std::set<pid_t> expected = c.ready_pids("back");
    for (auto pid : c.ready_pids("front"))
        expected.insert(pid);
    expected.insert(::getpid());
    ASSERT_EQ(got.size(), expected.size()) << c.kingpin().output();
    for (auto pid : expected)
        EXPECT_EQ(got[pid], 1) << "pid " << pid;
}

TEST(messaging, all_of_a_role_reaches_each_of_its_workers_once_and_no_other) {
    cluster c;
    ASSERT_TRUE(c.wait_full()) << c.kingpin().output();
    probe p{c};
    ASSERT_TRUE(p.w().wait_until_welcomed(20s));
    p.w().all("back").send("probe", 2);
    auto acks = acks_with_barrier(p, 7, 2);
    auto got = acks_for(acks, 2);
    auto backs = c.ready_pids("back");
    ASSERT_EQ(got.size(), 4u);
    for (auto pid : backs)
        EXPECT_EQ(got[pid], 1) << "pid " << pid;
    EXPECT_TRUE(acks_for(acks, 2, "front").empty());
}

TEST(messaging, any_spreads_over_every_worker_of_the_role_least_recently_used_first) {
    cluster c;
    ASSERT_TRUE(c.wait_full()) << c.kingpin().output();
    probe p{c};
    ASSERT_TRUE(p.w().wait_until_welcomed(20s));
    for (int i = 0; i < 40; ++i)
        p.w().any("back").send("probe", 3);
    auto acks = p.wait_acks(40, 10s);
    auto got = acks_for(acks, 3);
    ASSERT_EQ(got.size(), 4u) << c.kingpin().output();
    // Least-recently-used rotation: each of the 4 gets exactly a quarter.
    for (auto pid : c.ready_pids("back"))
        EXPECT_EQ(got[pid], 10) << "pid " << pid;
    EXPECT_TRUE(acks_for(acks, 3, "front").empty());
}

TEST(messaging, pid_reaches_only_that_worker) {
    cluster c;
    ASSERT_TRUE(c.wait_full()) << c.kingpin().output();
    probe p{c};
    ASSERT_TRUE(p.w().wait_until_welcomed(20s));
    auto target = *c.ready_pids("back").begin();
    p.w().pid(target).send("probe", 4);
    auto acks = acks_with_barrier(p, 7, 4);
    auto got = acks_for(acks, 4);
    ASSERT_EQ(got.size(), 1u);
    EXPECT_EQ(got[target], 1);
}

TEST(messaging, an_unknown_pid_or_role_comes_back_to_the_sender_as_an_error) {
    cluster c;
    ASSERT_TRUE(c.wait_full()) << c.kingpin().output();
    probe p{c};
    auto s1 = p.w().pid(999999999).send("probe", 5);
    auto s2 = p.w().any("nosuchrole").send("probe", 5);
    auto s3 = p.w().all("nosuchrole").send("probe", 5);
    auto errors = p.wait_errors(3);
    ASSERT_EQ(errors.size(), 3u);
    std::map<std::uint64_t, send_error> by_seq;
    for (const auto& e : errors)
        by_seq[e.seq] = e;
    EXPECT_EQ(by_seq[s1].code, errc::unknown_pid);
    EXPECT_NE(by_seq[s1].message.find("999999999"), std::string::npos) << by_seq[s1].message;
    EXPECT_EQ(by_seq[s2].code, errc::unknown_role);
    EXPECT_NE(by_seq[s2].message.find("nosuchrole"), std::string::npos) << by_seq[s2].message;
    EXPECT_EQ(by_seq[s3].code, errc::unknown_role);
}

TEST(messaging, a_value_of_the_wrong_type_comes_back_as_bad_type_naming_both_types) {
    cluster c;
    ASSERT_TRUE(c.wait_full()) << c.kingpin().output();
    probe p{c};
    auto target = *c.ready_pids("back").begin();
    auto seq = p.w().pid(target).send("probe", std::string{"not an int"});
    auto errors = p.wait_errors(1);
    ASSERT_EQ(errors.size(), 1u);
    EXPECT_EQ(errors[0].seq, seq);
    EXPECT_EQ(errors[0].code, errc::bad_type);
    EXPECT_NE(errors[0].message.find("takes int"), std::string::npos) << errors[0].message;
    EXPECT_NE(errors[0].message.find("std::string"), std::string::npos) << errors[0].message;
}

TEST(messaging, any_waits_in_the_broker_until_a_worker_of_the_role_is_ready) {
    // Long enough for the probe to join first even while the machine is busy (a
    // parallel build once took the 1.5 s this had).
    cluster c{{{"TEST_LATE_MS", "3000"}}};
    ASSERT_TRUE(c.kingpin().wait_for(std::regex{"EVENT start late"}, 10s)) << c.kingpin().output();
    probe p{c};
    ASSERT_TRUE(p.w().wait_until_welcomed(20s));
    ASSERT_TRUE(c.ready_pids("late").empty()) << "late is ready too soon for this test";
    p.w().any("late").send("probe", 6);
    auto acks = p.wait_acks(1, 10s);
    ASSERT_EQ(acks_for(acks, 6, "late").size(), 1u) << c.kingpin().output();
    // The kingpin's "ready" line comes through its output pipe and may trail the ack.
    EXPECT_TRUE(eventually([&] { return c.ready_pids("late").size() == 1u; }, 5s))
        << c.kingpin().output();
    EXPECT_TRUE(p.errors().empty());
}

TEST(messaging, a_message_that_waits_past_its_deadline_comes_back_expired) {
    cluster c{{{"TEST_LATE_MS", "5000"}, {"TEST_QUEUE_TIMEOUT_MS", "300"}}};
    ASSERT_TRUE(c.kingpin().wait_for(std::regex{"EVENT start late"}, 10s)) << c.kingpin().output();
    probe p{c};
    auto seq = p.w().any("late").send("probe", 7);
    auto errors = p.wait_errors(1, 3s);
    ASSERT_EQ(errors.size(), 1u);
    EXPECT_EQ(errors[0].seq, seq);
    EXPECT_EQ(errors[0].code, errc::expired);
    EXPECT_NE(errors[0].message.find("late"), std::string::npos);
}

TEST(messaging, beyond_the_queue_bound_the_sender_gets_queue_full) {
    cluster c{
        {{"TEST_LATE_MS", "5000"}, {"TEST_QUEUE_TIMEOUT_MS", "10000"}, {"TEST_QUEUE_MAX", "3"}}};
    ASSERT_TRUE(c.kingpin().wait_for(std::regex{"EVENT start late"}, 10s)) << c.kingpin().output();
    probe p{c};
    for (int i = 0; i < 3; ++i)
        p.w().any("late").send("probe", 8);
    auto seq = p.w().any("late").send("probe", 8);
    auto errors = p.wait_errors(1, 3s);
    ASSERT_EQ(errors.size(), 1u);
    EXPECT_EQ(errors[0].seq, seq);
    EXPECT_EQ(errors[0].code, errc::queue_full);
}

TEST(messaging, a_broadcast_made_right_after_ready_reaches_the_sender_too) {
    // ready() then send() from one thread reach the broker in that order, even when
    // the I/O thread takes both in one batch: the READY is not held back to its end.
    cluster c;
    ASSERT_TRUE(c.wait_full()) << c.kingpin().output();
    for (int i = 0; i < 10; ++i) {
        std::atomic<int> got{0};
        worker w{worker_options{.endpoint = c.endpoint(), .app = "testapp", .role = "front"}};
        w.on<int>("self", [&](const int&) { ++got; });
        w.ready();
        w.all("front").send("self", i);
        EXPECT_TRUE(eventually([&] { return got == 1; }, 5s)) << "round " << i;
    }
}

}  // namespace
}  // namespace mob::test
