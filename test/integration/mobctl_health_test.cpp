// mobctl health and --version: the exit code a container HEALTHCHECK or a Kubernetes
// probe acts on, against a real kingpin and against stand-ins with fixed answers.
#include <gtest/gtest.h>

#include <mob/control.hpp>
#include <mob/version.hpp>

#include "cluster.hpp"
#include "mobctl_support.hpp"

namespace mob::test {
namespace {

control::role_status role(const std::string& name, std::uint32_t ready, std::uint32_t target) {
    control::role_status r;
    r.name = name;
    r.target = r.min = r.max = target;
    r.alive = r.ready = ready;
    return r;
}

control::app_status status(const std::string& app, std::vector<control::role_status> roles) {
    control::app_status s;
    s.app = app;
    s.kingpin_pid = 4242;
    s.uptime_s = 75;
    s.roles = std::move(roles);
    return s;
}

/// A stand-in kingpin of `app` whose every status answer is `s`.
fake_kingpin answering(const std::string& root, const std::string& app, control::app_status s) {
    auto body = control::to_json(s);
    return fake_kingpin{root, app, true,
                        [body](const std::vector<std::string>&) { return ok(body); }};
}

TEST(mobctl_health, an_app_whose_roles_are_full_is_healthy_exit_0) {
    temp_dir d;
    auto fake =
        answering(d.path(), "shop", status("shop", {role("back", 3, 3), role("front", 1, 1)}));
    auto r = mobctl({"health", "shop", "--runtime-dir", d.path()});
    EXPECT_EQ(r.code, 0) << r.out;
    EXPECT_EQ(r.out, "shop: healthy: back 3/3 front 1/1\n");
}

TEST(mobctl_health, a_role_short_of_ready_workers_exits_7_naming_it) {
    temp_dir d;
    auto fake =
        answering(d.path(), "shop", status("shop", {role("back", 1, 3), role("front", 1, 1)}));
    auto r = mobctl({"health", "shop", "--runtime-dir", d.path()});
    EXPECT_EQ(r.code, 7) << r.out;
    EXPECT_EQ(r.out, "mobctl: shop: not healthy: back 1/3 ready\n");
}

TEST(mobctl_health, live_only_asks_that_the_kingpin_answers) {
    temp_dir d;
    auto fake = answering(d.path(), "shop", status("shop", {role("back", 0, 3)}));
    auto r = mobctl({"health", "shop", "--live", "--runtime-dir", d.path()});
    EXPECT_EQ(r.code, 0) << r.out;
    EXPECT_EQ(r.out, "shop: alive: kingpin pid 4242, up 1m15s\n");
}

TEST(mobctl_health, without_an_app_checks_every_app_and_fails_if_one_is_not_healthy) {
    temp_dir d;
    auto good = answering(d.path(), "a-good", status("a-good", {role("back", 2, 2)}));
    auto bad =
        answering(d.path(), "b-bad", status("b-bad", {role("back", 2, 2), role("front", 0, 2)}));
    auto r = mobctl({"health", "--runtime-dir", d.path()});
    EXPECT_EQ(r.code, 7) << r.out;
    EXPECT_TRUE(has(r.out, "a-good: healthy: back 2/2\n")) << r.out;
    EXPECT_TRUE(has(r.out, "mobctl: b-bad: not healthy: front 0/2 ready\n")) << r.out;

    auto one = mobctl({"health", "a-good", "--runtime-dir", d.path()});
    EXPECT_EQ(one.code, 0) << one.out;
}

TEST(mobctl_health, no_app_at_all_exits_3_with_a_message) {
    temp_dir d;
    auto r = mobctl({"health", "--runtime-dir", d.path()});
    EXPECT_EQ(r.code, 3) << r.out;
    EXPECT_EQ(r.out, fmt::format("mobctl: no running apps in {}\n", d.path()));
    auto named = mobctl({"health", "shop", "--runtime-dir", d.path()});
    EXPECT_EQ(named.code, 3) << named.out;
}

TEST(mobctl_health, a_dead_kingpin_exits_4_and_a_silent_one_5) {
    temp_dir d;
    fake_kingpin ghost{d.path(), "ghost", false};
    auto dead = mobctl({"health", "ghost", "--runtime-dir", d.path()});
    EXPECT_EQ(dead.code, 4) << dead.out;

    fake_kingpin silent{d.path(), "silent", true,
                        [](const std::vector<std::string>&) { return std::vector<std::string>{}; }};
    auto mute =
        mobctl({"health", "silent", "--live", "--timeout", "300", "--runtime-dir", d.path()});
    EXPECT_EQ(mute.code, 5) << mute.out;
}

TEST(mobctl_health, a_real_kingpin_is_healthy_once_full) {
    cluster c;
    ASSERT_TRUE(c.wait_full()) << c.kingpin().output();
    // "full" is logged when the last worker is ready; the status says so at once.
    auto r = mobctl(c, {"health", "testapp"});
    EXPECT_EQ(r.code, 0) << r.out;
    EXPECT_EQ(r.out, "testapp: healthy: back 4/4 front 2/2\n");
}

TEST(mobctl, version_prints_mob_version) {
    auto r = mobctl({"--version"});
    EXPECT_EQ(r.code, 0) << r.out;
    EXPECT_EQ(r.out, fmt::format("mobctl {}\n", MOB_VERSION));
}

}  // namespace
}  // namespace mob::test
