// External workers: programs that link libmob-worker, started by hand with MOB_ENDPOINT
// and MOB_ROLE, join a kingpin over TCP and serve calls; external roles count toward
// `full`; mob-broker runs a kingpin of external roles only; a worker that loses its
// broker reconnects by itself, and its calls in flight fail instead of hanging.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <mob/control.hpp>
#include <mob/worker.hpp>
#include <zmq.hpp>

#include <fstream>
#include <regex>

#include "cluster.hpp"
#include "status_query.hpp"

namespace {
using namespace mob::test;
using namespace std::chrono_literals;

const std::regex listening{"listening on (tcp://[0-9.]+:[0-9]+)"};

/// The TCP endpoint a kingpin logged it is listening on, port 0 resolved.
std::string tcp_endpoint_of(child_process& kingpin) {
    if (!kingpin.wait_for(listening, 10s))
        return {};
    auto found = kingpin.matches(listening);
    return found.empty() ? std::string{} : found.back();
}

/// An external worker: the exec test program with only MOB_ENDPOINT and MOB_ROLE (and
/// what `extra` adds), the way a person starts one on another machine.
std::unique_ptr<child_process> external_worker(const std::string& endpoint, const std::string& role,
                                               std::map<std::string, std::string> extra = {}) {
    extra["MOB_ENDPOINT"] = endpoint;
    extra["MOB_ROLE"] = role;
    return std::make_unique<child_process>(std::vector<std::string>{MOB_EXEC_WORKER, "outside"},
                                           std::move(extra));
}

const mob::control::role_status* role_in(const mob::control::app_status& s,
                                         const std::string& name) {
    for (const auto& r : s.roles) {
        if (r.name == name)
            return &r;
    }
    return nullptr;
}

/// A mob-broker of app "testapp" on a fresh runtime directory, its TCP endpoint without
/// CURVE (curve_test.cpp tests the keys).
std::unique_ptr<child_process> mob_broker(const temp_dir& dir, std::vector<std::string> args) {
    args.insert(args.begin(),
                {MOB_BROKER, "--app", "testapp", "--runtime-dir", dir.path(), "--insecure"});
    return std::make_unique<child_process>(std::move(args));
}

bool ready_line_for(child_process& broker, pid_t pid, std::chrono::milliseconds timeout,
                    std::size_t from = 0) {
    return broker
        .wait_for(std::regex{fmt::format("ready: \\w+ worker pid {} ", pid)}, timeout, from)
        .has_value();
}

}  // namespace

TEST(external_worker, joins_a_kingpin_over_tcp_and_serves_calls) {
    // listen_tcp() with port 0: the kingpin logs the port it got.
    cluster c{{{"TEST_BACK", "1"},
               {"TEST_FRONT", "1"},
               {"TEST_TCP", "tcp://127.0.0.1:0"},
               {"MOB_TCP_INSECURE", "1"},
               {"TEST_REMOTE", "1"}}};
    auto endpoint = tcp_endpoint_of(c.kingpin());
    ASSERT_FALSE(endpoint.empty()) << c.kingpin().output();
    EXPECT_EQ(endpoint.find("tcp://127.0.0.1:0"), std::string::npos) << endpoint;

    auto remote = external_worker(endpoint, "remote");  // no MOB_APP: the broker's app
    ASSERT_TRUE(c.wait_full(15s)) << c.kingpin().output() << remote->output();

    probe p{c};
    auto remote_pid = p.w().require("remote").call<std::int64_t>("whoami").value();
    EXPECT_EQ(remote_pid, remote->pid());
    EXPECT_EQ(p.w().require("remote").call<std::string>("tag").value(), "outside");

    auto st = status_of(c.runtime_dir(), "testapp");
    ASSERT_TRUE(st);
    EXPECT_NE(std::find(st->endpoints.begin(), st->endpoints.end(), endpoint), st->endpoints.end());
    bool seen = false;
    for (const auto& w : st->workers) {
        if (w.pid == remote->pid()) {
            seen = true;
            EXPECT_FALSE(w.local);
            EXPECT_EQ(w.role, "remote");
            EXPECT_EQ(w.state, "ready");
        }
    }
    EXPECT_TRUE(seen);
}

