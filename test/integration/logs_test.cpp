// Logs (issue 12): the kingpin captures every worker's stdout and stderr and writes each
// line with a prefix (time, app, role#slot, pid, stream or level), its own lines too;
// plain and JSON lines; partial lines joined, long ones cut, binary escaped; log files
// per role, rotated by size and reopened on SIGUSR1; a worker that floods its output
// stalls no call; `mobctl logs` shows the last lines and follows.
#include <gtest/gtest.h>
#include <signal.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <memory>
#include <numeric>
#include <optional>
#include <sstream>
#include <thread>

#include <mob/control.hpp>

#include "ops_support.hpp"

namespace mob::test {
namespace {
namespace fs = std::filesystem;

const std::string iso_time = R"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z)";

/// A cluster of the ops app with its output in `format`, and a probe joined to it once
/// it is full (a probe that comes earlier waits for its reconnection back-off).
struct logging_app {
    explicit logging_app(const std::string& format, std::map<std::string, std::string> env = {})
        : c(MOB_OPS_APP_V1, with_format(format, std::move(env))) {
        EXPECT_TRUE(c.wait_full()) << c.kingpin().output();
        p = std::make_unique<probe>(c);
        EXPECT_TRUE(p->w().wait_until_welcomed(20s));
        back.emplace(p->w().require("back"));
    }
    static std::map<std::string, std::string> with_format(const std::string& format,
                                                          std::map<std::string, std::string> env) {
        env.emplace("MOB_LOG_FORMAT", format);
        return env;
    }
    std::int64_t say(const std::string& stream, const std::string& text) {
        return back->call<std::int64_t>("say", stream, text).value(5s);
    }
    /// Waits for a whole line of the kingpin's output that matches `pattern`.
    bool saw(const std::string& pattern, std::size_t from = 0) {
        return c.kingpin().wait_for(std::regex{"^" + pattern + "$"}, 5s, from).has_value();
    }
    /// Waits for a line of the kingpin's output that ends with `text`, no regex involved.
    bool saw_ending(const std::string& text) {
        return c.kingpin()
            .wait_for_line([&](const std::string& line) { return line.ends_with(text); }, 5s)
            .has_value();
    }
    cluster c;
    std::unique_ptr<probe> p;
    std::optional<proxy> back;
};

std::string read_text(const fs::path& file) {
    std::ifstream in{file};
    std::stringstream s;
    s << in.rdbuf();
    return s.str();
}

bool file_has(const fs::path& file, const std::string& text, std::chrono::milliseconds timeout) {
    return eventually([&] { return read_text(file).find(text) != std::string::npos; }, timeout);
}

TEST(logs, each_line_carries_time_app_role_slot_pid_and_stream) {
    logging_app a{"plain"};
    auto kp = a.c.kingpin().pid();
    // The kingpin's own lines are timestamped too.
    EXPECT_TRUE(
        a.saw(fmt::format("{} testapp kingpin \\[{}\\] info: full: every role .*", iso_time, kp)))
        << a.c.kingpin().output();
    auto pid = a.say("out", "hello out");
    EXPECT_TRUE(
        a.saw(fmt::format("{} testapp back#[01] \\[{}\\] stdout: hello out", iso_time, pid)))
        << a.c.kingpin().output();
    pid = a.say("err", "hello err");
    EXPECT_TRUE(
        a.saw(fmt::format("{} testapp back#[01] \\[{}\\] stderr: hello err", iso_time, pid)))
        << a.c.kingpin().output();
    // A worker's own mob::log line: its level, and no second prefix.
    pid = a.back->call<std::int64_t>("log", std::string{"warn"}, std::string{"disk low"}).value(5s);
    EXPECT_TRUE(a.saw(fmt::format("{} testapp back#[01] \\[{}\\] warn: disk low", iso_time, pid)))
        << a.c.kingpin().output();
    // Two back workers: slots 0 and 1, each once; the front is front#0.
    EXPECT_TRUE(
        a.c.kingpin().wait_for(std::regex{"testapp back#0 \\[\\d+\\] stdout: EVENT start"}, 5s));
    EXPECT_TRUE(
        a.c.kingpin().wait_for(std::regex{"testapp back#1 \\[\\d+\\] stdout: EVENT start"}, 5s));
    EXPECT_TRUE(
        a.c.kingpin().wait_for(std::regex{"testapp front#0 \\[\\d+\\] stdout: EVENT start"}, 5s));
}

TEST(logs, partial_lines_are_joined_long_lines_cut_and_binary_bytes_escaped) {
    logging_app a{"plain", {{"TEST_BACK", "1"}}};
    auto raw = [&](const std::string& bytes) {
        return a.back->call<std::int64_t>("say_raw", bytes).value(5s);
    };
    auto pid = raw("part one, ");
    ASSERT_EQ(raw("part two\n"), pid);
    EXPECT_TRUE(a.saw(fmt::format(".* \\[{}\\] stdout: part one, part two", pid)))
        << a.c.kingpin().output();
    // After the long line no regex may scan the output (see child_process::wait_for_line).
    raw(std::string(20000, 'y') + "\nafter the long one\n");
    EXPECT_TRUE(a.saw_ending(" stdout: " + std::string(16384, 'y') + " [mob: line cut]"))
        << a.c.kingpin().output();
    EXPECT_TRUE(a.saw_ending(" stdout: after the long one"));
    raw("bin \xff\xfe \x1b[31m \x01 caf\xc3\xa9\tend\r\n");
    EXPECT_TRUE(a.saw_ending(R"( stdout: bin \xff\xfe \x1b[31m \x01 café	end)"))
        << a.c.kingpin().output();
}

TEST(logs, json_lines_are_one_object_each_with_every_field) {
    logging_app a{"json"};
    auto pid = a.say("out", "say \"hi\" \\ there");
    EXPECT_TRUE(a.saw(fmt::format(
        R"(\{{"time":"{}","app":"testapp","role":"back","slot":[01],"pid":{},"stream":"stdout","level":null,"message":"say \\"hi\\" \\\\ there"\}})",
        iso_time, pid)))
        << a.c.kingpin().output();
    pid = a.back->call<std::int64_t>("log", std::string{"error"}, std::string{"oops"}).value(5s);
    EXPECT_TRUE(a.saw(fmt::format(
        R"(\{{"time":"{}","app":"testapp","role":"back","slot":[01],"pid":{},"stream":"stderr","level":"error","message":"oops"\}})",
        iso_time, pid)))
        << a.c.kingpin().output();
    EXPECT_TRUE(a.saw(fmt::format(
        R"(\{{"time":"{}","app":"testapp","role":"kingpin","slot":null,"pid":{},"stream":"stderr","level":"info","message":"full: every role .*"\}})",
        iso_time, a.c.kingpin().pid())))
        << a.c.kingpin().output();
    // Every line is one object.
    for (std::size_t i = 0; i < a.c.kingpin().line_count(); ++i) {
        auto line = a.c.kingpin().line(i);
        EXPECT_TRUE(line.starts_with("{\"time\":\"") && line.ends_with("\"}")) << line;
    }
}

TEST(logs, an_unknown_log_format_is_a_setup_error) {
    temp_dir dir;
    child_process kingpin{{MOB_OPS_APP_V1},
                          {{"MOB_RUNTIME_DIR", dir.path()}, {"MOB_LOG_FORMAT", "fancy"}}};
    auto status = kingpin.wait_exit(5s);
    ASSERT_TRUE(status) << kingpin.output();
    EXPECT_TRUE(WIFEXITED(*status) && WEXITSTATUS(*status) == 2) << kingpin.output();
    EXPECT_TRUE(kingpin.wait_for(
        std::regex{"MOB_LOG_FORMAT is 'fancy', not one of pretty, plain, json"}, 1s))
        << kingpin.output();
}

TEST(logs, files_per_role_are_reopened_on_sigusr1_and_rotated_by_size) {
    temp_dir logs;
    fs::path dir = logs.path();
    logging_app a{"plain", {{"TEST_LOG_DIR", dir.string()}, {"TEST_LOG_PER_ROLE", "1"}}};
    auto kingpin_file = dir / "testapp.log";
    auto back_file = dir / "testapp.back.log";
    EXPECT_TRUE(file_has(kingpin_file, "full: every role", 5s));
    a.say("out", "first line");
    ASSERT_TRUE(file_has(back_file, "stdout: first line", 5s)) << read_text(back_file);
    EXPECT_EQ(read_text(kingpin_file).find("first line"), std::string::npos);
    EXPECT_TRUE(file_has(dir / "testapp.front.log", "EVENT start front", 5s));

    // logrotate moves the file; until SIGUSR1 the kingpin still writes the moved one.
    fs::rename(back_file, dir / "testapp.back.log.old");
    a.say("out", "before reopen");
    EXPECT_TRUE(file_has(dir / "testapp.back.log.old", "before reopen", 5s));
    auto mark = a.c.kingpin().line_count();
    a.c.kingpin().signal(SIGUSR1);
    ASSERT_TRUE(a.c.kingpin().wait_for(std::regex{"SIGUSR1: log files reopened"}, 5s, mark));
    a.say("out", "after reopen");
    EXPECT_TRUE(file_has(back_file, "after reopen", 5s)) << read_text(back_file);
    EXPECT_EQ(read_text(dir / "testapp.back.log.old").find("after reopen"), std::string::npos);
}

TEST(logs, a_file_past_its_size_is_rotated) {
    temp_dir logs;
    fs::path dir = logs.path();
    logging_app a{"plain", {{"TEST_LOG_DIR", dir.string()}, {"TEST_LOG_ROTATE", "4000"}}};
    for (int i = 0; i < 200; ++i)
        a.say("out", fmt::format("line {} {}", i, std::string(100, 'r')));
    EXPECT_TRUE(file_has(dir / "testapp.log", "line 199", 5s));
    EXPECT_TRUE(file_has(dir / "testapp.log.1", "line", 5s));
    EXPECT_TRUE(fs::exists(dir / "testapp.log.5"));
    EXPECT_FALSE(fs::exists(dir / "testapp.log.6"));  // keep: 5
    EXPECT_LT(fs::file_size(dir / "testapp.log.1"), 4000u + 400u);
}

TEST(logs, a_worker_that_floods_its_output_stalls_no_call_and_the_kingpins_lines_stay) {
    logging_app a{"plain", {{"TEST_FLOOD", "1"}}};
    ASSERT_TRUE(a.c.kingpin().wait_for(std::regex{"flood#0 \\[\\d+\\] stdout: flood 1000 x+"}, 10s))
        << "the flood reaches the log";
    auto worst = std::chrono::steady_clock::duration::zero();
    int failed = 0;
    for (int i = 0; i < 200; ++i) {
        auto t0 = std::chrono::steady_clock::now();
        auto r = a.back->call<std::int64_t>("work", 0).get(5s);
        worst = std::max(worst, std::chrono::steady_clock::now() - t0);
        failed += r.ok() ? 0 : 1;
    }
    EXPECT_EQ(failed, 0);
    EXPECT_LT(worst, 1s) << "slowest call: "
                         << std::chrono::duration_cast<std::chrono::milliseconds>(worst).count()
                         << " ms";
    // The kingpin's own lines get through the flood.
    auto victim = *a.c.ready_pids("back").begin();
    ::kill(victim, SIGKILL);
    EXPECT_TRUE(a.c.kingpin().wait_for(
        std::regex{fmt::format("kingpin .* back worker pid {} died: signal SIGKILL", victim)},
        10s));
    auto r = mobctl(a.c, {"status", "testapp", "--json"});
    EXPECT_EQ(r.code, 0);
    auto status = control::from_json<control::app_status>(r.out);
    std::uint64_t flood_lines = 0;
    for (const auto& w : status.workers) {
        if (w.role == "flood") {
            flood_lines = w.output_lines;
            EXPECT_EQ(w.slot, 0);
        }
    }
    EXPECT_GT(flood_lines, 1000u);
}

/// `out` is exactly the plain lines "numbered FIRST" to "numbered FIRST+COUNT-1" of back,
/// in any order: two back workers write them through pipes of their own, and lines of
/// the same moment may be read from the two pipes either way round.
void expect_numbered_lines(const std::string& out, int first, int count) {
    const std::regex numbered{
        fmt::format("{} testapp back#[01] \\[\\d+\\] stdout: numbered (\\d+)", iso_time)};
    std::vector<int> numbers;
    std::istringstream in{out};
    for (std::string l; std::getline(in, l);) {
        std::smatch m;
        EXPECT_TRUE(std::regex_match(l, m, numbered)) << l;
        if (!m.empty())
            numbers.push_back(std::stoi(m[1].str()));
    }
    std::sort(numbers.begin(), numbers.end());
    std::vector<int> expected(static_cast<std::size_t>(count));
    std::iota(expected.begin(), expected.end(), first);
    EXPECT_EQ(numbers, expected) << out;
}

TEST(logs, mobctl_logs_reads_what_the_ring_no_longer_holds_from_the_files) {
    temp_dir logs;
    logging_app a{
        "plain",
        {{"TEST_LOG_DIR", logs.path()}, {"TEST_LOG_PER_ROLE", "1"}, {"TEST_LOG_RING", "10"}}};
    for (int i = 1; i <= 30; ++i)
        a.say("out", fmt::format("numbered {}", i));
    ASSERT_TRUE(file_has(fs::path{logs.path()} / "testapp.back.log", "stdout: numbered 30", 5s));
    // The ring keeps 10 lines (of every role); the 25 asked for come from the file too.
    auto r = mobctl(a.c, {"logs", "testapp", "back", "--lines", "25"});
    EXPECT_EQ(r.code, 0) << r.out;
    expect_numbered_lines(r.out, 6, 25);
    EXPECT_EQ(r.out.find("older lines are in"), std::string::npos) << r.out;
    // Without the files, the ring alone: at most its 10 lines, and mobctl says where the
    // older ones were.
    fs::remove(fs::path{logs.path()} / "testapp.back.log");
    r = mobctl(a.c, {"logs", "testapp", "back", "--lines", "25"});
    EXPECT_EQ(r.code, 0) << r.out;
    EXPECT_LE(std::count(r.out.begin(), r.out.end(), '\n'), 11) << r.out;
    EXPECT_NE(r.out.find("older lines are in"), std::string::npos) << r.out;
}

TEST(logs, mobctl_logs_shows_the_last_lines_and_follows_new_ones) {
    logging_app a{"plain"};
    for (int i = 1; i <= 30; ++i)
        a.say("out", fmt::format("numbered {}", i));
    ASSERT_TRUE(a.saw(".* stdout: numbered 30"));
    auto r = mobctl(a.c, {"logs", "testapp", "back", "--lines", "5"});
    EXPECT_EQ(r.code, 0) << r.out;
    expect_numbered_lines(r.out, 26, 5);
    r = mobctl(a.c, {"logs", "testapp", "kingpin", "--lines", "3", "--json"});
    EXPECT_EQ(r.code, 0) << r.out;
    EXPECT_TRUE(std::regex_search(r.out, std::regex{R"(^\{"time":".*"role":"kingpin")"})) << r.out;
    EXPECT_EQ(r.out.find("numbered"), std::string::npos);
    r = mobctl(a.c, {"logs", "testapp", "nope"});
    EXPECT_EQ(r.code, 6) << r.out;

    a.say("out", "the last before following");
    child_process follow{{MOB_MOBCTL, "logs", "testapp", "back", "--follow", "--lines", "1",
                          "--runtime-dir", a.c.runtime_dir()}};
    // The last line, then each new one as it comes.
    ASSERT_TRUE(follow.wait_for(std::regex{"stdout: the last before following$"}, 5s))
        << follow.output();
    a.say("out", "followed one");
    EXPECT_TRUE(follow.wait_for(std::regex{"stdout: followed one$"}, 5s)) << follow.output();
    a.say("err", "followed two");
    EXPECT_TRUE(follow.wait_for(std::regex{"stderr: followed two$"}, 5s)) << follow.output();
    EXPECT_TRUE(follow.matches(std::regex{"numbered"}).empty()) << follow.output();
    follow.signal(SIGTERM);
    auto status = follow.wait_exit(5s);
    ASSERT_TRUE(status);
    EXPECT_TRUE(WIFEXITED(*status) && WEXITSTATUS(*status) == 0);
}

}  // namespace
}  // namespace mob::test
