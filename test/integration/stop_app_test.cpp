// A worker can end the app (issue 12): w.stop_app(code) stops every worker gracefully
// and the kingpin exits with that code, as a batch job wants; only a worker the kingpin
// started may ask.
#include <gtest/gtest.h>
#include <sys/wait.h>

#include "ops_support.hpp"

namespace mob::test {
namespace {

TEST(stop_app, a_batch_worker_ends_the_app_and_the_kingpin_exits_with_its_code) {
    for (int code : {7, 0}) {
        cluster c{MOB_OPS_APP_V1, {{"TEST_BATCH", std::to_string(code)}}};
        auto status = c.kingpin().wait_exit(20s);
        ASSERT_TRUE(status) << c.kingpin().output();
        EXPECT_TRUE(WIFEXITED(*status)) << c.kingpin().output();
        EXPECT_EQ(WEXITSTATUS(*status), code) << c.kingpin().output();
        EXPECT_TRUE(c.kingpin().wait_for(
            std::regex{
                fmt::format("batch worker pid \\d+ asked to stop the app with exit code {}", code)},
            1s))
            << c.kingpin().output();
        EXPECT_TRUE(c.kingpin().wait_for(std::regex{"EVENT batch done"}, 1s));
        // Stopped, not crashed: no worker died, none was revived.
        EXPECT_TRUE(c.kingpin().matches(std::regex{"died|reviving|crash loop"}).empty())
            << c.kingpin().output();
        EXPECT_TRUE(c.kingpin().wait_for(std::regex{"kingpin .* stopped$"}, 1s));
    }
}

TEST(stop_app, a_worker_the_kingpin_did_not_start_may_not_end_the_app) {
    cluster c{MOB_OPS_APP_V1, {}};
    ASSERT_TRUE(c.wait_full()) << c.kingpin().output();
    probe p{c};
    ASSERT_TRUE(p.w().wait_until_welcomed(20s));
    auto r = p.w().stop_app(3).get(5s);
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error().code, errc::unknown_pid) << r.error().message;
    // Still serving, and nothing is stopping.
    EXPECT_EQ(p.w().require("back").call<int>("version").value(5s), 1);
    EXPECT_TRUE(c.kingpin().matches(std::regex{"stopping|asked to stop"}).empty())
        << c.kingpin().output();
}

}  // namespace
}  // namespace mob::test