TEST(external_role, counts_toward_full_and_its_calls_wait_until_a_worker_joins) {
    // MOB_TCP_ENDPOINT gives the kingpin its TCP endpoint without code.
    cluster c{{{"TEST_BACK", "1"},
               {"TEST_FRONT", "1"},
               {"MOB_TCP_ENDPOINT", "tcp://127.0.0.1:0"},
               {"MOB_TCP_INSECURE", "1"},
               {"TEST_REMOTE", "2"}}};
    auto endpoint = tcp_endpoint_of(c.kingpin());
    ASSERT_FALSE(endpoint.empty()) << c.kingpin().output();
    ASSERT_TRUE(c.kingpin().wait_for(std::regex{"ready: front worker"}, 15s));
    ASSERT_TRUE(c.kingpin().wait_for(std::regex{"ready: back worker"}, 15s));

    probe p{c};
    // A call to a role with no worker yet waits in the broker.
    auto pending = p.w().require("remote").call<std::int64_t>("whoami");

    // The call reaches the broker a moment after call() returns: ask until it is there.
    std::optional<mob::control::app_status> st;
    const mob::control::role_status* r = nullptr;
    EXPECT_TRUE(eventually(
        [&] {
            st = status_of(c.runtime_dir(), "testapp");
            r = st ? role_in(*st, "remote") : nullptr;
            return r != nullptr && r->queued_calls == 1;
        },
        5s))
        << "the call never waited in the broker";
    ASSERT_NE(r, nullptr);
    EXPECT_TRUE(r->external);
    EXPECT_EQ(r->target, 2u);
    EXPECT_EQ(r->joined, 0u);
    EXPECT_EQ(r->alive, 0u);  // none started by the kingpin
    EXPECT_FALSE(role_in(*st, "back")->external);

    auto first = external_worker(endpoint, "remote");
    EXPECT_EQ(pending.value(), first->pid());  // the waiting call went to the first to join
    EXPECT_TRUE(eventually(
        [&] {
            auto s = status_of(c.runtime_dir(), "testapp");
            return s && role_in(*s, "remote")->joined == 1 && role_in(*s, "remote")->ready == 1;
        },
        10s));
    EXPECT_TRUE(c.kingpin().matches(full_line).empty()) << "full with 1 of 2 external workers";

    auto second = external_worker(endpoint, "remote");
    ASSERT_TRUE(c.wait_full(15s)) << c.kingpin().output();
    st = status_of(c.runtime_dir(), "testapp");
    ASSERT_TRUE(st);
    EXPECT_EQ(role_in(*st, "remote")->joined, 2u);
    EXPECT_EQ(role_in(*st, "remote")->ready, 2u);
}

TEST(mob_broker, gets_full_when_its_external_workers_join) {
    temp_dir dir;
    auto config = dir.path() + "/broker.conf";
    {
        std::ofstream out{config};
        out << "# the roles of this app\n"
               "tcp tcp://127.0.0.1:0\n"
               "role back=2\n"
               "\n"
               "role front=1\n";
    }
    auto broker = mob_broker(dir, {"--config", config});
    auto endpoint = tcp_endpoint_of(*broker);
    ASSERT_FALSE(endpoint.empty()) << broker->output();

    auto b1 = external_worker(endpoint, "back");
    auto b2 = external_worker(endpoint, "back");
    ASSERT_TRUE(ready_line_for(*broker, b1->pid(), 10s)) << broker->output();
    ASSERT_TRUE(ready_line_for(*broker, b2->pid(), 10s)) << broker->output();
    EXPECT_TRUE(broker->matches(full_line).empty()) << "full without its front worker";
    auto f = external_worker(endpoint, "front");
    ASSERT_TRUE(broker->wait_for(full_line, 10s)) << broker->output();

    // A worker of a role the app does not have is refused, and says so.
    auto stray = external_worker(endpoint, "nosuchrole");
    auto status = stray->wait_exit(10s);
    ASSERT_TRUE(status);
    EXPECT_EQ(WEXITSTATUS(*status), 2) << stray->output();

    broker->signal(SIGTERM);
    auto code = broker->wait_exit(10s);
    ASSERT_TRUE(code);
    EXPECT_TRUE(WIFEXITED(*code) && WEXITSTATUS(*code) == 0) << broker->output();
    // A stopping kingpin tells its external workers to stop too.
    for (auto* w : {b1.get(), b2.get(), f.get()}) {
        auto end = w->wait_exit(10s);
        ASSERT_TRUE(end) << w->output();
        EXPECT_TRUE(WIFEXITED(*end) && WEXITSTATUS(*end) == 0) << w->output();
    }
}

