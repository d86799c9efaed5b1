// CURVE on the TCP endpoint (issue 11, point 1): a mob-broker with a key pair and an
// allow-list directory admits only workers whose public key is in it; an unknown key, no
// key and PLAIN never get past the handshake, are never routed to, and are counted and
// logged once per peer per interval; a key added to the directory is admitted without a
// restart; a role restricted to named keys refuses another key; status names the key
// each worker used; `mobctl keygen` writes the files.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <mob/worker.hpp>

#include "cluster.hpp"
#include "curve_support.hpp"

namespace {
using namespace mob::test;
using namespace std::chrono_literals;

class curve : public ::testing::Test {
  protected:
    void SetUp() override {
        for (const char* name : {"broker", "alice", "bob", "eve"})
            ASSERT_TRUE(keys.keygen(name)) << name;
    }
    key_dir keys;
    temp_dir runtime;
};

bool ready_line_for(child_process& broker, pid_t pid, std::chrono::milliseconds timeout) {
    return broker.wait_for(std::regex{fmt::format("ready: \\w+ worker pid {} ", pid)}, timeout)
        .has_value();
}

}  // namespace

TEST_F(curve, an_allowed_key_joins_serves_and_is_named_in_status_and_logs) {
    keys.allow("alice");
    keys.allow("bob");
    auto broker = curve_broker(runtime, keys, {"--role", "back=1", "--role", "front=1"});
    auto endpoint = tcp_endpoint_of(*broker);
    ASSERT_FALSE(endpoint.empty()) << broker->output();
    auto back = keyed_worker(endpoint, "back", keys.secret("alice"), keys.pub("broker"));
    ASSERT_TRUE(ready_line_for(*broker, back->pid(), 10s)) << broker->output() << back->output();
    EXPECT_TRUE(broker->wait_for(std::regex{"ready: back .*CURVE key 'alice'"}, 1s));

    // The caller joins through worker_options (not the environment), with the broker's key
    // given as text.
    const auto broker_key = read_file(keys.pub("broker"));
    std::smatch m;
    ASSERT_TRUE(std::regex_search(broker_key, m, std::regex{"public-key = \"(.{40})\""}));
    mob::worker front{mob::worker_options{
        .endpoint = endpoint,
        .app = "testapp",
        .role = "front",
        .curve = {.secret_file = keys.secret("bob"), .server_key = m[1].str()}}};
    front.ready();
    EXPECT_EQ(front.require("back").call<std::int64_t>("whoami").get(10s).value(), back->pid());

    auto st = status_of(runtime.path());
    ASSERT_TRUE(st);
    EXPECT_EQ(st->tcp_security, "curve");
    EXPECT_EQ(st->allowed_keys, 2u);
    std::map<std::string, std::string> key_of;
    for (const auto& w : st->workers)
        key_of[w.role] = w.key;
    EXPECT_EQ(key_of["back"], "alice");
    EXPECT_EQ(key_of["front"], "bob");

    // mobctl status shows them too.
    child_process ctl{{MOB_MOBCTL, "status", "testapp", "--runtime-dir", runtime.path()}};
    ASSERT_TRUE(exited_with(ctl, 0)) << ctl.output();
    EXPECT_TRUE(ctl.wait_for(std::regex{"alice"}, 1s)) << ctl.output();
    EXPECT_TRUE(ctl.wait_for(std::regex{"tcp security: curve, 2 keys"}, 1s)) << ctl.output();
}

TEST_F(curve, an_unknown_key_no_key_and_plain_are_refused_counted_and_logged_once) {
    keys.allow("alice");
    auto broker = curve_broker(runtime, keys, {"--role", "back=1"});
    auto endpoint = tcp_endpoint_of(*broker);
    ASSERT_FALSE(endpoint.empty()) << broker->output();

    // eve's key is not in the allow-list; she retries every 100-200 ms.
    auto eve = keyed_worker(endpoint, "back", keys.secret("eve"), keys.pub("broker"));
    ASSERT_TRUE(eventually([&] { return refused(runtime.path(), "unknown_key") >= 4; }, 10s))
        << broker->output();
    // Logged once for the peer within the interval (60 s), however often it tries.
    EXPECT_EQ(broker->matches(std::regex{"refused a worker from 127.0.0.1: its CURVE key"}).size(),
              1u)
        << broker->output();
    // The worker itself says why it cannot join.
    EXPECT_TRUE(eve->wait_for(std::regex{"refused this worker's handshake.*'eve'"}, 5s))
        << eve->output();

    // No key at all (ZeroMQ's NULL), and PLAIN: both fail on the greeting.
    auto no_key = keyed_worker(endpoint, "back", "", "");
    zmq::context_t ctx;
    zmq::socket_t plain{ctx, zmq::socket_type::dealer};
    plain.set(zmq::sockopt::linger, 0);
    plain.set(zmq::sockopt::plain_username, "back");
    plain.set(zmq::sockopt::plain_password, "secret");
    plain.connect(endpoint);
    plain.send(zmq::str_buffer("MOB1"), zmq::send_flags::dontwait);
    ASSERT_TRUE(eventually([&] { return refused(runtime.path(), "not_curve") >= 2; }, 10s))
        << broker->output();

    auto st = status_of(runtime.path());
    ASSERT_TRUE(st);
    EXPECT_GE(st->monitor_events["handshake_failed_auth"], 4u);
    EXPECT_GE(st->monitor_events["handshake_failed_protocol"], 2u);
    // None of them ever became a worker: nothing is routed to them.
    for (const auto& w : st->workers)
        ADD_FAILURE() << "a refused peer became a worker: " << w.id;
    EXPECT_EQ(st->roles.at(0).ready, 0u);
    zmq::pollitem_t item{plain.handle(), 0, ZMQ_POLLIN, 0};
    EXPECT_EQ(zmq::poll(&item, 1, 0ms), 0);  // the PLAIN peer never heard a thing

    // mobctl status shows the refusals by reason.
    child_process ctl{{MOB_MOBCTL, "status", "testapp", "--runtime-dir", runtime.path()}};
    ASSERT_TRUE(exited_with(ctl, 0)) << ctl.output();
    EXPECT_TRUE(ctl.wait_for(std::regex{"refused at the tcp endpoint.*unknown_key \\d+"}, 1s))
        << ctl.output();
    EXPECT_TRUE(ctl.wait_for(std::regex{"refused at the tcp endpoint.*not_curve \\d+"}, 1s))
        << ctl.output();
}

