// Reload deploys (issue 12): a reload starts its replacements from the program file as
// it is on disk now, so replacing the file and reloading runs the new code, under load,
// with not one failed call; --same-binary (and a worker revived before any reload) keep
// the image that runs; a program file that cannot run stops the reload and the old
// workers stay; restart replaces a role's workers at once.
#include <gtest/gtest.h>
#include <signal.h>

#include <atomic>
#include <fstream>
#include <iterator>
#include <map>
#include <mutex>
#include <thread>

#include "ops_support.hpp"

namespace mob::test {
namespace {
namespace fs = std::filesystem;

/// The ops app v1, copied to a directory of its own, where a test deploys v2 over it.
struct deployed_app {
    temp_dir dir;
    fs::path program = fs::path{dir.path()} / "ops-app";
    deployed_app() { deploy(MOB_OPS_APP_V1, program); }
};

int version_of(proxy& back) {
    auto r = back.call<int>("version").get(5s);
    return r.ok() ? r.value() : -1;
}

TEST(deploy, replacing_the_file_and_reloading_under_load_runs_the_new_code_with_no_failed_call) {
    deployed_app a;
    cluster c{a.program, {{"TEST_BACK", "3"}}};
    ASSERT_TRUE(c.wait_full()) << c.kingpin().output();
    probe p{c};
    ASSERT_TRUE(p.w().wait_until_welcomed(20s));
    auto back = p.w().require("back");
    ASSERT_EQ(version_of(back), 1);

    std::atomic<bool> done{false};
    std::mutex m;
    std::map<int, int> by_version;
    std::vector<std::string> failures;
    std::vector<std::thread> callers;
    for (int t = 0; t < 3; ++t) {
        callers.emplace_back([&] {
            while (!done) {
                auto r = back.call<int>("version").get(10s);
                std::lock_guard lock{m};
                if (r.ok())
                    ++by_version[r.value()];
                else
                    failures.push_back(std::string{to_string(r.error().code)} + ": " +
                                       r.error().message);
            }
        });
    }
    auto count = [&](int v) {
        std::lock_guard lock{m};
        return by_version[v];
    };
    ASSERT_TRUE(eventually([&] { return count(1) >= 30; }, 10s));
    deploy(MOB_OPS_APP_V2, a.program);
    auto mark = c.kingpin().line_count();
    auto r = mobctl(c, {"reload", "testapp"});
    EXPECT_EQ(r.code, 0) << r.out;
    auto reloaded = c.kingpin().wait_for(std::regex{"reload: done"}, 60s, mark);
    int at_reload = count(2);
    EXPECT_TRUE(eventually([&] { return count(2) >= at_reload + 30; }, 10s));
    done = true;
    for (auto& t : callers)
        t.join();
    ASSERT_TRUE(reloaded) << c.kingpin().output();
    EXPECT_TRUE(failures.empty()) << failures.size() << " failed calls, first: " << failures[0];
    EXPECT_TRUE(c.kingpin().matches(std::regex{"died"}, mark).empty()) << c.kingpin().output();
    // Every worker runs the new code now.
    for (int i = 0; i < 12; ++i)
        EXPECT_EQ(version_of(back), 2);
    EXPECT_TRUE(c.kingpin().wait_for(std::regex{"EVENT start front \\d+ version 2"}, 5s, mark))
        << c.kingpin().output();
}

TEST(deploy, same_binary_and_revivals_before_a_reload_keep_the_running_image) {
    deployed_app a;
    cluster c{a.program, {{"TEST_BACK", "2"}}};
    ASSERT_TRUE(c.wait_full()) << c.kingpin().output();
    probe p{c};
    ASSERT_TRUE(p.w().wait_until_welcomed(20s));
    auto back = p.w().require("back");
    deploy(MOB_OPS_APP_V2, a.program);

    // A worker that dies before any reload is revived from the image that runs.
    auto victim = *c.ready_pids("back").begin();
    auto mark = c.kingpin().line_count();
    ::kill(victim, SIGKILL);
    ASSERT_TRUE(c.kingpin().wait_for(std::regex{"ready: back worker"}, 20s, mark))
        << c.kingpin().output();
    for (int i = 0; i < 6; ++i)
        EXPECT_EQ(version_of(back), 1);

    mark = c.kingpin().line_count();
    auto r = mobctl(c, {"reload", "testapp", "--same-binary"});
    EXPECT_EQ(r.code, 0) << r.out;
    EXPECT_NE(r.out.find("same program image"), std::string::npos) << r.out;
    ASSERT_TRUE(c.kingpin().wait_for(std::regex{"reload: done"}, 60s, mark))
        << c.kingpin().output();
    for (int i = 0; i < 6; ++i)
        EXPECT_EQ(version_of(back), 1);

    mark = c.kingpin().line_count();
    r = mobctl(c, {"reload", "testapp"});
    EXPECT_EQ(r.code, 0) << r.out;
    ASSERT_TRUE(c.kingpin().wait_for(std::regex{"reload: done"}, 60s, mark))
        << c.kingpin().output();
    for (int i = 0; i < 6; ++i)
        EXPECT_EQ(version_of(back), 2);
}

TEST(deploy, a_program_file_that_cannot_run_stops_the_reload_and_the_old_workers_stay) {
    deployed_app a;
    cluster c{a.program, {{"TEST_BACK", "2"}}};
    ASSERT_TRUE(c.wait_full()) << c.kingpin().output();
    probe p{c};
    ASSERT_TRUE(p.w().wait_until_welcomed(20s));
    auto back = p.w().require("back");
    auto before = c.ready_pids("back");

    // Gone: the reload is refused before it starts anything.
    fs::remove(a.program);
    auto r = mobctl(c, {"reload", "testapp"});
    EXPECT_EQ(r.code, 6) << r.out;
    EXPECT_NE(r.out.find("not there or not executable"), std::string::npos) << r.out;

    // A program that ends at once: the first replacement never becomes ready.
    deploy("/bin/false", a.program);
    auto mark = c.kingpin().line_count();
    r = mobctl(c, {"reload", "testapp"});
    EXPECT_EQ(r.code, 0) << r.out;
    EXPECT_TRUE(
        c.kingpin().wait_for(std::regex{"reload stopped: .*the old workers stay"}, 20s, mark))
        << c.kingpin().output();
    EXPECT_EQ(c.ready_pids("back"), before);
    for (int i = 0; i < 6; ++i)
        EXPECT_EQ(version_of(back), 1);
}

TEST(deploy, restart_replaces_a_roles_workers_without_waiting_and_leaves_the_others) {
    deployed_app a;
    cluster c{a.program, {{"TEST_BACK", "2"}}};
    ASSERT_TRUE(c.wait_full()) << c.kingpin().output();
    auto old_backs = c.ready_pids("back");
    auto fronts = c.ready_pids("front");
    ASSERT_EQ(old_backs.size(), 2u);
    deploy(MOB_OPS_APP_V2, a.program);

    auto mark = c.kingpin().line_count();
    auto r = mobctl(c, {"restart", "testapp", "back"});
    EXPECT_EQ(r.code, 0) << r.out;
    EXPECT_NE(r.out.find("restarting 2 workers"), std::string::npos) << r.out;
    // The old ones are told to stop right away, not once the new ones are ready.
    EXPECT_TRUE(c.kingpin().wait_for_count(std::regex{"stopping worker pid \\d+: replaced by a "
                                                      "restart"},
                                           2, 10s, mark))
        << c.kingpin().output();
    EXPECT_TRUE(c.kingpin().wait_for_count(std::regex{"ready: back worker"}, 2, 20s, mark))
        << c.kingpin().output();
    for (auto pid : old_backs)
        EXPECT_TRUE(wait_process_gone(pid, 10s)) << pid;
    EXPECT_EQ(c.ready_pids("front"), fronts);
    for (auto pid : fronts)
        EXPECT_TRUE(process_alive(pid));
    probe p{c};
    ASSERT_TRUE(p.w().wait_until_welcomed(20s));
    auto back = p.w().require("back");
    EXPECT_EQ(version_of(back), 2);

    r = mobctl(c, {"restart", "testapp", "nope"});
    EXPECT_EQ(r.code, 6) << r.out;
    EXPECT_NE(r.out.find("no role 'nope'"), std::string::npos) << r.out;
}

std::string cmdline_of(pid_t pid) {
    std::ifstream in{fmt::format("/proc/{}/cmdline", pid)};
    std::string s{std::istreambuf_iterator<char>{in}, {}};
    while (!s.empty() && s.back() == '\0')
        s.pop_back();
    return s;
}

TEST(deploy, the_process_title_keeps_the_program_path_so_pgrep_finds_it) {
    deployed_app a;
    cluster c{a.program, {{"TEST_BACK", "1"}}};
    ASSERT_TRUE(c.wait_full()) << c.kingpin().output();
    // The title first (what ps shows), then the command line.
    EXPECT_EQ(cmdline_of(c.kingpin().pid()), std::string{"testapp (kingpin) "} + a.program.string())
        << c.kingpin().output();
    auto back = *c.ready_pids("back").begin();
    EXPECT_EQ(cmdline_of(back), std::string{"testapp - back (mobster) "} + a.program.string());
}

}  // namespace
}  // namespace mob::test
