// The kingpin keeps the cluster running: revives the dead, stops cleanly, refuses bad
// configurations before it spawns anything, and never lets a worker outlive it.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>

#include <filesystem>
#include <fstream>

#include "cluster.hpp"

namespace mob::test {
namespace {

std::string read_file(const std::string& path) {
    std::ifstream in{path};
    return {std::istreambuf_iterator<char>{in}, std::istreambuf_iterator<char>{}};
}

std::set<pid_t> all_workers(const cluster& c) {
    auto pids = c.ready_pids("back");
    for (auto p : c.ready_pids("front"))
        pids.insert(p);
    return pids;
}

TEST(supervision, a_worker_killed_with_sigkill_is_revived_and_the_role_is_whole_within_a_second) {
    cluster c;
    ASSERT_TRUE(c.wait_full()) << c.kingpin().output();
    auto victim = *c.ready_pids("back").begin();
    auto mark = c.kingpin().line_count();
    auto killed_at = std::chrono::steady_clock::now();
    ASSERT_EQ(::kill(victim, SIGKILL), 0);
    auto died = c.kingpin().wait_for(
        std::regex{fmt::format("back worker pid {} died: signal SIGKILL", victim)}, 1s, mark);
    ASSERT_TRUE(died) << c.kingpin().output();
    ASSERT_TRUE(c.wait_full(1s, *died)) << c.kingpin().output();
    EXPECT_LT(std::chrono::steady_clock::now() - killed_at, 1s);
    auto backs = c.ready_pids("back");
    EXPECT_EQ(backs.size(), 4u);
    EXPECT_EQ(backs.count(victim), 0u);
}

TEST(supervision, the_kingpin_logs_the_exit_code_or_signal_of_a_dead_worker_and_revives_it) {
    cluster c;
    ASSERT_TRUE(c.wait_full()) << c.kingpin().output();
    probe p{c};
    auto backs = c.ready_pids("back");
    auto first = *backs.begin();
    auto second = *std::next(backs.begin());
    auto mark = c.kingpin().line_count();
    p.w().pid(first).send("crash", std::string{"exit"});
    p.w().pid(second).send("crash", std::string{"abort"});
    EXPECT_TRUE(c.kingpin().wait_for(
        std::regex{fmt::format("back worker pid {} died: exit code 3; reviving it", first)}, 5s,
        mark))
        << c.kingpin().output();
    EXPECT_TRUE(c.kingpin().wait_for(
        std::regex{fmt::format("back worker pid {} died: signal SIGABRT; reviving it", second)}, 5s,
        mark))
        << c.kingpin().output();
    EXPECT_TRUE(eventually([&] { return c.ready_pids("back").size() == 4; }, 5s));
}

void expect_clean_stop(int sig) {
    cluster c;
    ASSERT_TRUE(c.wait_full()) << c.kingpin().output();
    auto workers = all_workers(c);
    ASSERT_EQ(workers.size(), 6u);
    auto app_dir = c.runtime_dir() + "/testapp";
    ASSERT_TRUE(std::filesystem::exists(app_dir + "/broker.sock"));
    c.kingpin().signal(sig);
    auto status = c.kingpin().wait_exit(5s);
    ASSERT_TRUE(status) << "the kingpin did not exit\n" << c.kingpin().output();
    EXPECT_TRUE(WIFEXITED(*status) && WEXITSTATUS(*status) == 0) << c.kingpin().output();
    for (auto pid : workers)
        EXPECT_TRUE(wait_process_gone(pid, 1s)) << "worker " << pid << " outlived the kingpin";
    EXPECT_FALSE(std::filesystem::exists(app_dir)) << "the runtime directory was left behind";
}

TEST(supervision, sigterm_stops_every_worker_and_exits_zero_leaving_nothing_behind) {
    expect_clean_stop(SIGTERM);
}

TEST(supervision, sigint_stops_every_worker_and_exits_zero_leaving_nothing_behind) {
    expect_clean_stop(SIGINT);
}

TEST(supervision, workers_never_outlive_a_kingpin_killed_with_sigkill) {
    cluster c;
    ASSERT_TRUE(c.wait_full()) << c.kingpin().output();
    auto workers = all_workers(c);
    c.kingpin().signal(SIGKILL);
    ASSERT_TRUE(c.kingpin().wait_exit(2s));
    for (auto pid : workers)
        EXPECT_TRUE(wait_process_gone(pid, 2s)) << "worker " << pid << " outlived the kingpin";
}

TEST(supervision, process_titles_name_the_app_and_the_role) {
    cluster c;
    ASSERT_TRUE(c.wait_full()) << c.kingpin().output();
    auto kp = std::to_string(c.kingpin().pid());
    auto cmdline = read_file("/proc/" + kp + "/cmdline");
    // The title, then the command line (for pgrep -f).
    EXPECT_EQ(cmdline.substr(0, cmdline.find('\0')), "testapp (kingpin) " MOB_TEST_APP);
    EXPECT_EQ(read_file("/proc/" + kp + "/comm"), "testapp (kingpi\n");  // 15 bytes
    auto back = std::to_string(*c.ready_pids("back").begin());
    cmdline = read_file("/proc/" + back + "/cmdline");
    EXPECT_EQ(cmdline.substr(0, cmdline.find('\0')), "testapp - back (mobster) " MOB_TEST_APP);
    EXPECT_EQ(read_file("/proc/" + back + "/comm"), "testapp - back \n");
}

void expect_refused(const std::string& config, const std::string& message) {
    temp_dir dir;
    child_process kingpin{{MOB_TEST_APP},
                          {{"MOB_RUNTIME_DIR", dir.path()}, {"TEST_CONFIG", config}}};
    auto status = kingpin.wait_exit(5s);
    ASSERT_TRUE(status) << kingpin.output();
    EXPECT_TRUE(WIFEXITED(*status) && WEXITSTATUS(*status) == 2) << kingpin.output();
    EXPECT_TRUE(kingpin.wait_for(std::regex{message}, 1s)) << kingpin.output();
    EXPECT_TRUE(kingpin.matches(std::regex{"EVENT start"}).empty()) << "spawned before refusing";
}

TEST(supervision, a_role_declared_twice_is_refused_before_anything_is_spawned) {
    expect_refused("duplicate", "role 'back' is declared twice");
}
TEST(supervision, a_bad_role_name_is_refused_before_anything_is_spawned) {
    expect_refused("bad_name", "role name 'no spaces' is not valid");
}
TEST(supervision, a_zero_worker_count_is_refused_before_anything_is_spawned) {
    expect_refused("zero", "role 'none': workers must be at least 1");
}
TEST(supervision, min_above_max_is_refused_before_anything_is_spawned) {
    expect_refused("min_above_max", "role 'range': max \\(2\\) is below min \\(3\\)");
}

TEST(supervision, a_role_can_be_another_program_that_links_libmob_worker) {
    cluster c{{{"TEST_EXEC", MOB_EXEC_WORKER}}};
    ASSERT_TRUE(c.wait_full()) << c.kingpin().output();
    EXPECT_TRUE(
        c.kingpin().wait_for_count(std::regex{"EVENT start ext \\d+ exec from-the-kingpin"}, 2, 5s))
        << c.kingpin().output();
    probe p{c};
    ASSERT_TRUE(p.w().wait_until_welcomed(20s));
    auto ext = p.w().require("ext");
    EXPECT_EQ(ext.call<std::string>("tag").value(5s), "from-the-kingpin");
    auto pid = ext.call<std::int64_t>("whoami").value(5s);
    EXPECT_EQ(c.ready_pids("ext").count(static_cast<pid_t>(pid)), 1u);
    // Revived like any other worker.
    auto mark = c.kingpin().line_count();
    ASSERT_EQ(::kill(static_cast<pid_t>(pid), SIGKILL), 0);
    EXPECT_TRUE(c.kingpin().wait_for(
        std::regex{fmt::format("ext worker pid {} died: signal SIGKILL", pid)}, 5s, mark));
    EXPECT_TRUE(c.wait_full(10s, mark)) << c.kingpin().output();
}

TEST(supervision, a_second_kingpin_of_the_same_app_is_refused) {
    cluster c;
    ASSERT_TRUE(c.wait_full()) << c.kingpin().output();
    child_process second{{MOB_TEST_APP}, {{"MOB_RUNTIME_DIR", c.runtime_dir()}}};
    auto status = second.wait_exit(5s);
    ASSERT_TRUE(status) << second.output();
    EXPECT_TRUE(WIFEXITED(*status) && WEXITSTATUS(*status) == 2);
    EXPECT_TRUE(second.wait_for(
        std::regex{fmt::format("another kingpin of app 'testapp' \\(pid {}\\)", c.kingpin().pid())},
        1s))
        << second.output();
    // The first one is untouched: its socket still routes.
    probe p{c};
    ASSERT_TRUE(p.w().wait_until_welcomed(20s));
    p.w().any("back").send("probe", 9);
    EXPECT_EQ(acks_for(p.wait_acks(1), 9).size(), 1u);
}

}  // namespace
}  // namespace mob::test
