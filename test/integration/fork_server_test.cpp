// The fork server (app::fork_server): workers of the test app forked by one server that
// ran main() once, revived and reloaded through it, and started by exec, with the
// reason said, when it cannot be used.
#include <gtest/gtest.h>
#include <signal.h>

#include <fstream>

#include "cluster.hpp"
#include "status_query.hpp"

namespace mob::test {
namespace {

constexpr std::size_t workers = 6;  // the test app's 4 back and 2 front

/// The pids in TEST_MAIN_LOG: one for each time main() ran.
std::vector<pid_t> mains(const std::string& file) {
    std::vector<pid_t> pids;
    std::ifstream in{file};
    std::string word;
    pid_t pid = 0;
    while (in >> word >> pid)
        pids.push_back(pid);
    return pids;
}

pid_t parent_of(pid_t pid) {
    std::ifstream in{fmt::format("/proc/{}/stat", pid)};
    std::string stat{std::istreambuf_iterator<char>{in}, std::istreambuf_iterator<char>{}};
    auto close = stat.rfind(')');
    if (close == std::string::npos)
        return 0;
    std::istringstream rest{stat.substr(close + 2)};
    char state = 0;
    pid_t ppid = 0;
    rest >> state >> ppid;
    return ppid;
}

std::string title_of(pid_t pid) {
    std::ifstream in{fmt::format("/proc/{}/cmdline", pid)};
    std::string all{std::istreambuf_iterator<char>{in}, std::istreambuf_iterator<char>{}};
    return all.substr(0, all.find('\0'));
}

control::fork_server_status forks_of(const cluster& c) {
    auto s = status_of(c.runtime_dir());
    EXPECT_TRUE(s.has_value());
    return s ? s->fork_server : control::fork_server_status{};
}

/// The status once the server says it is ready: on a loaded machine it may still be
/// loading when the first workers start (they are exec'd meanwhile).
control::fork_server_status ready_forks_of(const cluster& c) {
    control::fork_server_status f;
    EXPECT_TRUE(eventually(
        [&] {
            f = forks_of(c);
            return f.state == "ready";
        },
        10s))
        << f.state << ": " << f.note;
    return f;
}

std::set<pid_t> all_workers(const cluster& c) {
    auto pids = c.ready_pids("back");
    for (auto p : c.ready_pids("front"))
        pids.insert(p);
    return pids;
}

class fork_server : public ::testing::Test {
  protected:
    std::map<std::string, std::string> env(std::map<std::string, std::string> more = {}) {
        more.emplace("TEST_MAIN_LOG", main_log());
        return more;
    }
    std::string main_log() const { return dir_.path() + "/mains"; }

