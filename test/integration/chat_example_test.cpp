// examples/chat: a room, two users and a visitor who joins and leaves, over topics and
// typed handlers; messages to all, any, an id and a pid; and messages that come back.
#include <gtest/gtest.h>
#include <sys/wait.h>

#include "cluster.hpp"

namespace mob::test {
namespace {

TEST(chat_example, users_meet_a_visitor_who_leaves_and_undeliverable_messages_come_back) {
    temp_dir dir;
    child_process app{{MOB_CHAT_APP}, {{"MOB_RUNTIME_DIR", dir.path()}}};

    // Joining: the room announces each member to every process.
    EXPECT_TRUE(app.wait_for_count(std::regex{"(?:^|stdout: )room: user-\\d+ joined"}, 2, 10s))
        << app.output();
    ASSERT_TRUE(app.wait_for(std::regex{"(?:^|stdout: )room: visitor-\\d+ joined"}, 10s))
        << app.output();
    const auto visitor =
        app.matches(std::regex{"(?:^|stdout: )room: (visitor-\\d+) joined"}).front();

    // Whispers to a pid: each user greets the other, and the visitor greets both.
    EXPECT_TRUE(app.wait_for_count(
        std::regex{"(?:^|stdout: )user-\\d+ got a whisper from user-\\d+: hi"}, 2, 5s))
        << app.output();
    // A line said to any("room") reaches all("user").
    EXPECT_TRUE(app.wait_for_count(
        std::regex{"(?:^|stdout: )user-\\d+ heard " + visitor + ": hello everyone, I cannot stay"},
        2, 5s))
        << app.output();

    // Leaving: announced to everyone; the users' goodbyes come back to each of them, and
    // the visitor's process ends without being restarted.
    EXPECT_TRUE(app.wait_for(
        std::regex{"(?:^|stdout: )room: " + visitor + " left \\(2 in the room\\)"}, 5s))
        << app.output();
    EXPECT_TRUE(app.wait_for_count(std::regex{"(?:^|stdout: )user-\\d+: goodbye to " + visitor +
                                              " came back \\(handler_failed\\)"},
                                   2, 5s))
        << app.output();
    EXPECT_TRUE(
        app.wait_for(std::regex{"visitor worker pid \\d+ died: exit code 0; not restarting"}, 5s))
        << app.output();
    // A message to a role nobody runs comes back too.
    EXPECT_TRUE(app.wait_for_count(
        std::regex{"(?:^|stdout: )user-\\d+: report to moderators came back \\(unknown_role\\)"}, 2,
        5s))
        << app.output();

    app.signal(SIGINT);
    auto status = app.wait_exit(10s);
    ASSERT_TRUE(status);
    EXPECT_TRUE(WIFEXITED(*status) && WEXITSTATUS(*status) == 0) << app.output();
    // The visitor came once: gone, it was not brought back.
    EXPECT_EQ(app.matches(std::regex{"ready: visitor worker pid"}).size(), 1u) << app.output();
}

}  // namespace
}  // namespace mob::test
