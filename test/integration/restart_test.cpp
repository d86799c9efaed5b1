// Restarts with back-off and restart policies, with real processes: a worker that ends
// soon after it starts (or before it is ready) comes back after growing delays, one
// that stayed up comes back at once, and a role's policy (permanent, transient,
// temporary, exit codes that mean "do not restart") decides whether it comes back.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>

#include <mob/app.hpp>
#include <mob/control.hpp>

#include <zmq.hpp>
#include <zmq_addon.hpp>

#include "cluster.hpp"
#include "control_client.hpp"

namespace mob::test {
namespace {

using steady = std::chrono::steady_clock;

const std::regex ready_crashy{"ready: crashy worker pid (\\d+)"};

/// One "died" line of the kingpin: the pid, how it ended, and what comes next.
struct death {
    pid_t pid = 0;
    std::string line;
    long delay_ms = -1;  ///< "restarting it in N ms"; -1 otherwise
    steady::time_point seen;
};

/// Waits for the next "crashy worker pid N died" line from line `from` on.
std::optional<death> next_death(cluster& c, std::size_t& from,
                                std::chrono::milliseconds timeout = 10s) {
    auto at = c.kingpin().wait_for(std::regex{"crashy worker pid \\d+ died: "}, timeout, from);
    if (!at)
        return std::nullopt;
    death d;
    d.seen = steady::now();
    d.line = c.kingpin().line(*at);
    from = *at + 1;
    std::smatch m;
    if (std::regex_search(d.line, m, std::regex{"pid (\\d+) died"}))
        d.pid = std::stoi(m[1]);
    if (std::regex_search(d.line, m, std::regex{"restarting it in (\\d+) ms"}))
        d.delay_ms = std::stol(m[1]);
    return d;
}

/// Waits for a crashy worker to be ready (from line `from` on); returns its pid.
std::optional<pid_t> next_ready(cluster& c, std::size_t from,
                                std::chrono::milliseconds timeout = 10s) {
    auto at = c.kingpin().wait_for(ready_crashy, timeout, from);
    if (!at)
        return std::nullopt;
    std::smatch m;
    auto line = c.kingpin().line(*at);
    std::regex_search(line, m, ready_crashy);
    return std::stoi(m[1]);
}

control::role_status role_status(const cluster& c, const std::string& role) {
    auto s = control::from_json<control::app_status>(ask(c, "status"));
    for (const auto& r : s.roles) {
        if (r.name == role)
            return r;
    }
    ADD_FAILURE() << "no role " << role << " in the status";
    return {};
}

/// A round trip through the kingpin's broker: everything it logged before is logged.
void round_trip(probe& p, int value) {
    p.w().any("back").send("probe", value);
    EXPECT_EQ(acks_for(p.wait_acks_until(
                           [&](const auto& acks) { return !acks_for(acks, value).empty(); }),
                       value)
                  .size(),
              1u);
}

std::size_t starts_of_crashy(cluster& c, std::size_t from = 0) {
    return c.kingpin().matches(std::regex{"EVENT (start|crash_at_start) crashy"}, from).size();
}

TEST(restart, a_worker_that_crashes_at_start_comes_back_after_growing_delays_without_spinning) {
    cluster c{{{"TEST_BACK", "1"}, {"TEST_FRONT", "1"}, {"TEST_CRASHY", "1"}}};
    std::size_t from = 0;
    std::vector<death> deaths;
    for (int i = 0; i < 5; ++i) {
        auto d = next_death(c, from);
        ASSERT_TRUE(d) << "death " << i << " never came\n" << c.kingpin().output();
        deaths.push_back(*d);
    }
    for (std::size_t i = 0; i < deaths.size(); ++i) {
        const auto& d = deaths[i];
        SCOPED_TRACE(d.line);
        EXPECT_NE(d.line.find("died: exit code 1; restarting it in"), std::string::npos);
        ASSERT_GT(d.delay_ms, 0);
        // 100 ms doubling, +-20% jitter.
        double nominal = 100.0 * static_cast<double>(1 << i);
        EXPECT_GE(static_cast<double>(d.delay_ms), 0.8 * nominal - 1);
        EXPECT_LE(static_cast<double>(d.delay_ms), 1.2 * nominal + 1);
        EXPECT_NE(
            d.line.find(fmt::format("({} death{} in the last minute", i + 1, i == 0 ? "" : "s")),
            std::string::npos);
        // The third quick end in a row makes a crash loop (crash_loop_after = 3).
        EXPECT_EQ(d.line.find("crash loop") != std::string::npos, i >= 2);
        if (i > 0) {
            EXPECT_GE(static_cast<double>(d.delay_ms),
                      1.3 * static_cast<double>(deaths[i - 1].delay_ms));
            // It did wait that long before starting the next one.
            EXPECT_GE(d.seen - deaths[i - 1].seen,
                      std::chrono::milliseconds{deaths[i - 1].delay_ms - 5});
        }
    }
    // Five starts in all, not a CPU-spinning stream of them.
    EXPECT_EQ(starts_of_crashy(c), 5u) << c.kingpin().output();

    // The kingpin still routes and answers meanwhile.
    probe p{c};
    ASSERT_TRUE(p.w().wait_until_welcomed(5s));
    round_trip(p, 7);
    auto crashy = role_status(c, "crashy");
    EXPECT_GE(crashy.restarts, 5u);
    EXPECT_LE(crashy.restarts, 6u);
    EXPECT_EQ(crashy.target, 1u);

    // A restart scheduled 1.6 s away does not hold up a stop.
    c.kingpin().signal(SIGTERM);
    auto status = c.kingpin().wait_exit(5s);
    ASSERT_TRUE(status) << c.kingpin().output();
    EXPECT_TRUE(WIFEXITED(*status) && WEXITSTATUS(*status) == 0) << c.kingpin().output();
}

TEST(restart, the_back_off_starts_again_once_a_worker_has_stayed_up) {
    temp_dir counter;
    cluster c{{{"TEST_BACK", "1"},
               {"TEST_FRONT", "1"},
               {"TEST_CRASHY", "1"},
               {"TEST_CRASH_FIRST", "3"},
               {"TEST_CRASH_DIR", counter.path()},
               {"TEST_CRASHY_MIN_UPTIME_MS", "300"}}};
    std::size_t from = 0;
    long last_delay = 0;
    for (int i = 0; i < 3; ++i) {
        auto d = next_death(c, from);
        ASSERT_TRUE(d) << c.kingpin().output();
        EXPECT_GT(d->delay_ms, last_delay) << d->line;
        last_delay = d->delay_ms;
    }
    auto pid = next_ready(c, from);
    ASSERT_TRUE(pid) << c.kingpin().output();
    auto reset = c.kingpin().wait_for(
        std::regex{fmt::format("crashy worker pid {} has stayed up \\d+ ms after 3 quick ends in a "
                               "row: its back-off starts again from 100 ms",
                               *pid)},
        5s, from);
    ASSERT_TRUE(reset) << c.kingpin().output();

    // Up for min_uptime: killed, it comes back at once.
    from = *reset;
    ASSERT_EQ(::kill(*pid, SIGKILL), 0);
    auto d = next_death(c, from);
    ASSERT_TRUE(d) << c.kingpin().output();
    EXPECT_NE(
        d->line.find(fmt::format("crashy worker pid {} died: signal SIGKILL; reviving it", *pid)),
        std::string::npos)
        << d->line;
    auto again = next_ready(c, from);
    ASSERT_TRUE(again) << c.kingpin().output();

    // Killed before min_uptime, the next one waits, from the start of the back-off again.
    ASSERT_EQ(::kill(*again, SIGKILL), 0);
    d = next_death(c, from);
    ASSERT_TRUE(d) << c.kingpin().output();
    EXPECT_EQ(d->pid, *again);
    EXPECT_GE(d->delay_ms, 80) << d->line;
    EXPECT_LE(d->delay_ms, 120) << d->line;
    EXPECT_EQ(d->line.find("crash loop"), std::string::npos) << d->line;
    EXPECT_TRUE(next_ready(c, from)) << c.kingpin().output();
}

/// A cluster with one crashy worker that does not crash by itself, with `env` added.
struct policy_cluster {
    explicit policy_cluster(std::map<std::string, std::string> env)
        : c{[&] {
              env.insert({{"TEST_BACK", "1"},
                          {"TEST_FRONT", "1"},
                          {"TEST_CRASHY", "1"},
                          {"TEST_CRASH_FIRST", "0"},
                          {"TEST_CRASHY_MIN_UPTIME_MS", "0"}});
              return env;
          }()} {}
    cluster c;
};

/// Makes the ready crashy worker end (`end` does it), then returns its "died" line.
template <typename End>
std::optional<death> end_worker(cluster& c, std::size_t& from, End end) {
    auto pid = next_ready(c, from);
    if (!pid) {
        ADD_FAILURE() << "no crashy worker became ready\n" << c.kingpin().output();
        return std::nullopt;
    }
    from = c.kingpin().line_count();
    end(*pid);
    auto d = next_death(c, from);
    if (!d) {
        ADD_FAILURE() << "crashy worker " << *pid << " did not die\n" << c.kingpin().output();
        return std::nullopt;
    }
    EXPECT_EQ(d->pid, *pid);
    return d;
}

/// After a death that is not restarted: the role has nothing running nor wanted.
void expect_not_restarted(cluster& c, probe& p, std::size_t died_at) {
    round_trip(p, 99);
    auto crashy = role_status(c, "crashy");
    EXPECT_EQ(crashy.alive, 0u);
    EXPECT_EQ(crashy.target, 0u);
    EXPECT_EQ(starts_of_crashy(c, died_at), 0u) << c.kingpin().output();
}

TEST(restart, a_transient_role_comes_back_after_an_abnormal_end_but_not_after_exit_code_0) {
    policy_cluster pc{{{"TEST_RESTART", "transient"}}};
    auto& c = pc.c;
    probe p{c};
    ASSERT_TRUE(p.w().wait_until_welcomed(10s));
    std::size_t from = 0;
    auto d = end_worker(c, from, [&](pid_t pid) { p.w().pid(pid).send("exit_with", 1); });
    ASSERT_TRUE(d);
    EXPECT_NE(d->line.find("died: exit code 1; reviving it"), std::string::npos) << d->line;
    d = end_worker(c, from, [](pid_t pid) { ::kill(pid, SIGKILL); });
    ASSERT_TRUE(d);
    EXPECT_NE(d->line.find("died: signal SIGKILL; reviving it"), std::string::npos) << d->line;
    d = end_worker(c, from, [&](pid_t pid) { p.w().pid(pid).send("exit_with", 0); });
    ASSERT_TRUE(d);
    EXPECT_NE(d->line.find("died: exit code 0; not restarting it (a transient role that ended "
                           "normally)"),
              std::string::npos)
        << d->line;
    expect_not_restarted(c, p, from);
}

TEST(restart, a_temporary_role_never_comes_back) {
    policy_cluster pc{{{"TEST_RESTART", "temporary"}}};
    auto& c = pc.c;
    probe p{c};
    ASSERT_TRUE(p.w().wait_until_welcomed(10s));
    std::size_t from = 0;
    auto d = end_worker(c, from, [](pid_t pid) { ::kill(pid, SIGKILL); });
    ASSERT_TRUE(d);
    EXPECT_NE(d->line.find("died: signal SIGKILL; not restarting it (a temporary role)"),
              std::string::npos)
        << d->line;
    expect_not_restarted(c, p, from);
}

TEST(restart, an_exit_code_listed_in_no_restart_codes_is_not_restarted) {
    policy_cluster pc{{{"TEST_NO_RESTART_CODES", "42,43"}}};
    auto& c = pc.c;
    probe p{c};
    ASSERT_TRUE(p.w().wait_until_welcomed(10s));
    std::size_t from = 0;
    auto d = end_worker(c, from, [&](pid_t pid) { p.w().pid(pid).send("exit_with", 1); });
    ASSERT_TRUE(d);
    EXPECT_NE(d->line.find("died: exit code 1; reviving it"), std::string::npos) << d->line;
    d = end_worker(c, from, [&](pid_t pid) { p.w().pid(pid).send("exit_with", 42); });
    ASSERT_TRUE(d);
    EXPECT_NE(d->line.find("died: exit code 42; not restarting it (exit code 42 means do not "
                           "restart)"),
              std::string::npos)
        << d->line;
    expect_not_restarted(c, p, from);
}

TEST(restart, scheduled_restarts_count_toward_the_target_when_scaling) {
    // Every start crashes, and the back-off is a minute: restarts stay scheduled.
    cluster c{{{"TEST_BACK", "1"},
               {"TEST_FRONT", "1"},
               {"TEST_CRASHY", "1"},
               {"TEST_CRASHY_MAX", "3"},
               {"TEST_BACKOFF_INITIAL_MS", "60000"},
               {"TEST_BACKOFF_MAX_MS", "60000"}}};
    std::size_t from = 0;
    auto d = next_death(c, from);
    ASSERT_TRUE(d) << c.kingpin().output();
    EXPECT_GE(d->delay_ms, 48000) << d->line;
    auto scale = [&](std::uint32_t n) {
        ask(c, "scale", control::to_json(control::scale_request{"crashy", n}));
    };
    // To 2: one more starts now (the scheduled one counts), and crashes too.
    scale(2);
    ASSERT_TRUE(next_death(c, from)) << c.kingpin().output();
    EXPECT_EQ(starts_of_crashy(c), 2u);
    // Down to 1 drops a scheduled restart; back up to 2 starts exactly one.
    scale(1);
    scale(2);
    ASSERT_TRUE(next_death(c, from)) << c.kingpin().output();
    EXPECT_EQ(starts_of_crashy(c), 3u) << c.kingpin().output();
    auto crashy = role_status(c, "crashy");
    EXPECT_EQ(crashy.target, 2u);
    EXPECT_EQ(crashy.alive, 0u);
}

std::string refusal(const role_options& o) {
    try {
        app{"a"}
            .role(
                "x", [](worker&) {}, o)
            .validate();
    } catch (const mob::error& e) {
        return e.what();
    }
    return "";
}

TEST(restart, restart_options_out_of_range_are_refused_with_the_role_named) {
    using ms = std::chrono::milliseconds;
    EXPECT_EQ(refusal({.workers = 2,
                       .restart = restart_policy::transient,
                       .no_restart_codes = {0, 42},
                       .min_uptime = ms{0},
                       .backoff_initial = ms{1},
                       .backoff_max = ms{1}}),
              "");
    EXPECT_NE(refusal({.no_restart_codes = {256}}).find("role 'x': no_restart_codes holds 256"),
              std::string::npos);
    EXPECT_NE(refusal({.no_restart_codes = {-1}}).find("role 'x'"), std::string::npos);
    EXPECT_NE(refusal({.min_uptime = ms{-1}}).find("min_uptime"), std::string::npos);
    EXPECT_NE(refusal({.backoff_initial = ms{0}}).find("backoff_initial (0 ms) must be at least"),
              std::string::npos);
    EXPECT_NE(refusal({.backoff_initial = ms{500}, .backoff_max = ms{100}})
                  .find("backoff_max (100 ms) is below backoff_initial (500 ms)"),
              std::string::npos);
    EXPECT_NE(refusal({.crash_loop_after = 0}).find("crash_loop_after"), std::string::npos);
}

}  // namespace
}  // namespace mob::test