TEST(mob_broker, a_restarted_broker_gets_its_external_workers_back) {
    temp_dir dir;
    auto broker = mob_broker(dir, {"--tcp", "tcp://127.0.0.1:0", "--role", "back=2", "--role",
                                   "client=1", "--heartbeat-ms", "200"});
    auto endpoint = tcp_endpoint_of(*broker);
    ASSERT_FALSE(endpoint.empty()) << broker->output();
    // A short back-off, so the test takes seconds (the default is 1 s doubling to 32 s).
    std::map<std::string, std::string> fast{{"MOB_RECONNECT_MS", "100"},
                                            {"MOB_RECONNECT_MAX_MS", "400"}};
    auto b1 = external_worker(endpoint, "back", fast);
    auto b2 = external_worker(endpoint, "back", fast);
    ASSERT_TRUE(ready_line_for(*broker, b1->pid(), 10s)) << broker->output();
    ASSERT_TRUE(ready_line_for(*broker, b2->pid(), 10s)) << broker->output();

    broker->signal(SIGKILL);
    ASSERT_TRUE(broker->wait_exit(5s));

    // A new broker on the same port: the workers come back by themselves.
    auto again = mob_broker(dir, {"--tcp", endpoint, "--role", "back=2", "--role", "client=1",
                                  "--heartbeat-ms", "200"});
    ASSERT_EQ(tcp_endpoint_of(*again), endpoint) << again->output();
    EXPECT_TRUE(ready_line_for(*again, b1->pid(), 10s)) << again->output() << b1->output();
    EXPECT_TRUE(ready_line_for(*again, b2->pid(), 10s)) << again->output() << b2->output();

    mob::worker client{mob::worker_options{.endpoint = endpoint, .app = "", .role = "client"}};
    client.ready();
    ASSERT_TRUE(again->wait_for(full_line, 10s)) << again->output();
    std::set<std::int64_t> served;
    for (int i = 0; i < 20 && served.size() < 2; ++i)
        served.insert(client.require("back").call<std::int64_t>("whoami").value());
    EXPECT_EQ(served, (std::set<std::int64_t>{b1->pid(), b2->pid()}));
    // The same processes: none was restarted.
    EXPECT_EQ(b1->matches(std::regex{"EVENT start"}).size(), 1u);
    EXPECT_TRUE(process_alive(b1->pid()));
}

TEST(external_worker, a_call_in_flight_when_its_broker_dies_fails_instead_of_hanging) {
    temp_dir dir;
    auto broker = mob_broker(dir, {"--tcp", "tcp://127.0.0.1:0", "--role", "back=1", "--role",
                                   "front=1", "--heartbeat-ms", "200"});
    auto endpoint = tcp_endpoint_of(*broker);
    ASSERT_FALSE(endpoint.empty()) << broker->output();
    auto back = external_worker(endpoint, "back");
    // The front worker calls back.slow(20 s) as soon as it is ready; its timeout is 30 s.
    auto front =
        external_worker(endpoint, "front", {{"TEST_CALL_ROLE", "back"}, {"TEST_CALL_MS", "20000"}});
    ASSERT_TRUE(back->wait_for(std::regex{"EVENT slow back"}, 10s)) << broker->output();

    auto killed = std::chrono::steady_clock::now();
    broker->signal(SIGKILL);
    auto line = front->wait_for(std::regex{"EVENT call_result"}, 8s);
    ASSERT_TRUE(line) << front->output();
    EXPECT_LT(std::chrono::steady_clock::now() - killed, 8s);
    EXPECT_NE(front->line(*line).find("EVENT call_result broker_lost back.slow: the broker at"),
              std::string::npos)
        << front->line(*line);
    EXPECT_TRUE(process_alive(front->pid()));  // an external worker outlives its broker
}

TEST(mob_broker, bad_command_lines_exit_2_with_a_message) {
    temp_dir dir;
    const std::vector<std::pair<std::vector<std::string>, std::string>> cases{
        {{}, "no app name"},
        {{"--app"}, "--app wants a value"},
        {{"--app", "shop"}, "no roles"},
        {{"--app", "shop", "--role", "back"}, "--role wants NAME=COUNT"},
        {{"--app", "shop", "--role", "back=none"}, "whole number"},
        {{"--app", "shop", "--role", "back=0"}, "whole number"},
        {{"--app", "no spaces", "--role", "back=1"}, "app name 'no spaces' is not valid"},
        {{"--app", "shop", "--role", "back=1", "--tcp", "udp://x:1"}, "tcp:// endpoint"},
        {{"--app", "shop", "--role", "back=1", "--frobnicate", "1"}, "unknown option --frobnicate"},
        {{"--config", dir.path() + "/missing.conf"}, "cannot read config file"},
        {{"shop"}, "unexpected argument 'shop'"},
    };
    for (const auto& [args, message] : cases) {
        std::vector<std::string> argv{MOB_BROKER};
        argv.insert(argv.end(), args.begin(), args.end());
        child_process p{argv};
        auto status = p.wait_exit(10s);
        ASSERT_TRUE(status) << message;
        EXPECT_TRUE(WIFEXITED(*status) && WEXITSTATUS(*status) == 2) << message << p.output();
        EXPECT_TRUE(p.wait_for(
            std::regex{"mob-broker: .*" + std::regex_replace(message,
                                                             std::regex{R"([.^$|()\[\]{}*+?\\-])"},
                                                             R"(\$&)")},
            2s))
            << message << "\n"
            << p.output();
    }
    child_process help{{MOB_BROKER, "--help"}};
    auto status = help.wait_exit(10s);
    ASSERT_TRUE(status);
    EXPECT_TRUE(WIFEXITED(*status) && WEXITSTATUS(*status) == 0);
    EXPECT_TRUE(help.wait_for(std::regex{"usage: mob-broker --app NAME"}, 2s));
}

