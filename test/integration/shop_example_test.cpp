// examples/shop, the program the container image runs, without containers: a mob-broker,
// three back workers and a front started by hand over TCP. HTTP requests reach the back
// for a result and a callback, spread over every back, and go on when one is killed.
#include <gtest/gtest.h>
#include <signal.h>

#include <set>

#include "cluster.hpp"
#include "http_client.hpp"

namespace mob::test {
namespace {

const std::regex factored_by{"factored by (back/\\S+)\\)"};

std::string served_by(const std::string& answer) {
    std::smatch m;
    return std::regex_search(answer, m, factored_by) ? m[1].str() : "";
}

/// The last of `found` as a number, 0 if none was found (the test has failed then).
int last_number(const std::vector<std::string>& found) {
    return found.empty() ? 0 : std::stoi(found.back());
}

bool ok_answer(const std::string& answer) {
    return answer.starts_with("HTTP/1.0 200 ");
}

struct shop {
    shop() {
        const std::regex listening{"listening on (tcp://[0-9.]+:[0-9]+)"};
        EXPECT_TRUE(broker.wait_for(listening, 10s)) << broker.output();
        endpoint = broker.matches(listening).back();
        // Port 0: each process binds a port the kernel picks and prints it. A port picked
        // here and bound there later could be taken in between (by a connection's own
        // end: other tests run beside this one), and the front would never join.
        for (int i = 0; i < 3; ++i) {
            backs.push_back(std::make_unique<child_process>(
                std::vector<std::string>{MOB_SHOP_WORKER},
                std::map<std::string, std::string>{
                    {"MOB_ENDPOINT", endpoint}, {"MOB_ROLE", "back"}, {"SHOP_HEALTH_PORT", "0"}}));
        }
        front = std::make_unique<child_process>(
            std::vector<std::string>{MOB_SHOP_WORKER},
            std::map<std::string, std::string>{{"MOB_ENDPOINT", endpoint},
                                               {"MOB_ROLE", "front"},
                                               {"SHOP_HTTP_PORT", "0"},
                                               {"SHOP_HEALTH_PORT", "0"}});
        EXPECT_TRUE(broker.wait_for(full_line, 20s)) << broker.output() << "front:\n"
                                                     << front->output();
        const std::regex health_port{"health port (\\d+)"};
        for (auto& b : backs) {
            EXPECT_TRUE(b->wait_for(health_port, 10s)) << b->output();
            back_health.push_back(last_number(b->matches(health_port)));
        }
        const std::regex serving{"serving http://0.0.0.0:(\\d+)/"};
        EXPECT_TRUE(front->wait_for(serving, 10s)) << front->output();
        http = last_number(front->matches(serving));
        front_health = last_number(front->matches(health_port));
    }
    ~shop() {
        broker.signal(SIGTERM);
        broker.wait_exit(10s);
    }

    temp_dir dir;
    child_process broker{{MOB_BROKER, "--app", "shop", "--runtime-dir", dir.path(), "--tcp",
                          "tcp://127.0.0.1:0", "--insecure", "--role", "back=3", "--role",
                          "front=1"}};
    std::string endpoint;
    int http = 0;  // the ports the front and the backs print
    int front_health = 0;
    std::vector<int> back_health;
    std::vector<std::unique_ptr<child_process>> backs;
    std::unique_ptr<child_process> front;
};

TEST(shop_example, answers_with_a_result_and_a_callback_from_the_back) {
    shop s;
    auto answer = http_get(s.http, "/factor/360");
    ASSERT_TRUE(ok_answer(answer)) << answer << s.front->output();
    EXPECT_TRUE(std::regex_search(answer, std::regex{"360 = 2 x 2 x 2 x 3 x 3 x 5 \\(factored by "
                                                     "back/\\S+\\)"}))
        << answer;
    EXPECT_TRUE(std::regex_search(answer, std::regex{"72 primes below 360 \\(counted by back/"}))
        << answer;

    EXPECT_TRUE(http_get(s.http, "/factor/1").starts_with("HTTP/1.0 400 ")) << s.front->output();
    EXPECT_TRUE(http_get(s.http, "/nope").starts_with("HTTP/1.0 404 "));
}

TEST(shop_example, health_ports_say_live_and_ready_once_joined) {
    shop s;
    for (int port : {s.front_health, s.back_health[0]}) {
        EXPECT_TRUE(http_get(port, "/livez").starts_with("HTTP/1.0 200 ")) << port;
        std::string ready;
        EXPECT_TRUE(eventually(
            [&] {
                ready = http_get(port, "/readyz");
                return ready.starts_with("HTTP/1.0 200 ");
            },
            10s))
            << ready;
    }
}

TEST(shop_example, calls_spread_over_every_back_and_go_on_when_one_is_killed) {
    shop s;
    // Above the primes limit: one call per request, so the least-recently-used rotation
    // reaches every back (beside a slow primes_below, the quick factor keeps landing on
    // the same one).
    std::set<std::string> servers;
    EXPECT_TRUE(eventually(
        [&] {
            auto answer = http_get(s.http, "/factor/600851475143");
            EXPECT_TRUE(ok_answer(answer)) << answer;
            servers.insert(served_by(answer));
            return servers.size() == 3;
        },
        20s))
        << "served by " << servers.size() << " backs";

    // A back killed outright: its connection drops, the broker forgets it, and every
    // request still gets its answer, from the two that are left.
    s.backs[0]->signal(SIGKILL);
    ASSERT_TRUE(s.backs[0]->wait_exit(5s));
    std::set<std::string> after;
    for (int i = 0; i < 10; ++i) {
        auto answer = http_get(s.http, "/factor/" + std::to_string(600851475143ULL + 2 * i));
        EXPECT_TRUE(ok_answer(answer)) << answer << s.front->output();
        after.insert(served_by(answer));
    }
    const auto killed = fmt::format("back/{}@", s.backs[0]->pid());
    EXPECT_LE(after.size(), 2u);
    for (const auto& id : after) {
        EXPECT_TRUE(servers.count(id) == 1) << id << " is not one of the first three backs";
        EXPECT_FALSE(id.starts_with(killed)) << "the killed back served " << id;
    }
}

}  // namespace
}  // namespace mob::test
