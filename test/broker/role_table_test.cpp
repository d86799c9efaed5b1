// The role table (broker/src/role_table.*): each role's bounds and target, in one place
// for the supervisor and the broker.
#include "broker_harness.hpp"

namespace {

using namespace mob::test;

TEST(role_table, starts_each_role_at_its_minimum) {
    broker_harness h;
    EXPECT_EQ(h.roles().target("back"), 2u);
    EXPECT_EQ(h.roles().target("front"), 1u);
    EXPECT_EQ(h.roles().target("nope"), 0u);
    EXPECT_EQ(h.roles().find("front"), 1u);
}

TEST(role_table, is_where_the_broker_reads_the_target_that_makes_a_role_full) {
    broker_harness h;
    auto a = h.join("a", "back");
    EXPECT_FALSE(h.broker().role_full("back"));
    h.roles().slot("back")->target = 1;  // as the supervisor scales it
    EXPECT_TRUE(h.broker().role_full("back"));
}

TEST(role_table, describes_each_role_with_its_bounds_and_target_in_the_apps_order) {
    broker_harness h;
    h.roles().slot("back")->target = 3;
    mob::control::app_status s;
    h.roles().describe(s);
    ASSERT_EQ(s.roles.size(), 2u);
    EXPECT_EQ(s.roles[0].name, "back");
    EXPECT_EQ(s.roles[0].min, 2u);
    EXPECT_EQ(s.roles[0].max, 4u);
    EXPECT_EQ(s.roles[0].target, 3u);
    EXPECT_EQ(s.roles[1].name, "front");
}

}  // namespace
