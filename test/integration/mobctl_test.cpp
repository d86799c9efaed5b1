// mobctl against a real kingpin (test/apps/test_app.cpp), and against stand-ins for the
// cases a real kingpin cannot show on demand: a dead one, one that never answers, one
// whose answers are fixed. mobctl runs as a child process, as a user would run it.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <mob/control.hpp>

#include <zmq.hpp>
#include <zmq_addon.hpp>

#include <atomic>
#include <fstream>
#include <functional>
#include <optional>
#include <thread>

#include "cluster.hpp"
#include "mobctl_support.hpp"

namespace mob::test {
namespace {

control::app_status status_of(const cluster& c) {
    auto r = mobctl(c, {"status", "testapp", "--json"});
    if (r.code != 0) {
        ADD_FAILURE() << "mobctl status --json exited " << r.code << ": " << r.out;
        return {};
    }
    try {
        return control::from_json<control::app_status>(r.out);
    } catch (const std::exception& e) {
        ADD_FAILURE() << "status --json does not parse: " << e.what() << "\n" << r.out;
        return {};
    }
}

const control::role_status* role_of(const control::app_status& s, const std::string& name) {
    for (const auto& r : s.roles) {
        if (r.name == name)
            return &r;
    }
    return nullptr;
}

std::set<std::int64_t> pids_of(const control::app_status& s, const std::string& role) {
    std::set<std::int64_t> pids;
    for (const auto& w : s.workers) {
        if (w.role == role && w.local)
            pids.insert(w.pid);
    }
    return pids;
}

/// Waits until the status satisfies `pred`; returns the last status seen.
template <typename Pred>
std::optional<control::app_status> status_until(const cluster& c, Pred pred,
                                                std::chrono::milliseconds timeout = 10s) {
    control::app_status last;
    if (eventually(
            [&] {
                last = status_of(c);
                return pred(last);
            },
            timeout)) {
        return last;
    }
    return std::nullopt;
}

bool ready(const control::app_status& s, const std::string& role, std::uint32_t n) {
    const auto* r = role_of(s, role);
    return r != nullptr && r->ready == n && r->target == n && r->alive == n;
}

/// A cluster whose kingpin is full and whose status says so.
struct running_cluster {
    explicit running_cluster(std::map<std::string, std::string> env = {}) : c(std::move(env)) {
        EXPECT_TRUE(c.wait_full()) << c.kingpin().output();
        EXPECT_TRUE(status_until(c, [](const control::app_status& s) {
            return ready(s, "back", 4) && ready(s, "front", 2);
        }));
    }
    cluster c;
};

/// The highest sequence number `mobctl events` shows now (its lines start with it).
std::uint64_t last_seq(const cluster& c) {
    auto r = mobctl(c, {"events", "testapp"});
    EXPECT_EQ(r.code, 0) << r.out;
    std::uint64_t last = 0;
    std::istringstream in{r.out};
    for (std::string line; std::getline(in, line);) {
        try {
            last = std::max<std::uint64_t>(last, std::stoull(line));
        } catch (const std::exception&) {
        }
    }
    return last;
}

control::app_status sample_status() {
    control::app_status s;
    s.app = "fake";
    s.kingpin_pid = 4242;
    s.uptime_s = 75;
    control::role_status back;
    back.name = "back";
    back.target = back.min = back.max = back.alive = back.ready = 4;
    back.calls_routed = 17;
    back.methods = {{"add", 42.5, true}, {"report", 1800, false}, {"get", 12, true}};
    back.last_exit = "signal SIGKILL";
    back.restarts = 1;
    s.roles.push_back(back);
    control::role_status front;
    front.name = "front";
    front.target = front.min = front.max = 2;
    front.alive = front.ready = 1;
    front.last_exit = "exit code 3";
    front.crash_loop = true;
    front.next_restart_in_s = 2.5;
    s.roles.push_back(front);
    control::worker_status w;
    w.id = "back/101@host#1";
    w.pid = 101;
    w.host = "host";
    w.role = "back";
    w.state = "ready";
    w.local = true;
    w.served = 9;
    s.workers.push_back(w);
    s.monitor_events = {{"accepted", 7}, {"disconnected", 1}};
    s.dropped = {{"bad_frame", 2}};
    return s;
}

// ---- Command line ----------------------------------------------------------------

TEST(mobctl, help_for_mobctl_and_every_command_exits_0) {
    auto r = mobctl({"--help"});
    EXPECT_EQ(r.code, 0) << r.out;
    EXPECT_TRUE(has(r.out, "Exit codes")) << r.out;
    for (std::string command :
         {"ls", "status", "events", "top", "scale", "reload", "stop", "metrics", "health"}) {
        EXPECT_TRUE(has(r.out, "  " + command + " ")) << command << " missing in\n" << r.out;
        auto h = mobctl({command, "--help"});
        EXPECT_EQ(h.code, 0) << command << ": " << h.out;
        EXPECT_TRUE(has(h.out, "Usage: mobctl " + command)) << h.out;
        EXPECT_TRUE(has(h.out, "5  no answer")) << h.out;
    }
}

TEST(mobctl, bad_usage_exits_2_with_one_line_on_stderr) {
    for (const std::vector<std::string>& args : std::vector<std::vector<std::string>>{
             {},
             {"frobnicate"},
             {"status"},
             {"status", "a", "b"},
             {"scale", "testapp", "back"},
             {"scale", "testapp", "back", "many"},
             {"ls", "--json"},
             {"ls", "--no-such-option"},
             {"status", "testapp", "--timeout", "0"},
             {"top", "testapp", "--iterations"},
         }) {
        auto r = mobctl(args);
        EXPECT_EQ(r.code, 2) << fmt::format("{}", fmt::join(args, " ")) << ": " << r.out;
        EXPECT_TRUE(r.out.starts_with("mobctl: ")) << r.out;
        EXPECT_EQ(std::count(r.out.begin(), r.out.end(), '\n'), 1) << r.out;
    }
}

// ---- Without a kingpin ----------------------------------------------------------

TEST(mobctl, ls_of_an_empty_or_missing_runtime_directory_says_there_are_no_apps) {
    temp_dir d;
    auto r = mobctl({"ls", "--runtime-dir", d.path()});
    EXPECT_EQ(r.code, 0) << r.out;
    EXPECT_EQ(r.out, fmt::format("no running apps in {}\n", d.path()));
    auto missing = mobctl({"ls", "--runtime-dir", d.path() + "/nothing"});
    EXPECT_EQ(missing.code, 0) << missing.out;
    EXPECT_TRUE(has(missing.out, "no running apps in")) << missing.out;
}

TEST(mobctl, an_unknown_app_exits_3) {
    temp_dir d;
    for (std::string command : {"status", "events", "top", "reload", "stop", "metrics"}) {
        auto r = mobctl({command, "nope", "--runtime-dir", d.path()});
        EXPECT_EQ(r.code, 3) << command << ": " << r.out;
        EXPECT_EQ(r.out, fmt::format("mobctl: no app 'nope' in {}\n", d.path()));
    }
    auto scale = mobctl({"scale", "nope", "back", "3", "--runtime-dir", d.path()});
    EXPECT_EQ(scale.code, 3) << scale.out;
    EXPECT_EQ(mobctl({"status", "..", "--runtime-dir", d.path()}).code, 3);
}

TEST(mobctl, a_folder_whose_kingpin_pid_is_not_locked_is_a_dead_kingpin_exit_4) {
    temp_dir d;
    fake_kingpin ghost{d.path(), "ghost", false};
    for (std::string command : {"status", "events", "top", "reload", "stop", "metrics"}) {
        auto r = mobctl({command, "ghost", "--runtime-dir", d.path()});
        EXPECT_EQ(r.code, 4) << command << ": " << r.out;
        EXPECT_EQ(r.out, "mobctl: the kingpin of 'ghost' is not running\n");
    }
    auto follow = mobctl({"events", "ghost", "--follow", "--runtime-dir", d.path()});
    EXPECT_EQ(follow.code, 4) << follow.out;
    auto ls = mobctl({"ls", "--runtime-dir", d.path()});
    EXPECT_EQ(ls.code, 0) << ls.out;
    EXPECT_TRUE(std::regex_search(ls.out, std::regex{"^ghost +not running \\(stale\\)\n$"}))
        << ls.out;
}

TEST(mobctl, a_live_lock_with_no_control_socket_listening_is_a_dead_kingpin_exit_4) {
    temp_dir d;
    fake_kingpin mute{d.path(), "mute", true};
    auto started = std::chrono::steady_clock::now();
    auto r = mobctl({"status", "mute", "--runtime-dir", d.path()});
    EXPECT_EQ(r.code, 4) << r.out;
    EXPECT_EQ(r.out, "mobctl: the kingpin of 'mute' is not running\n");
    EXPECT_LT(std::chrono::steady_clock::now() - started, 2s) << "it waited for the timeout";
}

TEST(mobctl, a_kingpin_that_never_answers_times_out_with_exit_5) {
    temp_dir d;
    fake_kingpin silent{d.path(), "silent", true,
                        [](const auto&) { return std::vector<std::string>{}; }};
    auto started = std::chrono::steady_clock::now();
    auto r = mobctl({"status", "silent", "--runtime-dir", d.path(), "--timeout", "300"});
    auto took = std::chrono::steady_clock::now() - started;
    EXPECT_EQ(r.code, 5) << r.out;
    EXPECT_EQ(r.out, "mobctl: no answer from the kingpin of 'silent' within 300 ms\n");
    EXPECT_GE(took, 300ms);
    EXPECT_LT(took, 3s);
    auto ls = mobctl({"ls", "--runtime-dir", d.path(), "--timeout", "200"});
    EXPECT_EQ(ls.code, 0) << ls.out;
    EXPECT_TRUE(has(ls.out, "no answer within 200 ms")) << ls.out;
}

TEST(mobctl, speaks_mobctl1_and_prints_what_a_kingpin_answers) {
    temp_dir d;
    const auto status_json = control::to_json(sample_status());
    fake_kingpin fake{
        d.path(), "fake", true, [&](const std::vector<std::string>& req) {
            if (req.size() == 3 && req[1] == "status")
                return ok(status_json);
            if (req.size() == 3 && req[1] == "stop")
                return ok(R"({"code": "ok", "message": "stopping app 'fake'"})");
            return std::vector<std::string>{
                "MOBCTL1", "error",
                R"({"code": "unknown_role", "message": "app 'fake' has no role 'nope'"})"};
        }};
    auto json = mobctl({"status", "fake", "--json", "--runtime-dir", d.path()});
    EXPECT_EQ(json.code, 0) << json.out;
    EXPECT_EQ(json.out, status_json + "\n") << "--json must print the kingpin's JSON unchanged";

    auto table = mobctl({"status", "fake", "--runtime-dir", d.path()});
    EXPECT_EQ(table.code, 0) << table.out;
    EXPECT_TRUE(
        std::regex_search(table.out, std::regex{"back +4/4 +4-4 +4 +1 +0 +17 .*signal SIGKILL"}))
        << table.out;
    EXPECT_TRUE(has(table.out, "exit code 3; crash loop; next restart in 2.5s\n")) << table.out;
    // A worker's short id in the table (role/pid); its full id with --wide.
    EXPECT_TRUE(std::regex_search(table.out, std::regex{"\nback/101 +101 +host +ready"}))
        << table.out;
    auto wide = mobctl({"status", "fake", "--wide", "--runtime-dir", d.path()});
    EXPECT_TRUE(std::regex_search(wide.out, std::regex{"\nback/101@host#1 +101 +host +ready"}))
        << wide.out;

    auto ls = mobctl({"ls", "--runtime-dir", d.path()});
    EXPECT_EQ(ls.code, 0) << ls.out;
    EXPECT_TRUE(has(ls.out, "pid 4242")) << ls.out;
    EXPECT_TRUE(has(ls.out, "back 4/4 front 1/2")) << ls.out;

    auto metrics = mobctl({"metrics", "fake", "--runtime-dir", d.path()});
    EXPECT_EQ(metrics.code, 0) << metrics.out;
    for (std::string line : {"# TYPE mob_role_ready_workers gauge",
                             "mob_role_ready_workers{app=\"fake\",role=\"front\"} 1",
                             "# TYPE mob_role_calls_routed_total counter",
                             "mob_role_calls_routed_total{app=\"fake\",role=\"back\"} 17",
                             "# TYPE mob_role_fast_methods gauge",
                             "mob_role_fast_methods{app=\"fake\",role=\"back\"} 2",
                             "mob_role_fast_methods{app=\"fake\",role=\"front\"} 0",
                             "mob_kingpin_uptime_seconds{app=\"fake\"} 75",
                             "mob_monitor_events_total{app=\"fake\",kind=\"accepted\"} 7",
                             "mob_dropped_frames_total{app=\"fake\",reason=\"bad_frame\"} 2"}) {
        EXPECT_TRUE(has(metrics.out, line + "\n")) << line << " missing in\n" << metrics.out;
    }

    auto stop = mobctl({"stop", "fake", "--runtime-dir", d.path()});
    EXPECT_EQ(stop.code, 0) << stop.out;
    EXPECT_EQ(stop.out, "stopping app 'fake'\n");

    auto scale = mobctl({"scale", "fake", "nope", "3", "--runtime-dir", d.path()});
    EXPECT_EQ(scale.code, 6) << scale.out;
    EXPECT_EQ(scale.out, "mobctl: app 'fake' has no role 'nope'\n");

    bool saw_scale = false;
    for (const auto& req : fake.requests()) {
        ASSERT_EQ(req.size(), 3u);
        EXPECT_EQ(req[0], "MOBCTL1");
        if (req[1] == "scale") {
            saw_scale = true;
            auto s = control::from_json<control::scale_request>(req[2]);
            EXPECT_EQ(s.role, "nope");
            EXPECT_EQ(s.count, 3u);
        }
    }
    EXPECT_TRUE(saw_scale);
}

// ---- Against a real kingpin ------------------------------------------------------

TEST(mobctl, status_json_counts_the_workers_and_the_calls_made) {
    running_cluster rc;
    auto& c = rc.c;
    auto s = status_of(c);
    EXPECT_EQ(s.app, "testapp");
    EXPECT_EQ(s.kingpin_pid, c.kingpin().pid());
    EXPECT_EQ(pids_of(s, "back").size(), 4u);
    EXPECT_EQ(pids_of(s, "front").size(), 2u);

    probe p{c};
    constexpr int calls = 10;
    auto back = p.w().require("back");
    for (int i = 0; i < calls; ++i)
        EXPECT_EQ(back.call<int>("add", i, 2).value(5s), i + 2);
    auto after = status_until(c, [](const control::app_status& st) {
        const auto* r = role_of(st, "back");
        return r != nullptr && r->calls_routed >= calls;
    });
    ASSERT_TRUE(after) << "back never showed " << calls << " calls routed";

    auto table = mobctl(c, {"status", "testapp"});
    EXPECT_EQ(table.code, 0) << table.out;
    EXPECT_TRUE(std::regex_search(table.out, std::regex{"back +4/4 +4-4 +4 "})) << table.out;
}

TEST(mobctl, status_shows_a_worker_killed_with_sigkill_as_one_restart) {
    running_cluster rc;
    auto& c = rc.c;
    auto before = pids_of(status_of(c), "back");
    ASSERT_EQ(before.size(), 4u);
    auto victim = *before.begin();
    ASSERT_EQ(::kill(static_cast<pid_t>(victim), SIGKILL), 0);
    auto after = status_until(c, [&](const control::app_status& s) {
        auto pids = pids_of(s, "back");
        return ready(s, "back", 4) && pids.size() == 4 && pids.count(victim) == 0;
    });
    ASSERT_TRUE(after) << c.kingpin().output();
    const auto* back = role_of(*after, "back");
    EXPECT_EQ(back->restarts, 1u);
    EXPECT_TRUE(has(back->last_exit, "SIGKILL")) << back->last_exit;
    // The successor carries its slot's history; its peers have none.
    int successors = 0;
    for (const auto& w : after->workers) {
        if (w.role != "back")
            continue;
        if (w.restarts == 1) {
            ++successors;
            EXPECT_TRUE(has(w.last_exit, "SIGKILL")) << w.last_exit;
        } else {
            EXPECT_EQ(w.restarts, 0u);
            EXPECT_EQ(w.last_exit, "");
        }
    }
    EXPECT_EQ(successors, 1);
}

TEST(mobctl, status_shows_the_crash_report_of_a_roles_last_death) {
    temp_dir dir;
    cluster c{{{"TEST_BACK", "1"},
               {"TEST_FRONT", "1"},
               {"TEST_CRASHY", "1"},
               {"TEST_CRASH_FIRST", "1"},
               {"TEST_CRASH_DIR", dir.path()},
               {"TEST_CRASH_HOW", "throw"}}};
    ASSERT_TRUE(c.wait_full()) << c.kingpin().output();
    auto pids = c.kingpin().matches(std::regex{"EVENT crash_at_start crashy (\\d+)"});
    ASSERT_FALSE(pids.empty()) << c.kingpin().output();
    const auto summary = fmt::format(
        "last error of crashy: crashy worker pid {}: exit code 1 after an uncaught "
        "testapp::disk_full in the role function: no space left on /var\n",
        pids.front());
    auto s = status_until(c, [](const control::app_status& st) {
        const auto* r = role_of(st, "crashy");
        return r != nullptr && !r->last_error.empty();
    });
    ASSERT_TRUE(s) << c.kingpin().output();
    auto r = mobctl(c, {"status", "testapp"});
    EXPECT_EQ(r.code, 0) << r.out;
    EXPECT_TRUE(has(r.out, summary)) << r.out;
    EXPECT_FALSE(has(r.out, "last error of back")) << r.out;  // no death, no line
}

TEST(mobctl, status_says_when_the_fork_server_is_unused_and_why) {
    cluster quiet{{{"TEST_BACK", "1"}, {"TEST_FRONT", "1"}}};
    ASSERT_TRUE(quiet.wait_full()) << quiet.kingpin().output();
    auto r = mobctl(quiet, {"status", "testapp"});
    EXPECT_EQ(r.code, 0) << r.out;
    EXPECT_FALSE(has(r.out, "fork server")) << r.out;  // working: nothing to say

    cluster c{{{"TEST_BACK", "1"}, {"TEST_FRONT", "1"}, {"TEST_THREAD_BEFORE_RUN", "1"}}};
    ASSERT_TRUE(c.wait_full()) << c.kingpin().output();
    r = mobctl(c, {"status", "testapp"});
    EXPECT_EQ(r.code, 0) << r.out;
    EXPECT_TRUE(has(r.out,
                    "fork server unused (declined: the program runs 2 threads before "
                    "app.run()"))
        << r.out;
    EXPECT_TRUE(has(r.out, "): workers start by exec\n")) << r.out;
}

TEST(mobctl, events_show_a_probe_that_joins_and_leaves) {
    running_cluster rc;
    auto& c = rc.c;
    auto since = std::to_string(last_seq(c));
    auto shows = [&](const std::string& kind) {
        return eventually(
            [&] {
                auto r = mobctl(c, {"events", "testapp", "--since", since});
                return r.code == 0 &&
                       std::regex_search(r.out, std::regex{"monitor +" + kind + " +ipc://"});
            },
            5s);
    };
    {
        probe p{c};
        EXPECT_TRUE(shows("accepted")) << mobctl(c, {"events", "testapp"}).out;
        since = std::to_string(last_seq(c));
    }
    EXPECT_TRUE(shows("disconnected")) << mobctl(c, {"events", "testapp"}).out;
    // Counted by kind and by endpoint in the status too.
    auto s = status_of(c);
    EXPECT_GE(s.monitor_events["accepted"], 7u) << "6 workers and the probe";
    EXPECT_GE(s.monitor_events["disconnected"], 1u);
    EXPECT_GE(s.monitor_endpoints["disconnected ipc://" + c.runtime_dir() + "/testapp/broker.sock"],
              1u);
}

TEST(mobctl, events_follow_ends_with_0_on_sigint_and_with_4_when_the_kingpin_goes) {
    running_cluster rc;
    auto& c = rc.c;
    {
        child_process follow{
            {MOB_MOBCTL, "events", "testapp", "--follow", "--runtime-dir", c.runtime_dir()}};
        ASSERT_TRUE(follow.wait_for(std::regex{"kingpin +full"}, 5s)) << follow.output();
        follow.signal(SIGINT);
        auto st = follow.wait_exit(5s);
        ASSERT_TRUE(st);
        EXPECT_TRUE(WIFEXITED(*st) && WEXITSTATUS(*st) == 0) << follow.output();
    }
    child_process follow{
        {MOB_MOBCTL, "events", "testapp", "--follow", "--runtime-dir", c.runtime_dir()}};
    ASSERT_TRUE(follow.wait_for(std::regex{"kingpin +full"}, 5s)) << follow.output();
    {
        probe p{c};  // a new event while following
        EXPECT_TRUE(follow.wait_for(std::regex{"monitor +accepted"}, 5s)) << follow.output();
    }
    c.kingpin().signal(SIGTERM);
    auto st = follow.wait_exit(10s);
    ASSERT_TRUE(st) << follow.output();
    EXPECT_TRUE(WIFEXITED(*st) && WEXITSTATUS(*st) == 4) << follow.output();
    EXPECT_TRUE(
        follow.wait_for(std::regex{"^mobctl: the kingpin of 'testapp' is not running$"}, 2s))
        << follow.output();
}

TEST(mobctl, scale_moves_a_role_within_its_range_and_refuses_the_rest_with_exit_6) {
    running_cluster rc{{{"TEST_RANGE", "1"}}};
    auto& c = rc.c;
    ASSERT_TRUE(status_until(c, [](const auto& s) { return ready(s, "range", 1); }));

    auto up = mobctl(c, {"scale", "testapp", "range", "3"});
    EXPECT_EQ(up.code, 0) << up.out;
    EXPECT_TRUE(has(up.out, "range")) << up.out;
    EXPECT_TRUE(status_until(c, [](const auto& s) { return ready(s, "range", 3); }))
        << c.kingpin().output();

    auto down = mobctl(c, {"scale", "testapp", "range", "1"});
    EXPECT_EQ(down.code, 0) << down.out;
    EXPECT_TRUE(status_until(c, [](const auto& s) { return ready(s, "range", 1); }))
        << c.kingpin().output();

    auto beyond = mobctl(c, {"scale", "testapp", "back", "9"});
    EXPECT_EQ(beyond.code, 6) << beyond.out;
    EXPECT_TRUE(beyond.out.starts_with("mobctl: ")) << beyond.out;
    auto none = mobctl(c, {"scale", "testapp", "nope", "3"});
    EXPECT_EQ(none.code, 6) << none.out;
    EXPECT_TRUE(has(none.out, "no role")) << none.out;
    EXPECT_TRUE(ready(status_of(c), "back", 4));
}

TEST(mobctl, reload_replaces_every_back_worker) {
    running_cluster rc;
    auto& c = rc.c;
    auto before = pids_of(status_of(c), "back");
    ASSERT_EQ(before.size(), 4u);
    auto r = mobctl(c, {"reload", "testapp"});
    EXPECT_EQ(r.code, 0) << r.out;
    auto after = status_until(
        c,
        [&](const control::app_status& s) {
            auto pids = pids_of(s, "back");
            if (!ready(s, "back", 4) || pids.size() != 4 || s.reloading)
                return false;
            for (auto pid : pids) {
                if (before.count(pid) != 0)
                    return false;
            }
            return true;
        },
        30s);
    EXPECT_TRUE(after) << c.kingpin().output();
}

TEST(mobctl, stop_ends_the_kingpin_with_exit_0) {
    running_cluster rc;
    auto& c = rc.c;
    auto r = mobctl(c, {"stop", "testapp"});
    EXPECT_EQ(r.code, 0) << r.out;
    EXPECT_TRUE(has(r.out, "testapp")) << r.out;
    auto st = c.kingpin().wait_exit(10s);
    ASSERT_TRUE(st) << c.kingpin().output();
    EXPECT_TRUE(WIFEXITED(*st) && WEXITSTATUS(*st) == 0) << c.kingpin().output();
    auto after = mobctl(c, {"status", "testapp"});
    EXPECT_EQ(after.code, 3) << after.out;  // its folder went with it
}

TEST(mobctl, metrics_ls_and_top_show_the_running_app) {
    running_cluster rc;
    auto& c = rc.c;
    auto metrics = mobctl(c, {"metrics", "testapp"});
    EXPECT_EQ(metrics.code, 0) << metrics.out;
    EXPECT_TRUE(has(metrics.out, "mob_role_ready_workers{app=\"testapp\",role=\"back\"} 4\n"))
        << metrics.out;
    EXPECT_TRUE(has(metrics.out, "# HELP mob_role_restarts_total ")) << metrics.out;
    EXPECT_TRUE(has(metrics.out, "# TYPE mob_kingpin_uptime_seconds gauge\n")) << metrics.out;
    EXPECT_TRUE(has(metrics.out, "mob_monitor_events_total{app=\"testapp\",kind=\"accepted\"} "))
        << metrics.out;

    auto ls = mobctl(c, {"ls"});
    EXPECT_EQ(ls.code, 0) << ls.out;
    EXPECT_TRUE(std::regex_search(
        ls.out, std::regex{fmt::format("^testapp +pid {} +up .* back 4/4 front 2/2\n$",
                                       c.kingpin().pid())}))
        << ls.out;

    auto top = mobctl(c, {"top", "testapp", "--interval", "100", "--iterations", "2"});
    EXPECT_EQ(top.code, 0) << top.out;
    EXPECT_FALSE(has(top.out, "\x1b[")) << "no escape sequences when not on a terminal";
    std::size_t views = 0;
    // One heading line per view (its role and worker tables both have a CALLS/S column).
    for (auto at = top.out.find("; rates over"); at != std::string::npos;
         at = top.out.find("; rates over", at + 1)) {
        ++views;
    }
    EXPECT_EQ(views, 2u) << "--iterations 2 makes two views\n" << top.out;
    EXPECT_TRUE(std::regex_search(top.out, std::regex{"back +4/4 "})) << top.out;
}

}  // namespace
}  // namespace mob::test
