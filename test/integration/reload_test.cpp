// Rolling reload (SIGHUP): every worker is replaced, one at a time, while calls go on,
// and not one of them fails; the replacements get the env file as it is now.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>

#include <atomic>
#include <fstream>
#include <thread>

#include "cluster.hpp"

namespace mob::test {
namespace {

void write_file(const std::string& path, const std::string& text) {
    std::ofstream out{path, std::ios::trunc};
    out << text;
}

TEST(reload, sighup_under_load_replaces_every_worker_and_not_one_call_fails) {
    cluster c{{{"TEST_BACK", "3"}, {"TEST_FRONT", "1"}}};
    ASSERT_TRUE(c.wait_full()) << c.kingpin().output();
    auto old_backs = c.ready_pids("back");
    auto old_fronts = c.ready_pids("front");  // before the probe joins
    ASSERT_EQ(old_backs.size(), 3u);
    probe p{c};
    ASSERT_TRUE(p.w().wait_until_welcomed(20s));
    auto back = p.w().require("back");

    std::atomic<bool> done{false};
    std::atomic<int> ok{0};
    std::mutex m;
    std::vector<std::string> failures;
    std::set<std::int64_t> served_by;
    std::vector<std::thread> callers;
    for (int t = 0; t < 3; ++t) {
        callers.emplace_back([&] {
            while (!done) {
                auto r = back.call<std::int64_t>("work", 3).get();
                std::lock_guard lock{m};
                if (r.ok()) {
                    ++ok;
                    served_by.insert(r.value());
                } else {
                    failures.push_back(std::string{to_string(r.error().code)} + ": " +
                                       r.error().message);
                }
            }
        });
    }
    ASSERT_TRUE(eventually([&] { return ok.load() >= 30; }, 10s));
    auto mark = c.kingpin().line_count();
    c.kingpin().signal(SIGHUP);
    auto reloaded = c.kingpin().wait_for(std::regex{"reload: done"}, 60s, mark);
    auto at_reload = ok.load();
    // Some more calls on the new workers only.
    EXPECT_TRUE(eventually([&] { return ok.load() >= at_reload + 30; }, 10s));
    done = true;
    for (auto& t : callers)
        t.join();
    ASSERT_TRUE(reloaded) << c.kingpin().output();
    EXPECT_TRUE(failures.empty()) << failures.size() << " failed calls, first: " << failures[0];

    auto new_backs = c.ready_pids("back");
    for (auto pid : old_backs) {
        new_backs.erase(pid);
        EXPECT_TRUE(wait_process_gone(pid, 5s)) << "old worker " << pid << " still runs";
        // Drained, not killed.
        EXPECT_EQ(c.kingpin()
                      .matches(std::regex{fmt::format("EVENT shutdown back {} busy=0", pid)})
                      .size(),
                  1u)
            << c.kingpin().output();
    }
    EXPECT_EQ(new_backs.size(), 3u) << c.kingpin().output();
    auto new_fronts = c.ready_pids("front");
    new_fronts.erase(static_cast<pid_t>(p.w().pid()));  // the probe joined as a front
    for (auto pid : old_fronts) {
        new_fronts.erase(pid);
        EXPECT_TRUE(wait_process_gone(pid, 5s)) << "old front " << pid << " still runs";
    }
    EXPECT_EQ(new_fronts.size(), 1u);
    // The load went on across the reload: old and new workers both served it.
    std::size_t by_old = 0;
    std::size_t by_new = 0;
    for (auto pid : served_by) {
        by_old += old_backs.count(static_cast<pid_t>(pid));
        by_new += new_backs.count(static_cast<pid_t>(pid));
    }
    EXPECT_EQ(by_old, 3u);
    EXPECT_EQ(by_new, 3u);
    EXPECT_TRUE(c.kingpin().matches(std::regex{"died"}, mark).empty()) << c.kingpin().output();
}

TEST(reload, a_reload_rereads_the_env_file_and_a_bad_one_stops_it) {
    temp_dir dir;
    auto env = dir.path() + "/app.env";
    write_file(env, "# settings\nTEST_GREETING=one\n\nTEST_OTHER = 'quoted value'\n");
    cluster c{{{"TEST_BACK", "2"}, {"TEST_FRONT", "1"}, {"TEST_ENV_FILE", env}}};
    ASSERT_TRUE(c.wait_full()) << c.kingpin().output();
    probe p{c};
    ASSERT_TRUE(p.w().wait_until_welcomed(20s));
    auto back = p.w().require("back");
    EXPECT_EQ(back.call<std::string>("getenv", std::string{"TEST_GREETING"}).value(5s), "one");
    EXPECT_EQ(back.call<std::string>("getenv", std::string{"TEST_OTHER"}).value(5s),
              "quoted value");

    write_file(env, "TEST_GREETING=two\n");
    auto mark = c.kingpin().line_count();
    c.kingpin().signal(SIGHUP);
    ASSERT_TRUE(c.kingpin().wait_for(std::regex{"reload: done"}, 60s, mark))
        << c.kingpin().output();
    for (int i = 0; i < 6; ++i) {
        EXPECT_EQ(back.call<std::string>("getenv", std::string{"TEST_GREETING"}).value(5s), "two");
        EXPECT_EQ(back.call<std::string>("getenv", std::string{"TEST_OTHER"}).value(5s), "(unset)");
    }

    // A bad file: the reload is refused, and the workers stay as they are.
    auto before = c.ready_pids("back");
    write_file(env, "TEST_GREETING=three\nthis is not a setting\n");
    mark = c.kingpin().line_count();
    c.kingpin().signal(SIGHUP);
    EXPECT_TRUE(c.kingpin().wait_for(
        std::regex{"reload refused: env file .*app.env, line 2: expected KEY=VALUE"}, 5s, mark))
        << c.kingpin().output();
    EXPECT_EQ(back.call<std::string>("getenv", std::string{"TEST_GREETING"}).value(5s), "two");
    EXPECT_EQ(c.ready_pids("back"), before);
    EXPECT_TRUE(c.kingpin().matches(std::regex{"reload: replacing"}, mark).empty());
}

TEST(reload, a_bad_env_file_at_start_is_a_setup_error) {
    temp_dir dir;
    auto env = dir.path() + "/app.env";
    write_file(env, "MOB_ROLE=mine\n");
    child_process kingpin{{MOB_TEST_APP},
                          {{"MOB_RUNTIME_DIR", dir.path()}, {"TEST_ENV_FILE", env}}};
    auto status = kingpin.wait_exit(5s);
    ASSERT_TRUE(status) << kingpin.output();
    EXPECT_TRUE(WIFEXITED(*status) && WEXITSTATUS(*status) == 2) << kingpin.output();
    EXPECT_TRUE(kingpin.wait_for(std::regex{"MOB_ROLE is set by the kingpin"}, 1s))
        << kingpin.output();
}

}  // namespace
}  // namespace mob::test
