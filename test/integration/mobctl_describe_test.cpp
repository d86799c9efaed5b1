// mobctl as handy as pm2 (issue 12): describe (a role's settings and last deaths, and a
// clean refusal from a kingpin that does not know the verb), short worker ids in status
// (full ones with --wide and in JSON), events --kind, and messages to every process or to
// a role counted per role; top quits on q on a terminal; an app's --version.
#include <gtest/gtest.h>
#include <poll.h>
#include <pty.h>
#include <signal.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

#include <mob/control.hpp>
#include <mob/version.hpp>

#include <filesystem>

#include "mobctl_support.hpp"

namespace mob::test {
namespace {

control::app_status status_json(const cluster& c) {
    auto r = mobctl(c, {"status", "testapp", "--json"});
    EXPECT_EQ(r.code, 0) << r.out;
    try {
        return control::from_json<control::app_status>(r.out);
    } catch (const std::exception& e) {
        ADD_FAILURE() << e.what() << "\n" << r.out;
        return {};
    }
}

std::uint64_t messages_of(const control::app_status& s, const std::string& role) {
    for (const auto& r : s.roles) {
        if (r.name == role)
            return r.messages_routed;
    }
    return 0;
}

TEST(mobctl_describe, tells_each_roles_settings_and_its_last_deaths_with_their_reports) {
    cluster c{MOB_OPS_APP_V1, {{"TEST_BACK", "2"}, {"TEST_MAX_MEMORY_MIB", "64"}}};
    ASSERT_TRUE(c.wait_full()) << c.kingpin().output();
    auto victims = c.ready_pids("back");
    ASSERT_FALSE(victims.empty());
    auto victim = *victims.begin();
    auto mark = c.kingpin().line_count();
    ::kill(victim, SIGKILL);
    ASSERT_TRUE(c.kingpin().wait_for(std::regex{"ready: back worker pid"}, 15s, mark))
        << c.kingpin().output();

    auto d = mobctl(c, {"describe", "testapp"});
    EXPECT_EQ(d.code, 0) << d.out;
    for (const char* line :
         {"^app testapp: kingpin pid \\d+\n",
          "\nenv file -; heartbeat 1\\.0s, liveness 3; kill timeout 5\\.0s\n", "\nrole back\n",
          "\n  program +/\\S+ \\(the app's own program\\)\n", "\n  workers +2\\.\\.2, target 2\n",
          "\n  credit +each worker's own\n", "\n  restart +permanent\n",
          "\n  back-off +0\\.1s doubling to 30s; up 0\\.0s resets it; crash loop after 3\n",
          "\n  ready timeout +10s\n", "\n  listeners +-\n",
          "\n  max_memory +64\\.0M \\(0 replaced\\)\n", "\n  deaths +last 1, oldest first:\n",
          "\n    \\d{4}-\\d\\d-\\d\\d [0-9:.]+  back#\\d pid \\d+: signal SIGKILL\n"
          "      back worker pid \\d+: signal SIGKILL",
          "\nrole front\n", "\n  max_memory +-\n", "\n  deaths +none\n"}) {
        EXPECT_TRUE(std::regex_search(d.out, std::regex{line})) << line << " not in\n" << d.out;
    }
    EXPECT_NE(d.out.find(fmt::format("pid {}: signal SIGKILL", victim)), std::string::npos);

    auto one = mobctl(c, {"describe", "testapp", "front"});
    EXPECT_EQ(one.code, 0) << one.out;
    EXPECT_EQ(one.out.find("role back"), std::string::npos) << one.out;
    auto json = mobctl(c, {"describe", "testapp", "back", "--json"});
    auto parsed = control::from_json<control::app_description>(json.out);
    ASSERT_EQ(parsed.roles.size(), 1u);
    EXPECT_EQ(parsed.roles[0].max_memory, 64u << 20);
    ASSERT_EQ(parsed.roles[0].deaths.size(), 1u);
    EXPECT_EQ(parsed.roles[0].deaths[0].pid, victim);
    auto nope = mobctl(c, {"describe", "testapp", "nope"});
    EXPECT_EQ(nope.code, 6) << nope.out;
    EXPECT_EQ(nope.out, "mobctl: app 'testapp' has no role 'nope'\n");
}

TEST(mobctl_describe, says_cleanly_when_the_kingpin_does_not_know_describe) {
    temp_dir d;
    fake_kingpin old{d.path(), "old", true, [](const std::vector<std::string>& req) {
                         // What every kingpin before "describe" answers an unknown verb.
                         return std::vector<std::string>{
                             "MOBCTL1", "error",
                             control::to_json(control::outcome{
                                 "bad_request", fmt::format("unknown verb '{}'", req[1])})};
                     }};
    auto r = mobctl({"describe", "old", "--runtime-dir", d.path()});
    EXPECT_EQ(r.code, 6) << r.out;
    EXPECT_EQ(r.out,
              "mobctl: the kingpin of 'old' does not know describe (it is older than this "
              "mobctl)\n");
}

TEST(mobctl_describe, status_shows_short_worker_ids_and_the_full_ones_with_wide_and_in_json) {
    cluster c{MOB_OPS_APP_V1, {{"TEST_BACK", "2"}}};
    ASSERT_TRUE(c.wait_full()) << c.kingpin().output();
    auto s = status_json(c);
    ASSERT_FALSE(s.workers.empty());
    for (const auto& w : s.workers)
        EXPECT_TRUE(std::regex_match(w.id, std::regex{"(back|front)/\\d+@.+#[0-9a-f]+"})) << w.id;
    const auto& w = s.workers.front();
    auto table = mobctl(c, {"status", "testapp"});
    EXPECT_EQ(table.code, 0) << table.out;
    EXPECT_TRUE(
        std::regex_search(table.out, std::regex{fmt::format("\n{}/{} +{} ", w.role, w.pid, w.pid)}))
        << table.out;
    EXPECT_EQ(table.out.find('@'), std::string::npos) << table.out;
    EXPECT_TRUE(std::regex_search(table.out, std::regex{"MESSAGES +MSG FAILED +OVER MEM"}))
        << table.out;
    auto wide = mobctl(c, {"status", "testapp", "--wide"});
    EXPECT_EQ(wide.code, 0) << wide.out;
    EXPECT_NE(wide.out.find("\n" + w.id + " "), std::string::npos) << wide.out;
}

TEST(mobctl_describe, events_kind_keeps_only_the_apps_or_only_zeromqs_events) {
    cluster c{MOB_OPS_APP_V1, {{"TEST_BACK", "2"}}};
    ASSERT_TRUE(c.wait_full()) << c.kingpin().output();
    auto lines_of = [&](const std::string& kind) {
        auto r = mobctl(c, {"events", "testapp", "--kind", kind});
        EXPECT_EQ(r.code, 0) << r.out;
        std::vector<std::string> lines;
        std::istringstream in{r.out};
        for (std::string l; std::getline(in, l);)
            lines.push_back(l);
        return lines;
    };
    auto app = lines_of("app");
    auto zmq = lines_of("zmq");
    ASSERT_FALSE(app.empty());
    ASSERT_FALSE(zmq.empty());
    for (const auto& l : app)
        EXPECT_TRUE(std::regex_search(l, std::regex{"^ *\\d+  \\S+ \\S+  kingpin  "})) << l;
    for (const auto& l : zmq)
        EXPECT_TRUE(std::regex_search(l, std::regex{"^ *\\d+  \\S+ \\S+  monitor  "})) << l;
    auto bad = mobctl(c, {"events", "testapp", "--kind", "nope"});
    EXPECT_EQ(bad.code, 2) << bad.out;
}

TEST(mobctl_describe, counts_messages_to_every_process_and_to_a_role_per_role) {
    cluster c{MOB_OPS_APP_V1, {{"TEST_BACK", "2"}}};
    ASSERT_TRUE(c.wait_full()) << c.kingpin().output();
    probe p{c};
    ASSERT_TRUE(p.w().wait_until_welcomed(20s));
    ASSERT_TRUE(eventually([&] { return status_json(c).workers.size() == 4; }, 10s));
    for (int i = 0; i < 5; ++i)
        p.w().all("back").send("news", std::string{"to the backs"});
    for (int i = 0; i < 5; ++i)
        p.w().send("news", std::string{"to everyone"});
    control::app_status s;
    EXPECT_TRUE(eventually(
        [&] {
            s = status_json(c);
            // back: 2 workers x (5 + 5); front: its worker and the probe x 5.
            return messages_of(s, "back") == 20 && messages_of(s, "front") == 10;
        },
        10s))
        << "back " << messages_of(s, "back") << ", front " << messages_of(s, "front");
}

/// Reads what `fd` has within `wait` (a pty master), appended to `out`.
void drain(int fd, std::string& out, std::chrono::milliseconds wait) {
    pollfd p{fd, POLLIN, 0};
    char buf[4096];
    while (::poll(&p, 1, static_cast<int>(wait.count())) > 0) {
        auto n = ::read(fd, buf, sizeof buf);
        if (n <= 0)
            return;
        out.append(buf, static_cast<std::size_t>(n));
        wait = 0ms;
    }
}

bool canonical(int fd) {
    termios t{};
    return ::tcgetattr(fd, &t) == 0 && (t.c_lflag & ICANON) != 0 && (t.c_lflag & ECHO) != 0;
}

TEST(mobctl_describe, top_on_a_terminal_quits_on_q_and_gives_the_terminal_back) {
    cluster c{MOB_OPS_APP_V1, {{"TEST_BACK", "2"}}};
    ASSERT_TRUE(c.wait_full()) << c.kingpin().output();
    int master = -1;
    pid_t pid = ::forkpty(&master, nullptr, nullptr, nullptr);
    ASSERT_GE(pid, 0);
    if (pid == 0) {
        auto dir = c.runtime_dir();
        ::execl(MOB_MOBCTL, "mobctl", "top", "testapp", "--interval", "200", "--runtime-dir",
                dir.c_str(), static_cast<char*>(nullptr));
        ::_exit(127);
    }
    std::string out;
    EXPECT_TRUE(eventually(
        [&] {
            drain(master, out, 50ms);
            return out.find("WORKER") != std::string::npos;
        },
        10s))
        << out;
    EXPECT_FALSE(canonical(master)) << "raw mode while top runs";
    ASSERT_EQ(::write(master, "q", 1), 1);
    int status = -1;
    EXPECT_TRUE(eventually(
        [&] {
            drain(master, out, 20ms);
            return ::waitpid(pid, &status, WNOHANG) == pid;
        },
        10s));
    if (status == -1)
        ::kill(pid, SIGKILL);
    EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << status << "\n" << out;
    EXPECT_TRUE(canonical(master)) << "the terminal as it was";
    ::close(master);
}

TEST(mobctl_describe, an_apps_kingpin_prints_its_name_and_mobs_version_and_starts_nothing) {
    temp_dir d;
    child_process app{{MOB_OPS_APP_V1, "--version"}, {{"MOB_RUNTIME_DIR", d.path()}}};
    auto st = app.wait_exit(10s);
    app.wait_for(std::regex{"[^\\s\\S]"}, 2s);  // matches nothing: returns at end of output
    ASSERT_TRUE(st) << app.output();
    EXPECT_TRUE(WIFEXITED(*st) && WEXITSTATUS(*st) == 0) << app.output();
    EXPECT_EQ(app.output(), fmt::format("testapp (mob {})\n", MOB_VERSION));
    EXPECT_FALSE(std::filesystem::exists(std::filesystem::path{d.path()} / "testapp"));
}

}  // namespace
}  // namespace mob::test
