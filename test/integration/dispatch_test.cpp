// Dispatch as users meet it (docs/design.md, "Dispatch"): with real processes, once a
// role's fast method is pipelined at its awake workers, calls of a slow method of the
// same role still run side by side on idle workers, and `mobctl status` shows how the
// broker timed each method.
#include <gtest/gtest.h>

#include <set>
#include <vector>

#include "cluster.hpp"
#include "status_query.hpp"

namespace mob::test {
namespace {

/// What the status says of back.`method`, once it says something.
std::optional<control::method_timing> timing_of(const cluster& c, const std::string& method) {
    auto s = status_of(c.runtime_dir());
    if (!s)
        return std::nullopt;
    for (const auto& r : s->roles) {
        if (r.name != "back")
            continue;
        for (const auto& m : r.methods) {
            if (m.method == method)
                return m;
        }
    }
    return std::nullopt;
}

TEST(dispatch, a_slow_method_runs_side_by_side_while_a_fast_one_of_its_role_is_pipelined) {
    // A spread of 2 whatever this machine's CPUs: past 2 busy workers, fast calls are
    // pipelined (with more CPUs than workers nothing would be). Fast: under 5 ms, so
    // that an add is fast in a sanitizer build too; the slow method takes 200 ms.
    cluster c{{{"TEST_BACK", "4"},
               {"TEST_FRONT", "1"},
               {"TEST_SPREAD_WORKERS", "2"},
               {"TEST_FAST_CALL_US", "5000"}}};
    ASSERT_TRUE(c.wait_full()) << c.kingpin().output();
    probe p{c};
    auto back = p.w().require("back");

    // Many quick adds, 32 in flight: the broker probes, times them, and finds them fast.
    for (int round = 0; round < 80; ++round) {
        std::vector<call_future<int>> batch;
        for (int i = 0; i < 32; ++i)
            batch.push_back(back.call<int>("add", i, 1));
        for (int i = 0; i < 32; ++i)
            ASSERT_EQ(batch[static_cast<std::size_t>(i)].value(10s), i + 1);
    }
    auto add = timing_of(c, "add");
    ASSERT_TRUE(add.has_value()) << "the status names no timing of back.add";
    EXPECT_TRUE(add->fast) << "back.add took " << add->call_time_us << " us a call";
    EXPECT_GE(add->call_time_us, 0);
    EXPECT_LT(add->call_time_us, 5000);

    // Four calls of a slow method at once: never timed, so each wakes an idle worker
    // rather than wait behind another (a role-wide measure would pipeline two of them).
    std::vector<call_future<std::int64_t>> slow;
    for (int i = 0; i < 4; ++i)
        slow.push_back(back.call<std::int64_t>("work", 200));
    std::set<std::int64_t> pids;
    for (auto& f : slow)
        pids.insert(f.value(10s));
    EXPECT_EQ(pids.size(), 4u) << "four slow calls ran on " << pids.size() << " workers";
    auto work = timing_of(c, "work");
    ASSERT_TRUE(work.has_value());
    EXPECT_FALSE(work->fast);
}

}  // namespace
}  // namespace mob::test
