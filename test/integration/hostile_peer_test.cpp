// Peers that try to take what is not theirs or to hog the broker: a second connection
// with a live worker's routing id, messages over the size bound, a flood. The honest
// workers keep their place and their service; the offender is refused and counted.
#include <gtest/gtest.h>

#include <atomic>
#include <set>
#include <thread>

#include "cluster.hpp"
#include "raw_peer.hpp"
#include "status_query.hpp"

namespace mob::test {
namespace {

const control::worker_status* worker_in(const control::app_status& s, const std::string& id) {
    for (const auto& w : s.workers) {
        if (w.id == id)
            return &w;
    }
    return nullptr;
}

std::uint64_t dropped(const control::app_status& s, const std::string& reason) {
    auto it = s.dropped.find(reason);
    return it == s.dropped.end() ? 0 : it->second;
}

TEST(hostile_peer, a_second_connection_with_a_live_workers_routing_id_is_never_heard) {
    cluster c;
    ASSERT_TRUE(c.wait_full()) << c.kingpin().output();
    auto before = status_of(c.runtime_dir());
    ASSERT_TRUE(before.has_value());
    std::string honest;
    std::int64_t honest_pid = 0;
    for (const auto& w : before->workers) {
        if (w.role == "back") {
            honest = w.id;
            honest_pid = w.pid;
        }
    }
    ASSERT_FALSE(honest.empty());

    // The impostor says HELLO and READY under the honest worker's routing id, then
    // answers a call that was never sent to it. libzmq never hands the broker a
    // second connection with an id in use (ZMQ_ROUTER_HANDOVER is off): nothing of it
    // is heard, so it can neither take the place nor lock the honest worker out.
    raw_peer impostor{c, honest};
    impostor.send({header(proto::command::hello), hello_body("testapp", "back")});
    impostor.send({header(proto::command::ready), encode(proto::ready{64, {"add", "whoami"}})});
    impostor.send({header(proto::command::reply), outcome(1, errc::ok, "int"), encode(666)});
    EXPECT_TRUE(impostor.receive(1500ms).empty()) << "the impostor was answered";

    probe p{c};
    ASSERT_TRUE(p.w().wait_until_welcomed(20s));
    auto back = p.w().require("back");
    std::set<std::int64_t> served_by;
    // Calls of one method only: the broker rotates over the four back workers, so
    // alternating two methods would show each method only two of them.
    for (int i = 0; i < 40; ++i)
        served_by.insert(back.call<std::int64_t>("whoami").value(5s));
    EXPECT_EQ(back.call<int>("add", 41, 1).value(5s), 42);
    EXPECT_EQ(served_by.count(honest_pid), 1u) << "the honest worker keeps serving";
    auto after = status_of(c.runtime_dir());
    ASSERT_TRUE(after.has_value());
    const auto* w = worker_in(*after, honest);
    ASSERT_NE(w, nullptr);
    EXPECT_EQ(w->pid, honest_pid);
    EXPECT_EQ(w->state, "ready");
    EXPECT_EQ(dropped(*after, "stray_reply"), 0u) << "the impostor's REPLY never arrived";
}

TEST(hostile_peer, a_message_over_max_message_size_is_refused_with_too_large_and_counted) {
    cluster c{{{"TEST_MAX_MESSAGE_KIB", "256"}}};
    ASSERT_TRUE(c.wait_full()) << c.kingpin().output();
    raw_peer raw{c};
    raw.send({header(proto::command::hello), hello_body("testapp", "front")});
    ASSERT_TRUE(raw.next_is(proto::command::welcome));
    // Five frames of 100 KiB or less, 300 KiB in all: each under libzmq's frame bound,
    // the whole over the broker's.
    const std::string chunk(100 << 10, 'x');
    raw.send({header(proto::command::send), proto::encode_seq(77), "?back", chunk, chunk, chunk});
    auto e = raw.next_error();
    ASSERT_TRUE(e) << "no ERROR for an oversized SEND";
    EXPECT_EQ(e->first, 77u) << "the SEND's seq comes back with its error";
    EXPECT_EQ(e->second.code, errc::too_large);
    EXPECT_NE(e->second.message.find("at most 262144"), std::string::npos) << e->second.message;

    // One frame over the bound never reaches the broker's memory: libzmq closes that
    // connection (the monitor counts it), and everybody else is served as before.
    raw_peer big{c, "big/1@test#0000000000000002"};
    big.send({header(proto::command::hello), hello_body("testapp", "front")});
    ASSERT_TRUE(big.next_is(proto::command::welcome));
    auto disconnected = [&] {
        auto s = status_of(c.runtime_dir());
        return s ? s->monitor_events["disconnected"] : 0u;
    };
    const auto closed_before = disconnected();
    big.send({header(proto::command::send), proto::encode_seq(78), "?back", "t", "std::string",
              std::string(300 << 10, 'y')});
    EXPECT_TRUE(eventually([&] { return disconnected() > closed_before; }, 5s));

    // A C++ worker checks its own sends against the same bound, which the kingpin
    // hands its children (MOB_MAX_MESSAGE_SIZE), and its results too.
    worker_options o{.endpoint = c.endpoint(), .app = "testapp", .role = "front"};
    o.max_message_size = 256 << 10;
    worker w{o};
    w.ready();
    ASSERT_TRUE(w.wait_until_welcomed(20s));
    try {
        w.any("back").send("probe", std::string(300 << 10, 'z'));
        ADD_FAILURE() << "an oversized send went out";
    } catch (const mob::error& err) {
        EXPECT_EQ(err.code(), errc::too_large);
        EXPECT_NE(std::string{err.what()}.find("max_message_size"), std::string::npos)
            << err.what();
    }
    auto back = w.require("back");
    EXPECT_EQ(back.call<std::string>("big", 100).value(5s).size(), 100u << 10);
    auto r = back.call<std::string>("big", 300).get(5s);
    ASSERT_FALSE(r.ok()) << "a 300 KiB result went out";
    EXPECT_EQ(r.error().code, errc::too_large) << r.error().message;
    EXPECT_EQ(back.call<int>("add", 2, 3).value(5s), 5) << "the worker still serves";

    auto s = status_of(c.runtime_dir());
    ASSERT_TRUE(s.has_value());
    EXPECT_EQ(dropped(*s, "oversized"), 1u);
}

TEST(hostile_peer, a_peer_flooding_the_broker_does_not_starve_the_others_and_its_rate_shows) {
    cluster c;
    ASSERT_TRUE(c.wait_full()) << c.kingpin().output();
    const std::string flooder_id = "flood/1@test#0000000000000003";
    raw_peer flooder{c, flooder_id};
    flooder.send({header(proto::command::hello), hello_body("testapp", "front")});
    ASSERT_TRUE(flooder.next_is(proto::command::welcome));
    probe p{c};
    ASSERT_TRUE(p.w().wait_until_welcomed(20s));
    auto back = p.w().require("back");

    // The flooder sends heartbeats as fast as it can (no answer is owed, so nothing it
    // fails to read holds it back) while the probe makes calls one at a time.
    std::atomic<bool> stop{false};
    std::uint64_t sent = 0;
    std::thread flood([&] {
        while (!stop) {
            flooder.send({header(proto::command::heartbeat)});
            ++sent;
        }
    });
    auto first = status_of(c.runtime_dir());
    int answered = 0;
    auto start = std::chrono::steady_clock::now();
    for (int i = 0; i < 200; ++i) {
        auto r = back.call<int>("add", i, 1).get(5s);
        answered += r.ok() && *r == i + 1 ? 1 : 0;
    }
    auto took = std::chrono::steady_clock::now() - start;
    auto second = status_of(c.runtime_dir());
    stop = true;
    flood.join();
    EXPECT_EQ(answered, 200) << "calls of the others failed during the flood";
    // Fair queueing: the broker reads one message of each peer in turn, so a call
    // waits behind at most one message of the flooder's at each hop.
    EXPECT_LT(took, 10s);
    ASSERT_TRUE(first && second);
    const auto* f0 = worker_in(*first, flooder_id);
    const auto* f1 = worker_in(*second, flooder_id);
    const auto* p0 = worker_in(*first, p.w().id());
    const auto* p1 = worker_in(*second, p.w().id());
    ASSERT_TRUE(f0 && f1 && p0 && p1);
    EXPECT_GT(f1->received - f0->received, 20 * (p1->received - p0->received))
        << "the flooder's count: " << f1->received - f0->received << " of " << sent
        << " sent; the probe's: " << p1->received - p0->received;
}

}  // namespace
}  // namespace mob::test
