// The kingpin's log capture without processes: lines made from reads of any size, cut
// and escaped; the ring's selections; a pipe left full shows as blocked until it is read.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <poll.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "line_assembler.hpp"
#include "log_ring.hpp"
#include "log_tail.hpp"
#include "log_writer.hpp"
#include "output_capture.hpp"

namespace mob::detail {
namespace {

std::vector<std::string> feed_all(line_assembler& a, const std::vector<std::string>& reads) {
    std::vector<std::string> out;
    for (const auto& r : reads)
        a.feed(r, [&](std::string line) { out.push_back(std::move(line)); });
    return out;
}

TEST(line_assembler, joins_partial_reads_into_lines) {
    line_assembler a{100};
    auto lines = feed_all(a, {"hel", "lo\nwor", "ld\n\nlast"});
    EXPECT_EQ(lines, (std::vector<std::string>{"hello", "world", ""}));
    a.flush([&](std::string line) { lines.push_back(std::move(line)); });
    EXPECT_EQ(lines.back(), "last");
}

TEST(line_assembler, cuts_a_long_line_once_and_drops_the_rest_of_it) {
    line_assembler a{8};
    auto lines = feed_all(a, {"0123456", "789abc", "def\nnext\n"});
    ASSERT_EQ(lines.size(), 2u);
    EXPECT_EQ(lines[0], std::string{"01234567"} + std::string{line_assembler::cut_mark});
    EXPECT_EQ(lines[1], "next");
    EXPECT_EQ(a.cut(), 1u);
}

TEST(line_assembler, escapes_bytes_that_are_not_printable_utf8) {
    line_assembler a{100};
    auto lines = feed_all(a, {"a\x01\xff\xc3\xa9\t\x1b[0m\r\n"});
    ASSERT_EQ(lines.size(), 1u);
    EXPECT_EQ(lines[0], "a\\x01\\xff\xc3\xa9\t\\x1b[0m");
}

log_line sample_line() {
    log_line l;
    l.time_ms = 1764584709123;  // 2025-12-01T10:25:09.123Z
    l.app = "myapp";
    l.role = "back";
    l.slot = 2;
    l.pid = 40231;
    l.stream = "stdout";
    l.message = "served \"1000\" calls";
    return l;
}

TEST(log_format, plain_has_utc_time_app_role_slot_pid_and_stream_or_level) {
    auto l = sample_line();
    EXPECT_EQ(format_log_line(l, log_format::plain, false),
              "2025-12-01T10:25:09.123Z myapp back#2 [40231] stdout: served \"1000\" calls");
    l.level = "warn";
    l.stream = "stderr";
    EXPECT_EQ(format_log_line(l, log_format::plain, false),
              "2025-12-01T10:25:09.123Z myapp back#2 [40231] warn: served \"1000\" calls");
}

TEST(log_format, json_has_every_field_and_null_for_what_is_not_known) {
    auto l = sample_line();
    EXPECT_EQ(format_log_line(l, log_format::json, false),
              R"({"time":"2025-12-01T10:25:09.123Z","app":"myapp","role":"back","slot":2,)"
              R"("pid":40231,"stream":"stdout","level":null,"message":"served \"1000\" calls"})");
    l.role = "kingpin";
    l.slot = -1;
    l.level = "info";
    l.message = "tab\there";
    EXPECT_EQ(format_log_line(l, log_format::json, false),
              R"({"time":"2025-12-01T10:25:09.123Z","app":"myapp","role":"kingpin","slot":null,)"
              R"("pid":40231,"stream":"stdout","level":"info","message":"tab\there"})");
}

TEST(log_format, a_plain_line_reads_back_as_it_was_written) {
    auto l = sample_line();
    auto back = parse_plain_log_line(format_log_line(l, log_format::plain, false));
    ASSERT_TRUE(back);
    EXPECT_EQ(back->time_ms, l.time_ms);
    EXPECT_EQ(back->app, "myapp");
    EXPECT_EQ(back->role, "back");
    EXPECT_EQ(back->slot, 2);
    EXPECT_EQ(back->pid, 40231);
    EXPECT_EQ(back->stream, "stdout");
    EXPECT_EQ(back->message, l.message);
    l.role = "kingpin";
    l.slot = -1;
    l.level = "warn";
    l.message = "a: b: c";
    back = parse_plain_log_line(format_log_line(l, log_format::plain, false));
    ASSERT_TRUE(back);
    EXPECT_EQ(back->role, "kingpin");
    EXPECT_EQ(back->slot, -1);
    EXPECT_EQ(back->level, "warn");
    EXPECT_EQ(back->message, "a: b: c");
    for (const char* bad :
         {"", "not a log line", "2025-12-01T10:25:09.123Z myapp back#x [1] stdout: m",
          "2025-12-01T10:25:09.123Z myapp back#1 [1] sideways: m",
          "2025-12-01 10:25:09 myapp back#1 [1] stdout: m",
          R"({"time":"2025-12-01T10:25:09.123Z"})"})
        EXPECT_FALSE(parse_plain_log_line(bad)) << bad;
}

TEST(log_tail, reads_the_newest_older_lines_of_a_role_from_a_file_and_its_rotation) {
    namespace fs = std::filesystem;
    char pattern[] = "/tmp/mob-log-tail-XXXXXX";
    ASSERT_NE(::mkdtemp(pattern), nullptr);
    const fs::path dir = pattern;
    auto write = [&](const fs::path& file, int from, int to) {
        std::ofstream out{file};
        out << "a line cut by nothing that parses\n";
        for (int i = from; i <= to; ++i) {
            auto l = sample_line();
            l.time_ms += i;
            l.role = i % 3 == 0 ? "front" : "back";
            l.message = std::to_string(i);
            out << format_log_line(l, log_format::plain, false) << "\n";
        }
    };
    write(dir / "myapp.log.1", 1, 10);
    write(dir / "myapp.log", 11, 20);
    const auto t0 = sample_line().time_ms;
    // Up to line 17, which the ring holds (of that millisecond), the last 5 of role back,
    // the first of them from the rotation: 10 11 13 14 16 (12 and 15 are front's).
    auto ring_17 = sample_line();
    ring_17.time_ms += 17;
    ring_17.message = "17";
    auto lines = older_file_lines({dir / "myapp.log"}, "back", t0 + 17, {ring_17}, 5);
    std::vector<std::string> got;
    for (const auto& l : lines)
        got.push_back(l.message);
    EXPECT_EQ(got, (std::vector<std::string>{"10", "11", "13", "14", "16"}));
    // More than the file holds: its rotation first, in order.
    // A line of the oldest millisecond that the ring does not hold is taken.
    lines = older_file_lines({dir / "myapp.log"}, "", t0 + 4, {}, 100);
    ASSERT_EQ(lines.size(), 4u);
    EXPECT_EQ(lines[0].message, "1");
    EXPECT_EQ(lines[3].message, "4");
    EXPECT_TRUE(older_file_lines({dir / "nothing.log"}, "", t0 + 100, {}, 10).empty());
    fs::remove_all(dir);
}

TEST(log_format, pretty_is_coloured_only_when_asked) {
    auto l = sample_line();
    auto plain = format_log_line(l, log_format::pretty, false);
    EXPECT_EQ(plain.find('\033'), std::string::npos) << plain;
    EXPECT_NE(plain.find("myapp back#2"), std::string::npos) << plain;
    EXPECT_NE(plain.find(" out "), std::string::npos) << plain;
    EXPECT_NE(format_log_line(l, log_format::pretty, true).find('\033'), std::string::npos);
    EXPECT_EQ(parse_log_format("json"), log_format::json);
    EXPECT_FALSE(parse_log_format("fancy"));
}

TEST(log_ring, keeps_the_newest_lines_and_selects_by_role_and_sequence) {
    log_ring ring{3};
    for (int i = 1; i <= 5; ++i) {
        log_line l;
        l.role = i % 2 == 0 ? "back" : "front";
        l.message = std::to_string(i);
        ring.add(l);
    }
    EXPECT_EQ(ring.last(), 5u);
    auto all = ring.select("", 0, 10);
    ASSERT_EQ(all.size(), 3u);
    EXPECT_EQ(all[0].message, "3");
    EXPECT_EQ(all[2].message, "5");
    auto back = ring.select("back", 0, 10);
    ASSERT_EQ(back.size(), 1u);
    EXPECT_EQ(back[0].message, "4");
    EXPECT_EQ(ring.select("", 4, 10).size(), 1u);
    EXPECT_EQ(ring.select("", 0, 2)[0].message, "4");
    EXPECT_TRUE(ring.dropped_any());
    log_ring roomy{10};
    roomy.add(log_line{});
    EXPECT_FALSE(roomy.dropped_any());
}

TEST(output_capture, a_full_pipe_shows_its_worker_blocked_until_the_kingpin_reads_it) {
    // Lines go to this test's own stderr: few of them, and useful when it fails.
    log_settings settings;
    settings.app = "t";
    log_writer writer{settings};
    log_ring ring{100};
    output_capture capture{writer, ring};
    auto pipes = capture.make_pipes();
    ASSERT_TRUE(pipes);
    int out = pipes->out_write.get();
    capture.attach(4242, "back", 1, std::move(pipes->out_read), std::move(pipes->err_read));
    EXPECT_FALSE(capture.blocked(4242));
    ::fcntl(out, F_SETFL, O_NONBLOCK);
    std::string line(99, 'z');
    line.push_back('\n');
    while (::write(out, line.data(), line.size()) > 0) {
    }
    EXPECT_TRUE(capture.blocked(4242));
    pollfd readable{capture.fd(), POLLIN, 0};
    ASSERT_GT(::poll(&readable, 1, 1000), 0);
    capture.on_readable();
    EXPECT_FALSE(capture.blocked(4242));
    EXPECT_GT(capture.lines(4242), 100u);
    auto last = ring.select("back", 0, 1);
    ASSERT_EQ(last.size(), 1u);
    EXPECT_EQ(last[0].slot, 1);
    EXPECT_EQ(last[0].pid, 4242);
    EXPECT_EQ(last[0].stream, "stdout");
    EXPECT_EQ(last[0].message, std::string(99, 'z'));
    capture.detach(4242);
    EXPECT_EQ(capture.lines(4242), 0u);
}

}  // namespace
}  // namespace mob::detail