TEST_F(curve, a_key_added_to_the_allow_list_is_admitted_without_a_restart) {
    auto broker = curve_broker(runtime, keys, {"--role", "back=1"});
    auto endpoint = tcp_endpoint_of(*broker);
    ASSERT_FALSE(endpoint.empty()) << broker->output();
    auto bob = keyed_worker(endpoint, "back", keys.secret("bob"), keys.pub("broker"));
    ASSERT_TRUE(eventually([&] { return refused(runtime.path(), "unknown_key") >= 1; }, 10s))
        << broker->output();
    EXPECT_FALSE(known_worker(runtime.path(), bob->pid()));

    keys.allow("bob");  // the kingpin looks at the directory once a second
    EXPECT_TRUE(ready_line_for(*broker, bob->pid(), 10s)) << broker->output() << bob->output();
    EXPECT_TRUE(broker->wait_for(std::regex{"allow-list .* changed: 1 key admitted"}, 1s));

    // And removed: the next handshake is refused (the connection already made stays).
    std::filesystem::remove(keys.allow() + "/bob.pub");
    ASSERT_TRUE(broker->wait_for(std::regex{"changed: 0 keys admitted"}, 10s)) << broker->output();
    auto before = refused(runtime.path(), "unknown_key");
    auto again = keyed_worker(endpoint, "back", keys.secret("bob"), keys.pub("broker"));
    EXPECT_TRUE(eventually([&] { return refused(runtime.path(), "unknown_key") > before; }, 10s));
}

TEST_F(curve, a_role_restricted_to_named_keys_refuses_another_admitted_key) {
    keys.allow("alice");
    keys.allow("bob");
    auto broker = curve_broker(
        runtime, keys, {"--role", "billing=1", "--role-keys", "billing=alice", "--role", "back=1"});
    auto endpoint = tcp_endpoint_of(*broker);
    ASSERT_FALSE(endpoint.empty()) << broker->output();

    // bob's key is admitted at the door, but not for billing: the worker is refused at its
    // HELLO and leaves with exit code 2, as for a role the app does not have.
    auto bob = keyed_worker(endpoint, "billing", keys.secret("bob"), keys.pub("broker"));
    ASSERT_TRUE(exited_with(*bob, 2)) << bob->output() << broker->output();
    EXPECT_TRUE(bob->wait_for(std::regex{"role 'billing' admits only the CURVE keys alice"}, 1s))
        << bob->output();
    EXPECT_GE(refused(runtime.path(), "key_not_allowed"), 1u);

    auto alice = keyed_worker(endpoint, "billing", keys.secret("alice"), keys.pub("broker"));
    EXPECT_TRUE(ready_line_for(*broker, alice->pid(), 10s)) << broker->output() << alice->output();
    // bob still serves an unrestricted role.
    auto bob_back = keyed_worker(endpoint, "back", keys.secret("bob"), keys.pub("broker"));
    EXPECT_TRUE(ready_line_for(*broker, bob_back->pid(), 10s)) << broker->output();
}

