// A worker can watch its own DEALER with a ZeroMQ monitor: its connection, handshake
// and disconnection are counted by kind.
#include <gtest/gtest.h>

#include "cluster.hpp"

namespace mob::test {
namespace {

std::uint64_t count_of(const worker& w, const std::string& kind) {
    auto counts = w.monitor_counts();
    auto it = counts.find(kind);
    return it == counts.end() ? 0 : it->second;
}

TEST(worker_monitor, counts_the_connection_handshake_and_disconnection_of_its_socket) {
    cluster c;
    ASSERT_TRUE(c.wait_full()) << c.kingpin().output();
    worker w{worker_options{
        .endpoint = c.endpoint(), .app = "testapp", .role = "front", .monitor = true}};
    ASSERT_TRUE(w.wait_until_welcomed(20s));
    EXPECT_TRUE(eventually([&] { return count_of(w, "connected") >= 1; }, 5s));
    EXPECT_TRUE(eventually([&] { return count_of(w, "handshake_succeeded") >= 1; }, 5s));
    EXPECT_EQ(count_of(w, "disconnected"), 0u);
    c.kingpin().signal(SIGKILL);
    ASSERT_TRUE(c.kingpin().wait_exit(5s));
    EXPECT_TRUE(eventually([&] { return count_of(w, "disconnected") >= 1; }, 5s));
}

TEST(worker_monitor, is_off_unless_asked_for) {
    cluster c;
    ASSERT_TRUE(c.wait_full()) << c.kingpin().output();
    worker w{worker_options{.endpoint = c.endpoint(), .app = "testapp", .role = "front"}};
    ASSERT_TRUE(w.wait_until_welcomed(20s));
    EXPECT_TRUE(w.monitor_counts().empty());
}

}  // namespace
}  // namespace mob::test