TEST(external_worker, a_call_in_flight_fails_when_a_new_broker_asks_for_hello) {
    // A long heartbeat (silence takes 3 x 3 s, at least 6 s after the kill): the new
    // broker's HELLO_AGAIN comes first, at the worker's next heartbeat at the latest.
    temp_dir dir;
    const std::vector<std::string> args{"--tcp",  "tcp://127.0.0.1:0", "--role",         "back=1",
                                        "--role", "front=1",           "--heartbeat-ms", "3000"};
    auto broker = mob_broker(dir, args);
    auto endpoint = tcp_endpoint_of(*broker);
    ASSERT_FALSE(endpoint.empty()) << broker->output();
    std::map<std::string, std::string> fast{{"MOB_RECONNECT_MS", "100"},
                                            {"MOB_RECONNECT_MAX_MS", "200"}};
    auto back = external_worker(endpoint, "back", fast);
    auto with_call = fast;
    with_call["TEST_CALL_ROLE"] = "back";
    with_call["TEST_CALL_MS"] = "20000";
    auto front = external_worker(endpoint, "front", with_call);
    ASSERT_TRUE(back->wait_for(std::regex{"EVENT slow back"}, 10s)) << broker->output();

    broker->signal(SIGKILL);
    ASSERT_TRUE(broker->wait_exit(5s));
    auto again = mob_broker(dir, {"--tcp", endpoint, "--role", "back=1", "--role", "front=1",
                                  "--heartbeat-ms", "3000"});
    auto line = front->wait_for(std::regex{"EVENT call_result"}, 8s);
    ASSERT_TRUE(line) << front->output() << again->output();
    EXPECT_NE(front->line(*line).find("EVENT call_result broker_lost back.slow: the broker at " +
                                      endpoint + " no longer knows this worker"),
              std::string::npos)
        << front->line(*line);
    // And it is back in the new broker, ready to call again.
    EXPECT_TRUE(ready_line_for(*again, front->pid(), 10s)) << again->output();
}

TEST(worker_reconnect, backs_off_from_reconnect_doubling_to_reconnect_max) {
    EXPECT_EQ(mob::worker_options{}.reconnect, 1000ms);
    EXPECT_EQ(mob::worker_options{}.reconnect_max, 32000ms);
    ::setenv("MOB_ENDPOINT", "tcp://127.0.0.1:1", 1);
    ::setenv("MOB_ROLE", "back", 1);
    ::setenv("MOB_RECONNECT_MS", "40", 1);
    ::setenv("MOB_RECONNECT_MAX_MS", "80", 1);
    auto o = mob::worker::options_from_env();
    ::unsetenv("MOB_RECONNECT_MS");
    ::unsetenv("MOB_RECONNECT_MAX_MS");
    EXPECT_EQ(o.reconnect, 40ms);
    EXPECT_EQ(o.reconnect_max, 80ms);
    EXPECT_EQ(o.app, "");  // MOB_APP is optional

    // Nothing listens on port 1: count ZeroMQ's tries. With 40 ms doubling to a cap of
    // 80 ms (plus up to 40 ms of jitter) it tries again at least every 120 ms.
    o.monitor = true;
    auto tries = [](mob::worker& w) {
        auto counts = w.monitor_counts();
        auto it = counts.find("connect_retried");
        return it == counts.end() ? std::uint64_t{0} : it->second;
    };
    mob::worker fast{o};
    EXPECT_TRUE(eventually([&] { return tries(fast) >= 8; }, 3s)) << tries(fast);

    // The default: a second try no sooner than 1 s after the first failed.
    o.reconnect = 1000ms;
    o.reconnect_max = 32000ms;
    mob::worker slow{o};
    ASSERT_TRUE(eventually([&] { return tries(slow) >= 1; }, 5s));
    auto first_failed = std::chrono::steady_clock::now();
    ASSERT_TRUE(eventually([&] { return tries(slow) >= 2; }, 5s));
    EXPECT_GE(std::chrono::steady_clock::now() - first_failed, 900ms);
}
