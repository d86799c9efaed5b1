// Graceful shutdown: SIGTERM to the kingpin stops routing, lets every worker finish the
// calls it holds and run its shutdown hook, kills what is left after the kill timeout,
// answers every call (a result or a clear error), and exits 0 leaving no process behind.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>

#include "cluster.hpp"
#include "control_client.hpp"

namespace mob::test {
namespace {

std::set<pid_t> pids_of(const cluster& c, std::initializer_list<const char*> roles) {
    std::set<pid_t> out;
    for (const auto* r : roles) {
        for (auto p : c.ready_pids(r))
            out.insert(p);
    }
    return out;
}

void expect_exit_zero_and_nothing_left(cluster& c, const std::set<pid_t>& workers) {
    auto status = c.kingpin().wait_exit(10s);
    ASSERT_TRUE(status) << "the kingpin did not exit\n" << c.kingpin().output();
    EXPECT_TRUE(WIFEXITED(*status) && WEXITSTATUS(*status) == 0) << c.kingpin().output();
    for (auto pid : workers)
        EXPECT_TRUE(wait_process_gone(pid, 2s)) << "worker " << pid << " outlived the kingpin";
}

TEST(shutdown, sigterm_answers_every_call_in_flight_or_queued_and_exits_zero) {
    cluster c{
        {{"TEST_BACK", "1"}, {"TEST_FRONT", "1"}, {"TEST_POOL", "2"}, {"TEST_POOL_CREDIT", "4"}}};
    ASSERT_TRUE(c.wait_full()) << c.kingpin().output();
    auto workers = pids_of(c, {"back", "front", "pool"});
    probe p{c};
    ASSERT_TRUE(p.w().wait_until_welcomed(20s));
    auto pool = p.w().require("pool", {.timeout = 20s});
    std::vector<call_future<int>> calls;
    for (int i = 0; i < 40; ++i)
        calls.push_back(pool.call<int>("slow_echo", 300, i));
    // 2 workers x credit 4 in flight (each worker runs them one after the other), the
    // rest waiting in the broker.
    ASSERT_TRUE(eventually(
        [&] {
            auto status = control::from_json<control::app_status>(ask(c, "status"));
            std::uint64_t in_flight = 0;
            for (const auto& w : status.workers)
                in_flight += w.role == "pool" ? w.in_flight : 0;
            return in_flight == 8;
        },
        10s))
        << "the pool workers never held 8 calls\n"
        << c.kingpin().output();
    c.kingpin().signal(SIGTERM);

    int served = 0;
    int refused = 0;
    for (int i = 0; i < 40; ++i) {
        auto r = calls[static_cast<std::size_t>(i)].get(10s);
        if (r.ok()) {
            EXPECT_EQ(r.value(), i);
            ++served;
        } else {
            EXPECT_EQ(r.error().code, errc::shutting_down) << i << ": " << r.error().message;
            ++refused;
        }
    }
    EXPECT_GE(served, 8) << "calls in flight were not finished";
    EXPECT_EQ(served + refused, 40);
    expect_exit_zero_and_nothing_left(c, workers);
    // Each pool worker ran its shutdown hook after its calls: none was still running.
    // (A worker's hook line comes after its own "working" lines.)
    EXPECT_TRUE(c.kingpin().wait_for_count(std::regex{"EVENT shutdown pool \\d+ busy=0"}, 2, 5s))
        << c.kingpin().output();
    // Nothing new started after the stop: every call that ran was answered with its result.
    EXPECT_EQ(c.kingpin().matches(std::regex{"EVENT working pool"}).size(),
              static_cast<std::size_t>(served));
    EXPECT_TRUE(c.kingpin().matches(std::regex{"busy=[1-9]"}).empty()) << c.kingpin().output();
}

TEST(shutdown, the_shutdown_hook_runs_in_every_worker_stopped_with_the_kingpin) {
    cluster c{{{"TEST_BACK", "2"}, {"TEST_FRONT", "1"}}};
    ASSERT_TRUE(c.wait_full()) << c.kingpin().output();
    auto workers = pids_of(c, {"back", "front"});
    ASSERT_EQ(workers.size(), 3u);
    c.kingpin().signal(SIGTERM);
    expect_exit_zero_and_nothing_left(c, workers);
    for (auto pid : workers) {
        EXPECT_EQ(c.kingpin()
                      .matches(std::regex{fmt::format("EVENT shutdown \\w+ {} busy=0", pid)})
                      .size(),
                  1u)
            << pid << "\n"
            << c.kingpin().output();
    }
}

TEST(shutdown, the_shutdown_hook_runs_when_a_worker_gets_sigterm_itself) {
    cluster c{{{"TEST_BACK", "1"}, {"TEST_FRONT", "1"}}};
    ASSERT_TRUE(c.wait_full()) << c.kingpin().output();
    auto victim = *c.ready_pids("back").begin();
    auto mark = c.kingpin().line_count();
    ASSERT_EQ(::kill(victim, SIGTERM), 0);
    EXPECT_TRUE(c.kingpin().wait_for(
        std::regex{fmt::format("EVENT shutdown back {} busy=0", victim)}, 5s, mark))
        << c.kingpin().output();
    EXPECT_TRUE(wait_process_gone(victim, 5s));
}

TEST(shutdown, a_worker_still_busy_after_the_kill_timeout_is_killed_and_its_call_fails_clearly) {
    cluster c{{{"TEST_BACK", "1"}, {"TEST_FRONT", "1"}, {"TEST_KILL_TIMEOUT_MS", "500"}}};
    ASSERT_TRUE(c.wait_full()) << c.kingpin().output();
    auto workers = pids_of(c, {"back", "front"});
    probe p{c};
    ASSERT_TRUE(p.w().wait_until_welcomed(20s));
    auto slow = p.w().require("back", {.timeout = 30s}).call<int>("slow_echo", 20000, 7);
    ASSERT_TRUE(c.kingpin().wait_for(std::regex{"EVENT working back"}, 10s))
        << c.kingpin().output();
    auto signalled = std::chrono::steady_clock::now();
    c.kingpin().signal(SIGTERM);
    auto r = slow.get(10s);
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error().code, errc::shutting_down) << r.error().message;
    EXPECT_NE(r.error().message.find("back.slow_echo"), std::string::npos) << r.error().message;
    EXPECT_LT(std::chrono::steady_clock::now() - signalled, 5s);
    expect_exit_zero_and_nothing_left(c, workers);
    EXPECT_TRUE(c.kingpin().wait_for(std::regex{"still running after 500 ms: SIGKILL"}, 1s))
        << c.kingpin().output();
}

}  // namespace
}  // namespace mob::test