TEST_F(curve, a_tcp_endpoint_without_keys_must_be_asked_for_and_warns) {
    // mob-broker: --tcp without keys is refused, and says what to do.
    child_process bare{{MOB_BROKER, "--app", "testapp", "--runtime-dir", runtime.path(), "--tcp",
                        "tcp://127.0.0.1:0", "--role", "back=1"}};
    ASSERT_TRUE(exited_with(bare, 2)) << bare.output();
    EXPECT_TRUE(bare.wait_for(std::regex{"needs CURVE keys.*insecure"}, 1s)) << bare.output();

    // An app's listen_tcp() the same (test_app calls app.listen_tcp(TEST_TCP)).
    child_process app{{MOB_TEST_APP},
                      {{"MOB_RUNTIME_DIR", runtime.path()},
                       {"TEST_BACK", "1"},
                       {"TEST_TCP", "tcp://127.0.0.1:0"}}};
    ASSERT_TRUE(exited_with(app, 2)) << app.output();
    EXPECT_TRUE(app.wait_for(std::regex{"needs CURVE keys"}, 1s)) << app.output();

    // Asked for, it runs and warns; a worker without keys joins it.
    child_process open{{MOB_BROKER, "--app", "testapp", "--runtime-dir", runtime.path(), "--tcp",
                        "tcp://127.0.0.1:0", "--insecure", "--role", "back=1"}};
    EXPECT_TRUE(open.wait_for(std::regex{"warn: listening on .*WITHOUT authentication"}, 10s))
        << open.output();
    auto endpoint = tcp_endpoint_of(open);
    auto w = keyed_worker(endpoint, "back", "", "");
    EXPECT_TRUE(ready_line_for(open, w->pid(), 10s)) << open.output();
    EXPECT_EQ(status_of(runtime.path())->tcp_security, "insecure");
}

TEST_F(curve, spawned_workers_join_over_ipc_without_keys_beside_a_curve_endpoint) {
    keys.allow("alice");
    cluster c{{{"TEST_BACK", "2"},
               {"TEST_FRONT", "1"},
               {"TEST_TCP", "tcp://127.0.0.1:0"},
               {"TEST_REMOTE", "1"},
               {"MOB_CURVE_SECRET_FILE", keys.secret("broker")},
               {"MOB_CURVE_ALLOW_DIR", keys.allow()}}};
    auto endpoint = tcp_endpoint_of(c.kingpin());
    ASSERT_FALSE(endpoint.empty()) << c.kingpin().output();
    auto remote = keyed_worker(endpoint, "remote", keys.secret("alice"), keys.pub("broker"));
    ASSERT_TRUE(c.wait_full(15s)) << c.kingpin().output() << remote->output();
    probe p{c};
    EXPECT_EQ(p.w().require("remote").call<std::int64_t>("whoami").get(10s).value(), remote->pid());
}

TEST(keygen, writes_a_public_file_and_a_0600_secret_file_in_z85) {
    key_dir keys;
    child_process p{{MOB_MOBCTL, "keygen", "worker-1", "--dir", keys.path()}};
    ASSERT_TRUE(exited_with(p, 0)) << p.output();
    struct stat pub {};
    struct stat sec {};
    ASSERT_EQ(::stat(keys.pub("worker-1").c_str(), &pub), 0);
    ASSERT_EQ(::stat(keys.secret("worker-1").c_str(), &sec), 0);
    EXPECT_EQ(pub.st_mode & 0777, 0644u);
    EXPECT_EQ(sec.st_mode & 0777, 0600u);

    const std::regex key_line{
        "\n *public-key = \"([0-9a-zA-Z.:+=^!/*?&<>()\\[\\]{}@%$#-]{40})\"\n"};
    const std::regex secret_line{
        "\n *secret-key = \"[0-9a-zA-Z.:+=^!/*?&<>()\\[\\]{}@%$#-]{40}\"\n"};
    auto pub_text = read_file(keys.pub("worker-1"));
    auto sec_text = read_file(keys.secret("worker-1"));
    std::smatch pub_key;
    std::smatch sec_key;
    ASSERT_TRUE(std::regex_search(pub_text, pub_key, key_line)) << pub_text;
    EXPECT_FALSE(std::regex_search(pub_text, secret_line)) << pub_text;
    ASSERT_TRUE(std::regex_search(sec_text, sec_key, key_line)) << sec_text;
    EXPECT_TRUE(std::regex_search(sec_text, secret_line)) << sec_text;
    EXPECT_EQ(pub_key[1], sec_key[1]);
    EXPECT_TRUE(p.wait_for(
        std::regex{"public key " + std::regex_replace(pub_key[1].str(),
                                                      std::regex{R"([.^$|()\[\]{}*+?\\-])"},
                                                      R"(\$&)")},
        1s))
        << p.output();

    // A key is never replaced behind the user's back, and a name must be a plain word.
    child_process again{{MOB_MOBCTL, "keygen", "worker-1", "--dir", keys.path()}};
    EXPECT_TRUE(exited_with(again, 1)) << again.output();
    EXPECT_TRUE(again.wait_for(std::regex{"exists: remove it first"}, 1s)) << again.output();
    EXPECT_EQ(read_file(keys.secret("worker-1")), sec_text);
    child_process bad{{MOB_MOBCTL, "keygen", "../evil", "--dir", keys.path()}};
    EXPECT_TRUE(exited_with(bad, 2)) << bad.output();
}
