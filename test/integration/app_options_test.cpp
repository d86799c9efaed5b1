// mob::app checks every role before anything is spawned, and application calls have
// no place outside a mobster.
#include <gtest/gtest.h>
#include <mob/app.hpp>

namespace mob::test {
namespace {

void noop(worker&) {}

std::string refusal(const app& a) {
    try {
        a.validate();
    } catch (const mob::error& e) {
        return e.what();
    }
    return "";
}

TEST(app_options, a_valid_app_passes) {
    EXPECT_EQ(refusal(app{"myapp"}
                          .role("back", noop, {.workers = 4})
                          .role("front", noop, {.min = 1, .max = 3})),
              "");
}
TEST(app_options, role_names_follow_the_original_rules) {
    EXPECT_NE(refusal(app{"a"}.role("", noop)), "");
    EXPECT_NE(refusal(app{"a"}.role("a b", noop)), "");
    EXPECT_NE(refusal(app{"a"}.role("a/b", noop)), "");
    EXPECT_EQ(refusal(app{"a"}.role("A-z_0.9", noop)), "");
}
TEST(app_options, the_app_name_follows_the_same_rules) {
    EXPECT_NE(refusal(app{"my app"}.role("back", noop)).find("app name"), std::string::npos);
}
TEST(app_options, duplicates_zero_counts_and_bad_ranges_are_refused_with_the_role_named) {
    EXPECT_NE(refusal(app{"a"}.role("x", noop).role("x", noop)).find("'x' is declared twice"),
              std::string::npos);
    EXPECT_NE(refusal(app{"a"}.role("x", noop, {.workers = 0})).find("'x'"), std::string::npos);
    EXPECT_NE(refusal(app{"a"}.role("x", noop, {.min = 0, .max = 2})).find("min must be"),
              std::string::npos);
    EXPECT_NE(refusal(app{"a"}.role("x", noop, {.min = 3, .max = 2})).find("below min"),
              std::string::npos);
    EXPECT_NE(refusal(app{"a"}.role("x", noop, {.workers = 2, .min = 1})).find("not both"),
              std::string::npos);
}
TEST(app_options, a_negative_fast_call_bound_is_refused) {
    EXPECT_NE(
        refusal(app{"a"}.role("x", noop).dispatch({.fast_call = std::chrono::microseconds{-1}}))
            .find("fast_call must not be negative"),
        std::string::npos);
    EXPECT_EQ(refusal(app{"a"}.role("x", noop).dispatch({.spread_workers = 8})), "");
}

TEST(app_options, an_app_without_roles_or_with_an_empty_function_is_refused) {
    EXPECT_NE(refusal(app{"a"}).find("no roles"), std::string::npos);
    EXPECT_NE(refusal(app{"a"}.role("x", role_main{})).find("empty"), std::string::npos);
}
TEST(app_options, a_program_role_must_name_an_executable) {
    EXPECT_NE(refusal(app{"a"}.role("x", exec("/nonexistent/worker"))).find("not an executable"),
              std::string::npos);
    EXPECT_EQ(refusal(app{"a"}.role("x", exec("/bin/true"))), "");
    EXPECT_EQ(refusal(app{"a"}.base("/bin").role("x", exec("true"))), "");
}
TEST(app_options, without_a_worker_application_calls_are_refused_with_a_clear_error) {
    try {
        current_worker();
        FAIL() << "current_worker() outside a mobster must throw";
    } catch (const mob::error& e) {
        EXPECT_EQ(e.code(), errc::not_a_mobster);
        EXPECT_NE(std::string{e.what()}.find("not available on the kingpin"), std::string::npos);
    }
}

}  // namespace
}  // namespace mob::test