    temp_dir dir_;
};

TEST_F(fork_server, forks_the_workers_which_run_main_only_in_the_server_and_are_the_kingpins) {
    cluster c{env()};
    ASSERT_TRUE(c.wait_full()) << c.kingpin().output();
    auto f = forks_of(c);
    EXPECT_EQ(f.state, "ready") << f.note;
    EXPECT_GT(f.pid, 0);
    // A worker started while the server loaded (a loaded machine) is exec'd: it runs
    // main() too. Every other one is forked and does not.
    EXPECT_GT(f.forked, 0u);
    EXPECT_EQ(f.forked + f.execs, workers);
    EXPECT_EQ(mains(main_log()).size(), 2 + f.execs);  // the kingpin's, the server's
    EXPECT_EQ(parent_of(static_cast<pid_t>(f.pid)), c.kingpin().pid());
    EXPECT_EQ(title_of(static_cast<pid_t>(f.pid)), "testapp (fork server) " MOB_TEST_APP);
    for (pid_t w : all_workers(c))
        EXPECT_EQ(parent_of(w), c.kingpin().pid()) << "worker " << w;
    // Its title written over the server's, whose area it shares.
    for (pid_t w : c.ready_pids("back"))
        EXPECT_EQ(title_of(w), "testapp - back (mobster) " MOB_TEST_APP) << "worker " << w;
    // They answer calls, with the environment the kingpin gave them.
    probe p{c};
    ASSERT_TRUE(p.w().wait_until_welcomed(20s));
    auto back = p.w().require("back");
    for (int i = 0; i < 8; ++i) {
        EXPECT_EQ(back.call<std::string>("getenv", std::string{"TEST_MAIN_LOG"}).value(5s),
                  main_log());
    }
}

TEST_F(fork_server, revives_a_killed_worker_by_fork) {
    cluster c{env()};
    ASSERT_TRUE(c.wait_full()) << c.kingpin().output();
    const auto before = ready_forks_of(c);
    const auto ran_main = mains(main_log()).size();
    const pid_t victim = *c.ready_pids("back").begin();
    const auto mark = c.kingpin().line_count();
    ASSERT_EQ(::kill(victim, SIGKILL), 0);
    auto died = c.kingpin().wait_for(
        std::regex{fmt::format("back worker pid {} died: signal SIGKILL", victim)}, 5s, mark);
    ASSERT_TRUE(died) << c.kingpin().output();
    ASSERT_TRUE(c.wait_full(10s, *died)) << c.kingpin().output();
    const auto after = forks_of(c);
    EXPECT_EQ(after.forked, before.forked + 1);
    EXPECT_EQ(after.execs, before.execs);
    EXPECT_EQ(mains(main_log()).size(), ran_main);
    for (pid_t w : c.ready_pids("back"))
        EXPECT_EQ(parent_of(w), c.kingpin().pid()) << "worker " << w;
}

TEST_F(fork_server, a_reload_starts_a_new_server_from_the_program_file) {
    cluster c{env()};
    ASSERT_TRUE(c.wait_full()) << c.kingpin().output();
    const auto before = ready_forks_of(c);
    ASSERT_GT(before.pid, 0);
    const auto mark = c.kingpin().line_count();
    c.kingpin().signal(SIGHUP);
    ASSERT_TRUE(c.kingpin().wait_for(std::regex{"reload: done"}, 60s, mark))
        << c.kingpin().output();
    const auto after = ready_forks_of(c);
    EXPECT_NE(after.pid, before.pid);
    EXPECT_TRUE(wait_process_gone(static_cast<pid_t>(before.pid), 5s));
    EXPECT_GE(after.forked, before.forked + workers - 1);  // one may be exec'd meanwhile
}

TEST_F(fork_server, a_killed_server_leaves_the_workers_running_and_later_ones_start_by_exec) {
    cluster c{env()};
    ASSERT_TRUE(c.wait_full()) << c.kingpin().output();
    const auto before = ready_forks_of(c);
    ASSERT_GT(before.pid, 0);
    const auto running = all_workers(c);
    auto mark = c.kingpin().line_count();
    ASSERT_EQ(::kill(static_cast<pid_t>(before.pid), SIGKILL), 0);
    ASSERT_TRUE(c.kingpin().wait_for(
        std::regex{fmt::format("fork server pid {}: it ended \\(signal SIGKILL\\); workers "
                               "start by exec",
                               before.pid)},
        5s, mark))
        << c.kingpin().output();
    for (pid_t w : running)
        EXPECT_TRUE(process_alive(w)) << "worker " << w;
    EXPECT_EQ(forks_of(c).state, "unused");

    const pid_t victim = *c.ready_pids("back").begin();
    mark = c.kingpin().line_count();
    ASSERT_EQ(::kill(victim, SIGKILL), 0);
    auto died = c.kingpin().wait_for(std::regex{fmt::format("pid {} died", victim)}, 5s, mark);
    ASSERT_TRUE(died) << c.kingpin().output();
    ASSERT_TRUE(c.wait_full(10s, *died)) << c.kingpin().output();
    const auto after = forks_of(c);
    EXPECT_EQ(after.execs, before.execs + 1);
    EXPECT_EQ(after.forked, before.forked);
}

TEST_F(fork_server, ends_with_the_app_without_a_warning) {
    cluster c{env()};
    ASSERT_TRUE(c.wait_full()) << c.kingpin().output();
    const auto forks = ready_forks_of(c);
    ASSERT_GT(forks.pid, 0);
    // As Ctrl-C in a terminal does: the signal reaches the whole process group, so the
    // server ends by it too, while the kingpin stops.
    ASSERT_EQ(::kill(-c.kingpin().pid(), SIGTERM), 0);
    ASSERT_TRUE(c.kingpin().wait_exit(10s)) << c.kingpin().output();
    EXPECT_FALSE(process_alive(static_cast<pid_t>(forks.pid)));
    // Its end is part of the stop, not news that workers now start by exec.
    EXPECT_EQ(c.kingpin().output().find("fork server pid"), std::string::npos)
        << c.kingpin().output();
}

TEST_F(fork_server, declines_a_program_that_runs_a_thread_before_run_and_workers_start_by_exec) {
    cluster c{env({{"TEST_THREAD_BEFORE_RUN", "1"}})};
    ASSERT_TRUE(c.wait_full()) << c.kingpin().output();
    EXPECT_TRUE(c.kingpin().wait_for(
        std::regex{"fork server pid \\d+: declined: the program runs 2 threads before app.run"},
        1s))
        << c.kingpin().output();
    auto f = forks_of(c);
    EXPECT_EQ(f.state, "unused");
    EXPECT_NE(f.note.find("threads before app.run()"), std::string::npos) << f.note;
    EXPECT_EQ(f.forked, 0u);
    EXPECT_EQ(f.execs, workers);
    EXPECT_EQ(mains(main_log()).size(), 2 + workers);
}

TEST_F(fork_server, is_off_with_app_fork_server_false_or_mob_fork_server_0) {
    for (auto off : {std::pair{"TEST_FORK_SERVER", "0"}, std::pair{"MOB_FORK_SERVER", "0"}}) {
        std::remove(main_log().c_str());
        cluster c{env({{off.first, off.second}})};
        ASSERT_TRUE(c.wait_full()) << c.kingpin().output();
        auto f = forks_of(c);
        EXPECT_EQ(f.state, "off") << off.first;
        EXPECT_EQ(f.execs, workers);
        EXPECT_EQ(mains(main_log()).size(), 1 + workers) << off.first;
    }
}

TEST_F(fork_server, a_bad_mob_fork_server_value_is_a_set_up_error) {
    cluster c{env({{"MOB_FORK_SERVER", "yes"}})};
    auto status = c.kingpin().wait_exit(10s);
    ASSERT_TRUE(status.has_value());
    EXPECT_EQ(WEXITSTATUS(*status), 2);
    EXPECT_TRUE(c.kingpin().wait_for(std::regex{"MOB_FORK_SERVER must be 0 or 1, not 'yes'"}, 1s))
        << c.kingpin().output();
}

}  // namespace
}  // namespace mob::test
