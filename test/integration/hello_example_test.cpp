// The original README's example app (examples/hello), the one `make demo` runs and the README
// tours: it serves HTTP from its front workers and reaches the back through every form
// of call and a message.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cluster.hpp"

namespace mob::test {
namespace {

int free_port() {
    int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
    socklen_t len = sizeof addr;
    ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
    ::close(fd);
    return ntohs(addr.sin_port);
}

std::string http_get(int port, const std::string& path) {
    int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    timeval tv{5, 0};
    ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(static_cast<std::uint16_t>(port));
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
        ::close(fd);
        return {};
    }
    auto req = "GET " + path + " HTTP/1.0\r\nHost: localhost\r\n\r\n";
    ::send(fd, req.data(), req.size(), MSG_NOSIGNAL);
    std::string answer;
    char buf[1024];
    for (ssize_t n; (n = ::recv(fd, buf, sizeof buf, 0)) > 0;)
        answer.append(buf, static_cast<std::size_t>(n));
    ::close(fd);
    return answer;
}

TEST(hello_example, serves_hello_world_and_reaches_the_back_every_way) {
    temp_dir dir;
    auto port = free_port();
    child_process app{{MOB_HELLO_APP},
                      {{"MOB_RUNTIME_DIR", dir.path()}, {"HELLO_PORT", std::to_string(port)}}};
    ASSERT_TRUE(app.wait_for(full_line, 10s)) << app.output();
    EXPECT_EQ(app.matches(std::regex{"Background worker \\d+ running."}).size(), 4u);
    EXPECT_EQ(app.matches(std::regex{"Server \\d+ running at http://127.0.0.1:"}).size(), 2u);

    auto answer = http_get(port, "/the/quick/fox");
    EXPECT_NE(answer.find("200 OK"), std::string::npos) << answer;
    EXPECT_NE(answer.find("\r\n\r\nHello World\n"), std::string::npos) << answer;

    EXPECT_TRUE(app.wait_for(std::regex{"Server \\d+ served an http request."}, 5s))
        << app.output();
    EXPECT_TRUE(app.wait_for(std::regex{"Bar! My pid is \\d+"}, 5s)) << app.output();
    EXPECT_TRUE(app.wait_for(std::regex{"got: Hello, /the/quick/fox! \\(from back \\d+\\)"}, 5s))
        << app.output();
    EXPECT_TRUE(app.wait_for(std::regex{"learned that /the/quick/fox has 3 words."}, 5s))
        << app.output();
    EXPECT_TRUE(app.wait_for(std::regex{"got it shouted: /THE/QUICK/FOX!"}, 5s)) << app.output();
    EXPECT_TRUE(
        app.wait_for_count(std::regex{"Back \\d+ heard: front \\d+ served /the/quick/fox"}, 4, 5s))
        << app.output();

    // A back worker killed: the kingpin's death observer alerts, and the replacement
    // reads why its predecessor died.
    auto backs = app.matches(std::regex{"Background worker (\\d+) running."});
    ASSERT_FALSE(backs.empty());
    const auto victim = backs.front();
    ::kill(std::stoi(victim), SIGKILL);
    EXPECT_TRUE(
        app.wait_for(std::regex{"alert: back worker " + victim + " died \\(1 so far\\)"}, 5s))
        << app.output();
    EXPECT_TRUE(app.wait_for(
        std::regex{"Back \\d+ replaces a worker that died: .*" + victim + ".*SIGKILL"}, 10s))
        << app.output();

    app.signal(SIGINT);
    auto status = app.wait_exit(5s);
    ASSERT_TRUE(status);
    EXPECT_TRUE(WIFEXITED(*status) && WEXITSTATUS(*status) == 0) << app.output();
    // Each front's shutdown hook ran.
    EXPECT_EQ(app.matches(std::regex{"Server (\\d+) closing."}).size(), 2u) << app.output();
}

TEST(messages_example, exchanges_every_kind_of_message) {
    temp_dir dir;
    child_process app{{MOB_MESSAGES_APP}, {{"MOB_RUNTIME_DIR", dir.path()}}};
    ASSERT_TRUE(app.wait_for(full_line, 10s)) << app.output();
    EXPECT_TRUE(app.wait_for_count(std::regex{"pong \\d+ got 'to every process'"}, 3, 5s))
        << app.output();
    EXPECT_TRUE(app.wait_for_count(std::regex{"pong \\d+ got 'to every pong'"}, 3, 5s))
        << app.output();
    EXPECT_TRUE(app.wait_for(std::regex{"pong \\d+ got 'to any one pong'"}, 5s)) << app.output();
    EXPECT_TRUE(app.wait_for(std::regex{"pong (\\d+) got 'to pong \\1 only'"}, 5s)) << app.output();
    EXPECT_TRUE(app.wait_for(std::regex{"ping \\d+ got topic 'hello' \\(std::string\\)"}, 5s))
        << app.output();
    EXPECT_TRUE(
        app.wait_for(std::regex{"came back: no worker of app 'messages' has pid 999999999"}, 5s))
        << app.output();
    app.signal(SIGINT);
    auto status = app.wait_exit(5s);
    ASSERT_TRUE(status);
    EXPECT_TRUE(WIFEXITED(*status) && WEXITSTATUS(*status) == 0) << app.output();
}

}  // namespace

#ifdef MOB_BROKER
// examples/external: workers started by hand join a mob-broker over TCP, the front
// calls the back through the broker (the docker-compose topology, without docker).
TEST(external_example, workers_started_by_hand_join_a_mob_broker_over_tcp) {
    temp_dir dir;
    child_process broker{{MOB_BROKER, "--app", "shop", "--runtime-dir", dir.path(), "--tcp",
                          "tcp://127.0.0.1:0", "--insecure", "--role", "back=1", "--role",
                          "front=1"}};
    const std::regex listening{"listening on (tcp://[0-9.]+:[0-9]+)"};
    ASSERT_TRUE(broker.wait_for(listening, 10s)) << broker.output();
    const auto endpoint = broker.matches(listening).back();

    // The front starts first: its call waits in the broker until a back has joined.
    child_process front{{MOB_EXTERNAL_WORKER}, {{"MOB_ENDPOINT", endpoint}, {"MOB_ROLE", "front"}}};
    child_process back{{MOB_EXTERNAL_WORKER}, {{"MOB_ENDPOINT", endpoint}, {"MOB_ROLE", "back"}}};
    EXPECT_TRUE(front.wait_for(std::regex{"front/\\S+: 2 \\+ 3 = 5"}, 10s)) << front.output();
    EXPECT_TRUE(broker.wait_for(full_line, 10s)) << broker.output();

    broker.signal(SIGTERM);
    auto status = broker.wait_exit(10s);
    ASSERT_TRUE(status);
    EXPECT_TRUE(WIFEXITED(*status) && WEXITSTATUS(*status) == 0) << broker.output();
    EXPECT_TRUE(back.wait_exit(10s)) << back.output();
    EXPECT_TRUE(front.wait_exit(10s)) << front.output();
}
#endif

}  // namespace mob::test
