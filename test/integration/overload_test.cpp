// After an overload the kingpin gives its memory back: a flood of any() messages for a
// role that is not ready fills the broker's queue to its bound (the rest come back as
// queue_full), the queue expires, and the kingpin's resident size returns to near what
// it was before, instead of staying at the peak (glibc keeps freed heap unless asked).
#include <gtest/gtest.h>

#include <fstream>
#include <string>

#include "cluster.hpp"
#include "status_query.hpp"

using namespace mob;
using namespace mob::test;

namespace {

/// Resident size of `pid` in bytes (VmRSS), 0 if unreadable.
std::uint64_t rss_of(pid_t pid) {
    std::ifstream in{fmt::format("/proc/{}/status", pid)};
    std::string line;
    while (std::getline(in, line)) {
        if (line.rfind("VmRSS:", 0) == 0)
            return std::stoull(line.substr(6)) * 1024;
    }
    return 0;
}

double mib(std::uint64_t bytes) {
    return static_cast<double>(bytes) / (1024.0 * 1024.0);
}

}  // namespace

TEST(overload, the_kingpins_memory_returns_to_near_idle_after_a_flood) {
    if (load_divisor() > 1)
        GTEST_SKIP() << "sanitizer allocators keep freed memory in quarantine by design";
    // "late" stays unready through the test; its queued messages expire after 1 s.
    cluster c{{{"TEST_LATE_MS", "600000"}, {"TEST_QUEUE_TIMEOUT_MS", "1000"}}};
    ASSERT_TRUE(c.kingpin().wait_for(std::regex{"EVENT start late"}, 10s)) << c.kingpin().output();
    probe p{c};
    ASSERT_TRUE(p.w().wait_until_welcomed(20s));
    const pid_t kingpin = c.kingpin().pid();
    const auto idle = rss_of(kingpin);
    ASSERT_GT(idle, 0u);

    // 60 000 messages of 2 KiB: 10 000 fill the queue (20 MiB held), the rest are
    // answered queue_full; each one's fate comes back.
    const std::string payload(2048, 'x');
    constexpr std::size_t flood = 60000;
    std::uint64_t peak = idle;
    for (std::size_t i = 0; i < flood; ++i) {
        while (true) {
            try {
                p.w().any("late").send("probe", payload);
                break;
            } catch (const mob::error&) {
                p.wait_errors(i / 2, 10ms);  // the local outbox is full: let it drain
            }
        }
        if (i % 5000 == 0)
            peak = std::max(peak, rss_of(kingpin));
    }
    auto errors = p.wait_errors(flood, 30s);
    peak = std::max(peak, rss_of(kingpin));
    ASSERT_EQ(errors.size(), flood) << "every message's fate comes back";
    std::size_t full = 0;
    std::size_t expired = 0;
    for (const auto& e : errors) {
        full += e.code == errc::queue_full ? 1 : 0;
        expired += e.code == errc::expired ? 1 : 0;
    }
    EXPECT_GT(full, 0u);
    EXPECT_GT(expired, 0u);
    EXPECT_EQ(full + expired, flood);
    ASSERT_GT(peak, idle + (16u << 20)) << "the flood did not load the kingpin: idle " << mib(idle)
                                        << " MiB, peak " << mib(peak) << " MiB";

    std::uint64_t after = 0;
    EXPECT_TRUE(eventually(
        [&] {
            after = rss_of(kingpin);
            return after <= idle + (8u << 20);
        },
        10s))
        << "idle " << mib(idle) << " MiB, peak " << mib(peak) << " MiB, after " << mib(after)
        << " MiB";
    auto s = status_of(c.runtime_dir());
    ASSERT_TRUE(s.has_value());
    for (const auto& r : s->roles)
        EXPECT_EQ(r.queued_messages, 0u) << r.name;
}
