// The ZAP handler, the allow-list and the refusal log without processes: a real CURVE
// server and clients over loopback TCP in one context (inproc has no handshake) (the handler
// answers from the test's thread, as from the kingpin's loop), a directory changed under the
// allow-list, and the refusal log driven by the test's own clock.
#include <gtest/gtest.h>

#include "curve_allow_list.hpp"
#include "refusal_log.hpp"
#include "zap_handler.hpp"

#include <mob/curve.hpp>
#include <mob/error.hpp>

#include <chrono>
#include <filesystem>
#include <fstream>

namespace {
using namespace std::chrono_literals;
namespace fs = std::filesystem;
using mob::detail::clock;

struct temp_keys {
    temp_keys() {
        char tmpl[] = "/tmp/mobzap-XXXXXX";
        dir = ::mkdtemp(tmpl);
        fs::create_directory(dir / "allow");
    }
    ~temp_keys() { fs::remove_all(dir); }
    mob::curve::key_pair make(const std::string& name, bool allow) {
        auto k = mob::curve::generate();
        mob::curve::write_key_pair(dir, name, k);
        if (allow)
            fs::copy_file(dir / (name + ".pub"), dir / "allow" / (name + ".pub"));
        return k;
    }
    fs::path dir;
};

/// One CURVE client of `server`'s key: sends a frame and says whether it came through
/// (and with which User-Id), answering ZAP requests meanwhile; nullopt once refused.
std::optional<std::string> through(zmq::context_t& ctx, zmq::socket_t& server,
                                   const std::string& endpoint, mob::detail::zap_handler& zap,
                                   const mob::detail::refusal_log& refusals,
                                   const mob::curve::key& server_key,
                                   const mob::curve::key_pair& client_keys) {
    zmq::socket_t client{ctx, zmq::socket_type::dealer};
    client.set(zmq::sockopt::linger, 0);
    client.set(zmq::sockopt::curve_serverkey, zmq::buffer(server_key));
    client.set(zmq::sockopt::curve_publickey, zmq::buffer(client_keys.public_key));
    client.set(zmq::sockopt::curve_secretkey, zmq::buffer(client_keys.secret_key));
    client.connect(endpoint);
    (void)client.send(zmq::str_buffer("hi"), zmq::send_flags::dontwait);
    const auto refused_before = refusals.total();
    auto deadline = clock::now() + 5s;
    while (clock::now() < deadline && refusals.total() == refused_before) {
        zap.handle_incoming(clock::now());
        std::vector<zmq::message_t> got;
        if (zmq::recv_multipart(server, std::back_inserter(got), zmq::recv_flags::dontwait)) {
            const char* user = zmq_msg_gets(got.back().handle(), "User-Id");
            return std::string{user != nullptr ? user : ""};
        }
        zmq::pollitem_t items[] = {{zap.socket().handle(), 0, ZMQ_POLLIN, 0},
                                   {server.handle(), 0, ZMQ_POLLIN, 0}};
        zmq::poll(items, 2, 20ms);
    }
    return std::nullopt;
}

}  // namespace

TEST(zap_handler, admits_allowed_keys_with_their_name_as_user_id_and_counts_the_rest) {
    temp_keys keys;
    auto server_keys = mob::curve::generate();
    auto alice = keys.make("alice", true);
    auto eve = keys.make("eve", false);
    zmq::context_t ctx;
    mob::detail::curve_allow_list allowed{keys.dir / "allow"};
    mob::detail::refusal_log refusals;
    mob::detail::zap_handler zap{ctx, allowed, refusals};
    zmq::socket_t server{ctx, zmq::socket_type::router};
    server.set(zmq::sockopt::linger, 0);
    server.set(zmq::sockopt::curve_server, true);
    server.set(zmq::sockopt::curve_secretkey, zmq::buffer(server_keys.secret_key));
    server.set(zmq::sockopt::zap_domain, mob::detail::zap_handler::domain);
    server.bind("tcp://127.0.0.1:*");
    const auto endpoint = server.get(zmq::sockopt::last_endpoint);

    EXPECT_EQ(through(ctx, server, endpoint, zap, refusals, server_keys.public_key, alice),
              "alice");
    EXPECT_EQ(zap.admitted(), 1u);
    EXPECT_EQ(through(ctx, server, endpoint, zap, refusals, server_keys.public_key, eve),
              std::nullopt);
    EXPECT_EQ(refusals.counts().at("unknown_key"), 1u);
    EXPECT_EQ(allowed.size(), 1u);
}

TEST(curve_allow_list, reads_the_directory_again_when_it_changes_and_skips_what_is_not_a_key) {
    temp_keys keys;
    auto alice = keys.make("alice", true);
    auto bob = keys.make("bob", false);
    // Not keys: a secret, a text file, a broken .pub.
    fs::copy_file(keys.dir / "bob.secret", keys.dir / "allow" / "bob.secret");
    std::ofstream{keys.dir / "allow" / "README"} << "not a key\n";
    std::ofstream{keys.dir / "allow" / "broken.pub"} << "curve\n    public-key = \"short\"\n";
    mob::detail::curve_allow_list allowed{keys.dir / "allow"};
    EXPECT_EQ(allowed.size(), 1u);
    ASSERT_NE(allowed.find(alice.public_key), nullptr);
    EXPECT_EQ(*allowed.find(alice.public_key), "alice");
    EXPECT_EQ(allowed.find(bob.public_key), nullptr);  // its secret file does not count
    EXPECT_FALSE(allowed.refresh());                   // nothing changed

    fs::copy_file(keys.dir / "bob.pub", keys.dir / "allow" / "bob.pub");
    EXPECT_TRUE(allowed.refresh());
    ASSERT_NE(allowed.find(bob.public_key), nullptr);
    EXPECT_EQ(*allowed.find(bob.public_key), "bob");

    // The directory gone: nobody is admitted, nothing throws.
    fs::remove_all(keys.dir / "allow");
    EXPECT_TRUE(allowed.refresh());
    EXPECT_EQ(allowed.size(), 0u);
    EXPECT_THROW(mob::detail::curve_allow_list{keys.dir / "allow"}, mob::error);
}

TEST(refusal_log, counts_every_refusal_and_logs_a_peer_once_per_interval) {
    mob::detail::refusal_log log{60s};
    auto t0 = clock::time_point{} + 1h;
    EXPECT_TRUE(log.refuse("unknown_key", "10.0.0.1", "a worker from 10.0.0.1", t0));
    EXPECT_FALSE(log.refuse("unknown_key", "10.0.0.1", "a worker from 10.0.0.1", t0 + 1s));
    EXPECT_TRUE(log.refuse("unknown_key", "10.0.0.2", "a worker from 10.0.0.2", t0 + 1s));
    EXPECT_TRUE(log.refuse("not_curve", "10.0.0.1", "a peer", t0 + 2s));  // another reason
    EXPECT_FALSE(log.refuse("unknown_key", "10.0.0.1", "a worker from 10.0.0.1", t0 + 59s));
    EXPECT_TRUE(log.refuse("unknown_key", "10.0.0.1", "a worker from 10.0.0.1", t0 + 61s));
    EXPECT_EQ(log.counts().at("unknown_key"), 5u);
    EXPECT_EQ(log.counts().at("not_curve"), 1u);
    EXPECT_EQ(log.total(), 6u);
}
