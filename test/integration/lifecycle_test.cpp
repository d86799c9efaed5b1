// The readiness timeout (a worker not ready in time is killed and restarted with
// back-off, ready workers are left alone) and the app's on_full / on_death observers
// (they see every full and every death, and one that throws does not stop the kingpin).
#include <gtest/gtest.h>
#include <signal.h>

#include <mob/app.hpp>

#include "cluster.hpp"

namespace mob::test {
namespace {

void noop(worker&) {}

TEST(readiness, a_ready_timeout_that_is_not_positive_is_refused) {
    auto refusal = [](std::chrono::milliseconds t) -> std::string {
        try {
            app{"a"}.role("x", noop, {.ready_timeout = t}).validate();
        } catch (const mob::error& e) {
            return e.what();
        }
        return "";
    };
    EXPECT_NE(refusal(std::chrono::milliseconds{0}).find("role 'x': ready_timeout (0 ms)"),
              std::string::npos);
    EXPECT_NE(refusal(std::chrono::milliseconds{-5}), "");
    EXPECT_EQ(refusal(std::chrono::milliseconds{1}), "");
}

TEST(readiness, a_worker_not_ready_in_time_is_killed_and_restarted_with_growing_back_off) {
    temp_dir dir;
    // Long enough for a worker to start on a loaded machine, or under a sanitizer.
    const std::string ready_ms = load_divisor() > 1 ? "3000" : "1000";
    cluster c{{{"TEST_BACK", "2"},
               {"TEST_FRONT", "1"},
               {"TEST_CRASHY", "1"},
               {"TEST_CRASH_HOW", "hang"},
               {"TEST_CRASH_FIRST", "3"},
               {"TEST_CRASH_DIR", dir.path()},
               {"TEST_READY_TIMEOUT_MS", ready_ms},
               {"TEST_BACKOFF_INITIAL_MS", "100"}}};
    ASSERT_TRUE(
        c.kingpin().wait_for_count(std::regex{"ready: (back|front) worker pid \\d+"}, 3, 20s))
        << c.kingpin().output();
    auto backs = c.ready_pids("back");
    auto fronts = c.ready_pids("front");
    std::size_t from = 0;
    std::vector<long> delays;
    for (int i = 0; i < 3; ++i) {
        auto killed = c.kingpin().wait_for(
            std::regex{"crashy worker pid (\\d+) not ready after " + ready_ms + " ms: killing it"},
            10s, from);
        ASSERT_TRUE(killed) << "kill " << i << " never came\n" << c.kingpin().output();
        std::smatch m;
        auto line = c.kingpin().line(*killed);
        ASSERT_TRUE(std::regex_search(line, m, std::regex{"pid (\\d+)"}));
        auto pid = m[1].str();
        auto died =
            c.kingpin().wait_for(std::regex{"crashy worker pid " + pid +
                                            " died: signal SIGKILL; restarting it in (\\d+) ms"},
                                 5s, *killed);
        ASSERT_TRUE(died) << c.kingpin().output();
        line = c.kingpin().line(*died);
        ASSERT_TRUE(std::regex_search(line, m, std::regex{"in (\\d+) ms"}));
        delays.push_back(std::stol(m[1]));
        EXPECT_TRUE(c.kingpin().wait_for(
            std::regex{"crash report: crashy worker pid " + pid +
                       ": signal SIGKILL \\(killed: not ready after " + ready_ms + " ms\\)"},
            1s, *killed))
            << c.kingpin().output();
        from = *died + 1;
    }
    // 100, 200, 400 ms, +-20%: each longer than the one before.
    EXPECT_LT(delays[0], delays[1]);
    EXPECT_LT(delays[1], delays[2]);
    EXPECT_GE(delays[0], 80);
    // The fourth start is ready in time, and stays.
    ASSERT_TRUE(c.wait_full(10s, from)) << c.kingpin().output();
    EXPECT_EQ(c.kingpin().matches(std::regex{"not ready after \\d+ ms: killing"}, from).size(), 0u);
    // Ready workers were never touched.
    EXPECT_TRUE(
        c.kingpin().matches(std::regex{"(back|front) worker pid \\d+ (died|not ready)"}).empty())
        << c.kingpin().output();
    EXPECT_EQ(c.ready_pids("back"), backs);
    EXPECT_EQ(c.ready_pids("front"), fronts);
}

/// The number of "EVENT observer full" lines from line `from` on.
std::size_t fulls(cluster& c, std::size_t from = 0) {
    return c.kingpin().matches(std::regex{"EVENT observer full"}, from).size();
}

TEST(observers, on_full_and_on_death_see_each_full_and_each_death) {
    cluster c{{{"TEST_BACK", "2"}, {"TEST_FRONT", "1"}, {"TEST_OBSERVERS", "1"}}};
    ASSERT_TRUE(c.wait_full()) << c.kingpin().output();
    ASSERT_TRUE(c.kingpin().wait_for(std::regex{"EVENT observer full"}, 5s))
        << c.kingpin().output();
    EXPECT_EQ(fulls(c), 1u);

    auto backs = c.ready_pids("back");
    auto victim = *backs.begin();
    auto mark = c.kingpin().line_count();
    ASSERT_EQ(::kill(victim, SIGKILL), 0);
    auto death = c.kingpin().wait_for(
        std::regex{fmt::format(
            "EVENT observer death role=back pid={} deaths=1 exit=- signal={} name=SIGKILL "
            "restart=yes in=0 why_not=- report=back worker pid {}: signal SIGKILL$",
            victim, SIGKILL, victim)},
        5s, mark);
    ASSERT_TRUE(death) << c.kingpin().output();
    ASSERT_TRUE(c.kingpin().wait_for(std::regex{"EVENT observer full"}, 10s, *death))
        << c.kingpin().output();

    // A second death of the role: counted, with its exit code.
    probe p{c};
    ASSERT_TRUE(p.w().wait_until_welcomed(20s));
    auto second = *std::next(backs.begin());
    mark = c.kingpin().line_count();
    p.w().pid(second).send("exit_with", 5);
    death = c.kingpin().wait_for(
        std::regex{fmt::format("EVENT observer death role=back pid={} deaths=2 exit=5 signal=- "
                               "name=- restart=yes in=0 why_not=- report=back worker pid {}: "
                               "exit code 5$",
                               second, second)},
        5s, mark);
    ASSERT_TRUE(death) << c.kingpin().output();
    EXPECT_TRUE(c.kingpin().wait_for(std::regex{"EVENT observer full"}, 10s, *death))
        << c.kingpin().output();
}

TEST(observers, an_observer_that_throws_is_logged_and_the_kingpin_carries_on) {
    cluster c{{{"TEST_BACK", "2"}, {"TEST_FRONT", "1"}, {"TEST_OBSERVERS", "throw"}}};
    ASSERT_TRUE(c.wait_full()) << c.kingpin().output();
    ASSERT_TRUE(c.kingpin().wait_for(
        std::regex{"the app's on_full observer threw std::runtime_error: the full observer "
                   "fails \\(ignored\\)"},
        5s))
        << c.kingpin().output();
    auto victim = *c.ready_pids("back").begin();
    auto mark = c.kingpin().line_count();
    ASSERT_EQ(::kill(victim, SIGKILL), 0);
    auto threw = c.kingpin().wait_for(
        std::regex{"the app's on_death observer threw testapp::disk_full: the death observer "
                   "fails \\(ignored\\)"},
        5s, mark);
    ASSERT_TRUE(threw) << c.kingpin().output();
    // The dead worker is still replaced, and the broker still routes.
    ASSERT_TRUE(c.wait_full(10s, *threw)) << c.kingpin().output();
    EXPECT_TRUE(eventually([&] { return c.ready_pids("back").size() == 2; }, 5s));
    probe p{c};
    ASSERT_TRUE(p.w().wait_until_welcomed(20s));
    p.w().any("back").send("probe", 4);
    EXPECT_EQ(acks_for(p.wait_acks(1), 4).size(), 1u) << c.kingpin().output();
    EXPECT_TRUE(process_alive(c.kingpin().pid()));
}

}  // namespace
}  // namespace mob::test
