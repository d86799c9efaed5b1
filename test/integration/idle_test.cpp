// An idle app sleeps: between heartbeats no thread of a worker or of the kingpin wakes
// to look around (a thousand idle workers each waking ten times a second cost a core).
// Wake-ups are counted as the kernel counts them: voluntary context switches of every
// thread, over a second and a half of idling.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <string>
#include <thread>

#include "cluster.hpp"
#include "status_query.hpp"

namespace mob::test {
namespace {

/// The voluntary context switches of every thread of `pid` so far.
long long wake_ups(std::int64_t pid) {
    long long total = 0;
    for (const auto& t : std::filesystem::directory_iterator(fmt::format("/proc/{}/task", pid))) {
        std::ifstream in{t.path() / "status"};
        std::string key;
        while (in >> key) {
            if (key == "voluntary_ctxt_switches:") {
                long long n = 0;
                in >> n;
                total += n;
            }
        }
    }
    return total;
}

TEST(idle, an_idle_worker_and_kingpin_wake_for_heartbeats_only) {
    cluster c{{{"TEST_BACK", "2"}, {"TEST_FRONT", "1"}}};
    ASSERT_TRUE(c.wait_full()) << c.kingpin().output();
    auto s = status_of(c.runtime_dir());
    ASSERT_TRUE(s.has_value());
    std::int64_t worker_pid = 0;
    for (const auto& w : s->workers) {
        if (w.role == "back")
            worker_pid = w.pid;
    }
    ASSERT_NE(worker_pid, 0);
    const auto kingpin_pid = s->kingpin_pid;

    const auto worker_before = wake_ups(worker_pid);
    const auto kingpin_before = wake_ups(kingpin_pid);
    std::this_thread::sleep_for(1500ms);  // allowed-sleep: the interval measured
    const auto worker_woke = wake_ups(worker_pid) - worker_before;
    const auto kingpin_woke = wake_ups(kingpin_pid) - kingpin_before;

    // A worker's heartbeat each second, the broker's, and ZeroMQ's I/O thread for
    // each: a handful. Waking every 100 ms (the signal thread and the I/O loop did)
    // is 30 in this time.
    EXPECT_LT(worker_woke, 20) << "an idle worker's threads woke " << worker_woke << " times";

    // The kingpin: three workers' heartbeats each way, its once-a-second sampling.
    EXPECT_LT(kingpin_woke, 60) << "an idle kingpin's threads woke " << kingpin_woke << " times";
}

// Not idleness, but the same set-up: a role that says nothing about credit takes each
// worker's own (16 for the C++ worker: the broker pipelines up to 16 calls to it when
// none of the role is idle; with 1, a lone worker moved a tenth of node's mob's calls).
TEST(idle, a_role_without_a_credit_option_takes_the_workers_own_default) {
    cluster c{{{"TEST_BACK", "2"}, {"TEST_FRONT", "1"}}};
    ASSERT_TRUE(c.wait_full()) << c.kingpin().output();
    auto s = status_of(c.runtime_dir());
    ASSERT_TRUE(s.has_value());
    int backs = 0;
    for (const auto& w : s->workers) {
        if (w.role == "back") {
            EXPECT_EQ(w.credit, worker_options{}.credit);
            ++backs;
        }
    }
    EXPECT_EQ(backs, 2);
    EXPECT_EQ(worker_options{}.credit, 64u);
}

}  // namespace
}  // namespace mob::test
