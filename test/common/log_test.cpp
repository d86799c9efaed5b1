// The logger: one whole line per event, prefixed with app, role and pid, coloured only
// on a terminal, filtered by level.
#include <gtest/gtest.h>
#include <unistd.h>
#include <mob/log.hpp>

#include <string>

namespace {

/// Runs `fn` with stderr sent to a pipe; returns what it wrote.
template <typename F>
std::string capture_stderr(F fn) {
    int fds[2];
    EXPECT_EQ(::pipe(fds), 0);
    int saved = ::dup(STDERR_FILENO);
    ::dup2(fds[1], STDERR_FILENO);
    fn();
    ::dup2(saved, STDERR_FILENO);
    ::close(saved);
    ::close(fds[1]);
    std::string out;
    char buf[512];
    for (ssize_t n; (n = ::read(fds[0], buf, sizeof buf)) > 0;)
        out.append(buf, static_cast<std::size_t>(n));
    ::close(fds[0]);
    return out;
}

TEST(log, a_line_carries_app_role_pid_and_level_and_no_colour_off_a_terminal) {
    mob::log::set_context("myapp", "back");
    mob::log::set_threshold(mob::log::level::info);
    auto out = capture_stderr([] { mob::log::info("worker {} is ready", 7); });
    EXPECT_EQ(out, "[myapp back " + std::to_string(::getpid()) + "] info: worker 7 is ready\n");
    EXPECT_EQ(out.find('\033'), std::string::npos);
}

TEST(log, lines_below_the_threshold_are_not_written) {
    mob::log::set_context("myapp", "kingpin");
    mob::log::set_threshold(mob::log::level::warn);
    auto out = capture_stderr([] {
        mob::log::debug("not this");
        mob::log::info("nor this");
        mob::log::warn("but this");
        mob::log::error("and this");
    });
    EXPECT_EQ(out.find("not this"), std::string::npos);
    EXPECT_EQ(out.find("nor this"), std::string::npos);
    EXPECT_NE(out.find("warn: but this\n"), std::string::npos);
    EXPECT_NE(out.find("error: and this\n"), std::string::npos);
    mob::log::set_threshold(mob::log::level::info);
}

}  // namespace
