// Crash reports: when a worker dies, the kingpin keeps why (exit code or signal, and an
// uncaught exception the worker runtime caught on the way out), logs it, shows it in
// status, and gives it to the successor, which reads it with w.last_error(). The test
// app prints what last_error() says at each start (TEST_LAST_ERROR=1).
#include <gtest/gtest.h>
#include <signal.h>

#include <mob/control.hpp>

#include <zmq.hpp>
#include <zmq_addon.hpp>

#include "cluster.hpp"
#include "control_client.hpp"

namespace mob::test {
namespace {

/// The "EVENT last_error" line of the first worker of `role` started from line `from`
/// on, without the prefix: "none" or "role=... pid=... ...".
std::string last_error_line(cluster& c, const std::string& role, std::size_t from = 0,
                            std::chrono::milliseconds timeout = 10s) {
    std::regex line{fmt::format("EVENT last_error {} \\d+ (.*)", role)};
    auto at = c.kingpin().wait_for(line, timeout, from);
    if (!at)
        return "(no last_error line)";
    std::smatch m;
    auto text = c.kingpin().line(*at);
    std::regex_search(text, m, line);
    return m[1];
}

/// Starts an app whose "crashy" worker crashes once (`how`), then is revived.
std::map<std::string, std::string> crash_once(const temp_dir& dir, const std::string& how,
                                              const std::string& code = "1") {
    return {{"TEST_BACK", "1"},
            {"TEST_FRONT", "1"},
            {"TEST_CRASHY", "1"},
            {"TEST_CRASH_FIRST", "1"},
            {"TEST_CRASH_DIR", dir.path()},
            {"TEST_CRASH_HOW", how},
            {"TEST_CRASH_CODE", code},
            {"TEST_LAST_ERROR", "1"}};
}

/// The pid of the crashy worker that crashed at start.
pid_t crashed_pid(cluster& c) {
    auto pids = c.kingpin().matches(std::regex{"EVENT crash_at_start crashy (\\d+)"});
    return pids.empty() ? 0 : std::stoi(pids.front());
}

TEST(crash_report, a_first_generation_worker_has_no_last_error) {
    cluster c{{{"TEST_BACK", "1"}, {"TEST_FRONT", "1"}, {"TEST_LAST_ERROR", "1"}}};
    ASSERT_TRUE(c.wait_full()) << c.kingpin().output();
    EXPECT_EQ(last_error_line(c, "back"), "none") << c.kingpin().output();
    EXPECT_EQ(last_error_line(c, "front"), "none") << c.kingpin().output();
}

TEST(crash_report, the_successor_of_a_worker_killed_by_a_signal_reads_the_signal) {
    cluster c{{{"TEST_BACK", "1"}, {"TEST_FRONT", "1"}, {"TEST_LAST_ERROR", "1"}}};
    ASSERT_TRUE(c.wait_full()) << c.kingpin().output();
    auto victim = *c.ready_pids("back").begin();
    auto mark = c.kingpin().line_count();
    ASSERT_EQ(::kill(victim, SIGKILL), 0);
    EXPECT_EQ(last_error_line(c, "back", mark),
              fmt::format("role=back pid={} exit=- signal={} name=SIGKILL type=- where=- "
                          "note=- what=- | back worker pid {}: signal SIGKILL",
                          victim, SIGKILL, victim))
        << c.kingpin().output();
}

TEST(crash_report, the_successor_of_a_worker_that_exited_reads_its_exit_code) {
    temp_dir dir;
    cluster c{crash_once(dir, "exit", "7")};
    ASSERT_TRUE(c.wait_full()) << c.kingpin().output();
    auto dead = crashed_pid(c);
    ASSERT_NE(dead, 0) << c.kingpin().output();
    EXPECT_EQ(last_error_line(c, "crashy"),
              fmt::format("role=crashy pid={} exit=7 signal=- name=- type=- where=- note=- "
                          "what=- | crashy worker pid {}: exit code 7",
                          dead, dead))
        << c.kingpin().output();
}

TEST(crash_report, an_exception_escaping_the_role_function_is_reported_with_type_and_what) {
    temp_dir dir;
    cluster c{crash_once(dir, "throw")};
    ASSERT_TRUE(c.wait_full()) << c.kingpin().output();
    auto dead = crashed_pid(c);
    ASSERT_NE(dead, 0) << c.kingpin().output();
    auto summary = fmt::format(
        "crashy worker pid {}: exit code 1 after an uncaught testapp::disk_full in the role "
        "function: no space left on /var",
        dead);
    EXPECT_EQ(last_error_line(c, "crashy"),
              fmt::format("role=crashy pid={} exit=1 signal=- name=- type=testapp::disk_full "
                          "where=the role function note=- what=no space left on /var | {}",
                          dead, summary))
        << c.kingpin().output();
    // The kingpin logged it, and keeps it in its status (not in a file).
    EXPECT_TRUE(c.kingpin().wait_for(std::regex{"crash report: " + summary}, 1s))
        << c.kingpin().output();
    auto status = control::from_json<control::app_status>(ask(c, "status"));
    bool found = false;
    for (const auto& r : status.roles) {
        if (r.name == "crashy") {
            found = true;
            EXPECT_EQ(r.last_error, summary);
        }
    }
    EXPECT_TRUE(found);
    for (const auto& w : status.workers) {
        if (w.role == "crashy") {
            EXPECT_EQ(w.last_error, summary);
        }
    }
}

TEST(crash_report, an_exception_escaping_a_thread_is_reported_with_the_abort_that_followed) {
    temp_dir dir;
    cluster c{crash_once(dir, "thread")};
    ASSERT_TRUE(c.wait_full()) << c.kingpin().output();
    auto dead = crashed_pid(c);
    ASSERT_NE(dead, 0) << c.kingpin().output();
    auto line = last_error_line(c, "crashy");
    EXPECT_TRUE(std::regex_match(
        line, std::regex{fmt::format(
                  "role=crashy pid={} exit=- signal={} name=SIGABRT type=std::logic_error "
                  "where=thread \\d+ \\(std::terminate\\) note=- what=a thread gave up \\| "
                  "crashy worker pid {}: signal SIGABRT after an uncaught std::logic_error in "
                  "thread \\d+ \\(std::terminate\\): a thread gave up",
                  dead, SIGABRT, dead)}))
        << line << "\n"
        << c.kingpin().output();
}

}  // namespace
}  // namespace mob::test
