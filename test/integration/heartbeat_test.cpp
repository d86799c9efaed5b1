// A hung worker (SIGSTOP: alive, but silent) is declared dead after heartbeat x
// liveness, its calls in flight fail (an idempotent one runs again elsewhere), and the
// kingpin kills it and starts another in its place.
#include <gtest/gtest.h>
#include <signal.h>

#include "cluster.hpp"

namespace mob::test {
namespace {

TEST(heartbeat, a_stopped_worker_is_declared_dead_its_calls_are_handled_and_it_is_replaced) {
    // Heartbeat 200 ms, liveness 3: silent for 600 ms means dead.
    cluster c{{{"TEST_BACK", "1"},
               {"TEST_FRONT", "1"},
               {"TEST_POOL", "1"},
               {"TEST_POOL_CREDIT", "2"},
               {"TEST_HEARTBEAT_MS", "200"}}};
    ASSERT_TRUE(c.wait_full()) << c.kingpin().output();
    auto hung = *c.ready_pids("pool").begin();
    probe p{c};
    ASSERT_TRUE(p.w().wait_until_welcomed(20s));
    auto plain = p.w().require("pool", {.timeout = 30s}).call<int>("slow_echo", 10000, 1);
    auto again =
        p.w().require("pool", {.timeout = 30s, .idempotent = true}).call<int>("slow_echo", 200, 2);
    // Both are in flight at the one pool worker (credit 2): the first runs, the second
    // waits behind it in the worker.
    ASSERT_TRUE(c.kingpin().wait_for(std::regex{fmt::format("EVENT working pool {} 1", hung)}, 10s))
        << c.kingpin().output();
    auto mark = c.kingpin().line_count();
    auto stopped_at = std::chrono::steady_clock::now();
    ASSERT_EQ(::kill(hung, SIGSTOP), 0);

    auto r = plain.get(10s);
    auto declared = std::chrono::steady_clock::now() - stopped_at;
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error().code, errc::worker_died) << r.error().message;
    EXPECT_NE(r.error().message.find("pool.slow_echo"), std::string::npos) << r.error().message;
    // Silent for more than 3 x 200 ms since its last heartbeat (sent up to 200 ms before
    // the SIGSTOP), found at the next check; with room for a loaded machine.
    EXPECT_GE(declared, 400ms);
    EXPECT_LT(declared, 3s);
    EXPECT_TRUE(c.kingpin().wait_for(
        std::regex{fmt::format("pool worker pid {} missed heartbeats: killing it", hung)}, 1s,
        mark))
        << c.kingpin().output();
    EXPECT_TRUE(wait_process_gone(hung, 5s)) << "the hung worker was not killed";
    // The idempotent call ran again, on the replacement.
    EXPECT_EQ(again.value(10s), 2);
    EXPECT_EQ(c.kingpin()
                  .matches(std::regex{fmt::format(
                               "pool.slow_echo from .* was in flight at pool/{}@.*: running it "
                               "again elsewhere",
                               hung)},
                           mark)
                  .size(),
              1u)
        << c.kingpin().output();
    auto now = c.ready_pids("pool");
    ASSERT_EQ(now.size(), 1u) << c.kingpin().output();
    EXPECT_NE(*now.begin(), hung);
    EXPECT_TRUE(c.kingpin().wait_for(
        std::regex{fmt::format("EVENT working pool {} 2", *now.begin())}, 5s, mark));
    auto pid = p.w().require("pool").call<std::int64_t>("whoami").value(5s);
    EXPECT_EQ(pid, *now.begin());
}

}  // namespace
}  // namespace mob::test
