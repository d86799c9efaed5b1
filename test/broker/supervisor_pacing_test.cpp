// The supervisor starts a role's workers a few milliseconds' worth per tick, so the
// kingpin's loop serves its sockets between forks (a thousand workers forked in one
// turn of the loop left their HELLOs unanswered for seconds); and it is asked to scan
// its children only when one of its deadlines is due or something changed.
#include <gtest/gtest.h>
#include <signal.h>

#include <chrono>

#include "config.hpp"
#include "role_table.hpp"
#include "supervisor.hpp"

namespace mob::detail {
namespace {

using namespace std::chrono_literals;
using clock = supervisor::clock;

constexpr std::uint32_t sleepers = 300;

/// Kills and reaps whatever the supervisor started, however the test ends.
struct reaper {
    supervisor& s;
    ~reaper() {
        s.stop_reviving();
        s.signal_all(SIGKILL);
        const auto deadline = clock::now() + 10s;
        while (!s.empty() && clock::now() < deadline)
            s.reap([](const supervisor::child&, int, const supervisor::restart_plan&) {});
    }
};

kingpin_config sleepers_app() {
    kingpin_config config;
    config.app = "pacing";
    config.roles.push_back(role_spec{.name = "sleeper",
                                     .entry = program{"/bin/sleep", {"60"}},
                                     .min = sleepers,
                                     .max = sleepers,
                                     .options = {}});
    return config;
}

TEST(supervisor_pacing, start_all_forks_a_paced_few_per_tick_until_the_role_is_whole) {
    auto config = sleepers_app();
    role_table roles{config.roles};
    supervisor s{config, roles, "ipc:///nowhere/broker.sock"};
    reaper cleanup{s};

    s.start_all();
    EXPECT_EQ(s.size(), 0u) << "start_all() forks nothing itself";
    EXPECT_TRUE(s.scan_due(clock::now()));
    EXPECT_FALSE(s.next_restart_in_s("sleeper", clock::now()))
        << "a first start is not shown as a restart";

    s.tick(clock::now());
    const auto after_one = s.size();
    EXPECT_GT(after_one, 0u);
    EXPECT_LT(after_one, sleepers) << "one tick forked the whole role: nothing in between";
    auto next = s.next_deadline();
    ASSERT_TRUE(next);
    EXPECT_LE(*next, clock::now()) << "the rest is due at once";

    int ticks = 1;
    while (s.size() < sleepers && ticks < 100000) {
        ASSERT_TRUE(s.scan_due(clock::now()));
        s.tick(clock::now());
        s.scanned();
        ++ticks;
    }
    EXPECT_EQ(s.size(), sleepers);
    EXPECT_EQ(s.alive("sleeper"), sleepers);
    EXPECT_EQ(s.scheduled("sleeper"), 0u);
    EXPECT_GT(ticks, 1);
}

TEST(supervisor_pacing, scans_are_due_after_a_change_or_at_a_deadline_and_not_in_between) {
    auto config = sleepers_app();
    config.roles[0].min = config.roles[0].max = 1;
    config.roles[0].options.ready_timeout = 60s;
    role_table roles{config.roles};
    supervisor s{config, roles, "ipc:///nowhere/broker.sock"};
    reaper cleanup{s};

    s.start_all();
    while (s.size() < 1)
        s.tick(clock::now());
    s.scanned();
    const auto now = clock::now();
    EXPECT_FALSE(s.scan_due(now)) << "nothing changed and nothing is due";
    auto next = s.next_deadline();
    ASSERT_TRUE(next) << "the worker's ready_timeout";
    EXPECT_GT(*next, now + 50s);
    EXPECT_TRUE(s.scan_due(*next));

    const auto pid = s.children().begin()->first;
    s.retire(pid, now + 2s);
    EXPECT_TRUE(s.scan_due(now)) << "a change makes a scan due";
    s.scanned();
    EXPECT_FALSE(s.scan_due(now));
    EXPECT_TRUE(s.scan_due(now + 2s)) << "the retired worker's deadline";
    EXPECT_EQ(s.overdue(now + 2s), std::vector<pid_t>{pid});
}

}  // namespace
}  // namespace mob::detail
