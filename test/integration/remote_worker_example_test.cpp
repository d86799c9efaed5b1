// examples/remote-worker: a worker started by hand joins the app's kingpin over TCP
// and serves its `remote` role; the kingpin never starts or restarts it, and stops it
// with the app. Keys as its README makes them: `mobctl keygen`, an allow-list.
#include <gtest/gtest.h>
#include <sys/wait.h>

#include "cluster.hpp"
#include "key_dir.hpp"

namespace mob::test {
namespace {

TEST(remote_worker_example, a_worker_started_by_hand_joins_over_tcp_and_serves_the_app) {
    temp_dir dir;
    key_dir keys;
    ASSERT_TRUE(keys.keygen("remote-app") && keys.keygen("remote-1") && keys.keygen("stranger"));
    keys.allow("remote-1");
    child_process app{{MOB_REMOTE_APP},
                      {{"MOB_RUNTIME_DIR", dir.path()},
                       {"MOB_TCP_ENDPOINT", "tcp://127.0.0.1:0"},
                       {"MOB_CURVE_SECRET_FILE", keys.secret("remote-app")},
                       {"MOB_CURVE_ALLOW_DIR", keys.allow()}}};
    const std::regex listening{"listening on (tcp://[0-9.]+:[0-9]+)"};
    ASSERT_TRUE(app.wait_for(listening, 10s)) << app.output();
    const auto endpoint = app.matches(listening).front();
    // With no remote worker yet, the local role's calls wait in the broker and time out.
    EXPECT_TRUE(app.wait_for(std::regex{"local \\d+: 'tick \\d+' failed \\(timeout\\)"}, 10s))
        << app.output();

    // A worker whose key is not admitted is refused at the handshake, and never serves.
    std::map<std::string, std::string> stranger_env{
        {"MOB_ENDPOINT", endpoint},
        {"MOB_ROLE", "remote"},
        {"MOB_CURVE_SECRET_FILE", keys.secret("stranger")},
        {"MOB_CURVE_SERVER_KEY_FILE", keys.pub("remote-app")}};
    {
        child_process stranger{{MOB_REMOTE_WORKER}, stranger_env};
        EXPECT_TRUE(app.wait_for(
            std::regex{"refused a worker from .*: its CURVE key .* is not in the allow-list"}, 10s))
            << app.output();
        EXPECT_TRUE(app.matches(std::regex{"from remote worker"}).empty()) << app.output();
    }

    const std::map<std::string, std::string> by_hand{
        {"MOB_ENDPOINT", endpoint},
        {"MOB_ROLE", "remote"},
        {"MOB_CURVE_SECRET_FILE", keys.secret("remote-1")},
        {"MOB_CURVE_SERVER_KEY_FILE", keys.pub("remote-app")}};
    std::optional<child_process> first{std::in_place, std::vector<std::string>{MOB_REMOTE_WORKER},
                                       by_hand};
    const auto first_pid = std::to_string(first->pid());
    EXPECT_TRUE(first->wait_for(std::regex{"remote worker \\d+ serving fingerprint"}, 10s))
        << first->output();
    EXPECT_TRUE(app.wait_for(std::regex{"-> [0-9a-f]{16}, from remote worker " + first_pid}, 10s))
        << app.output();
    EXPECT_TRUE(app.wait_for(
        std::regex{"ready: remote worker pid " + first_pid + " \\(.*, CURVE key 'remote-1'\\)"},
        1s))
        << app.output();

    // Killed, it is not restarted: the kingpin does not own it. Another one started by
    // hand takes its place.
    const auto before = app.line_count();
    first->signal(SIGKILL);
    ASSERT_TRUE(first->wait_exit(5s));
    first.reset();
    child_process second{{MOB_REMOTE_WORKER}, by_hand};
    const auto second_pid = std::to_string(second.pid());
    EXPECT_TRUE(
        app.wait_for(std::regex{"-> [0-9a-f]{16}, from remote worker " + second_pid}, 10s, before))
        << app.output();
    EXPECT_TRUE(app.matches(std::regex{"ready: remote worker pid (\\d+)"}, before).size() == 1u)
        << app.output();

    // Stopping the app stops the worker it did not start, too.
    app.signal(SIGINT);
    auto status = app.wait_exit(10s);
    ASSERT_TRUE(status);
    EXPECT_TRUE(WIFEXITED(*status) && WEXITSTATUS(*status) == 0) << app.output();
    auto worker_status = second.wait_exit(10s);
    ASSERT_TRUE(worker_status) << second.output();
    EXPECT_TRUE(WIFEXITED(*worker_status) && WEXITSTATUS(*worker_status) == 0) << second.output();
    EXPECT_TRUE(second.wait_for(std::regex{"remote worker \\d+ stopping"}, 1s)) << second.output();
}

}  // namespace
}  // namespace mob::test
