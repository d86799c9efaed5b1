// A worker scales a role (its own or another) within the role's min..max, the way the
// original's scale(+n)/scale(-n) did: the kingpin clamps to the bounds and says so,
// stops the extra workers after their calls, and answers an unknown role with an error.
#include <gtest/gtest.h>

#include "cluster.hpp"

namespace mob::test {
namespace {

struct scaling : ::testing::Test {
    void SetUp() override {
        c = std::make_unique<cluster>(std::map<std::string, std::string>{
            {"TEST_BACK", "1"}, {"TEST_FRONT", "2"}, {"TEST_RANGE", "1"}});
        ASSERT_TRUE(c->wait_full()) << c->kingpin().output();
        p = std::make_unique<probe>(*c);
        ASSERT_TRUE(p->w().wait_until_welcomed(20s));
    }
    bool range_ready(std::size_t n) {
        return eventually([&] { return c->ready_pids("range").size() == n; }, 10s);
    }
    std::unique_ptr<cluster> c;
    std::unique_ptr<probe> p;
};

TEST_F(scaling, a_worker_grows_and_shrinks_a_role_within_its_bounds) {
    auto up = p->w().scale("range", +2).value(5s);
    EXPECT_EQ(up.role, "range");
    EXPECT_EQ(up.min, 1u);
    EXPECT_EQ(up.max, 3u);
    EXPECT_EQ(up.before, 1u);
    EXPECT_EQ(up.target, 3u);
    EXPECT_FALSE(up.clamped);
    ASSERT_TRUE(range_ready(3)) << c->kingpin().output();

    // From a worker the kingpin spawned, in one of its handlers.
    auto mark = c->kingpin().line_count();
    auto back = p->w().require("back");
    EXPECT_EQ(back.call<std::string>("scale", std::string{"range"}, -1).value(5s), "3 2 false");
    auto stopped = c->kingpin().wait_for(
        std::regex{"stopping worker pid (\\d+): scaling range to 2"}, 5s, mark);
    ASSERT_TRUE(stopped) << c->kingpin().output();
    auto victim = std::stoi(
        c->kingpin().matches(std::regex{"stopping worker pid (\\d+): scaling range"}, mark).at(0));
    EXPECT_TRUE(wait_process_gone(victim, 5s));
    // Drained, not killed: its shutdown hook ran, and it is not revived.
    EXPECT_TRUE(c->kingpin().wait_for(
        std::regex{fmt::format("EVENT shutdown range {} busy=0", victim)}, 5s, mark))
        << c->kingpin().output();
    EXPECT_TRUE(c->kingpin().matches(std::regex{"range worker pid \\d+ died"}, mark).empty());
    auto range = p->w().require("range");
    std::set<std::int64_t> serving;
    for (int i = 0; i < 20; ++i)
        serving.insert(range.call<std::int64_t>("whoami").value(5s));
    EXPECT_EQ(serving.size(), 2u);
    EXPECT_EQ(serving.count(victim), 0u);
}

TEST_F(scaling, a_request_beyond_the_bounds_is_cut_at_the_bound_and_says_so) {
    auto up = p->w().scale("range", +10).value(5s);
    EXPECT_EQ(up.before, 1u);
    EXPECT_EQ(up.target, 3u);
    EXPECT_TRUE(up.clamped);
    ASSERT_TRUE(range_ready(3)) << c->kingpin().output();
    auto again = p->w().scale("range", +1).value(5s);
    EXPECT_EQ(again.before, 3u);
    EXPECT_EQ(again.target, 3u);
    EXPECT_TRUE(again.clamped);

    auto down = p->w().scale("range", -10).value(5s);
    EXPECT_EQ(down.before, 3u);
    EXPECT_EQ(down.target, 1u);
    EXPECT_TRUE(down.clamped);
    EXPECT_TRUE(eventually(
        [&] {
            return c->kingpin()
                       .matches(std::regex{"stopping worker pid \\d+: scaling range to 1"})
                       .size() == 2;
        },
        5s))
        << c->kingpin().output();

    // w.scale(n) is the worker's own role: front is fixed at 2.
    auto own = p->w().scale(+1).value(5s);
    EXPECT_EQ(own.role, "front");
    EXPECT_EQ(own.target, 2u);
    EXPECT_TRUE(own.clamped);
    auto back = p->w().require("back");
    EXPECT_EQ(back.call<std::string>("scale", std::string{}, -1).value(5s), "1 1 true");
}

TEST_F(scaling, an_unknown_role_is_an_error_to_the_sender_and_the_kingpin_goes_on) {
    auto r = p->w().scale("nope", +1).get(5s);
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error().code, errc::unknown_role);
    EXPECT_NE(r.error().message.find("no role 'nope'"), std::string::npos) << r.error().message;
    auto back = p->w().require("back");
    auto inside = back.call<std::string>("scale", std::string{"nope"}, 2).value(5s);
    EXPECT_TRUE(inside.starts_with("error unknown_role")) << inside;
    EXPECT_EQ(back.call<int>("add", 1, 2).value(5s), 3);
    EXPECT_TRUE(process_alive(c->kingpin().pid()));
}

}  // namespace
}  // namespace mob::test
