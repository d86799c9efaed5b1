// mob::result<T> as detail::to_result makes it from a raw result off the wire: the
// value or the error, and which worker served the call.
#include "mob/result.hpp"
#include "mob/detail/rpc_core.hpp"

#include <gtest/gtest.h>

#include <string>

namespace mob {
namespace {

const std::string server = "back/4242@host#1a2b3c";

TEST(to_result, says_which_worker_served_a_value) {
    auto r =
        detail::to_result<int>({errc::ok, type_name<int>(), encode_frame(7), server}, "back.add");
    ASSERT_TRUE(r.ok());
    EXPECT_EQ(*r, 7);
    EXPECT_EQ(r.served_by(), server);
}

TEST(to_result, says_which_worker_served_an_error) {
    auto r = detail::to_result<int>(
        {errc::remote_exception, {}, zmq::message_t{std::string_view{"back.boom: kaboom"}}, server},
        "back.boom");
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error().code, errc::remote_exception);
    EXPECT_EQ(r.served_by(), server);
}

TEST(to_result, says_which_worker_served_a_void_call_and_a_wrong_type) {
    auto done = detail::to_result<void>({errc::ok, "void", {}, server}, "back.note");
    EXPECT_TRUE(done.ok());
    EXPECT_EQ(done.served_by(), server);
    auto wrong = detail::to_result<std::string>(
        {errc::ok, type_name<int>(), encode_frame(7), server}, "back.add");
    ASSERT_FALSE(wrong.ok());
    EXPECT_EQ(wrong.error().code, errc::bad_type);
    EXPECT_EQ(wrong.served_by(), server);
}

TEST(to_result, leaves_served_by_empty_when_the_wire_did_not_say) {
    auto r = detail::to_result<int>({errc::ok, type_name<int>(), encode_frame(7)}, "back.add");
    EXPECT_EQ(*r, 7);
    EXPECT_EQ(r.served_by(), "");
    const result<int> local{3};
    EXPECT_EQ(local.served_by(), "");
}

TEST(result, copies_share_who_served_them) {
    auto r =
        detail::to_result<int>({errc::ok, type_name<int>(), encode_frame(7), server}, "back.add");
    auto copy = r;
    EXPECT_EQ(copy.served_by(), server);
    EXPECT_EQ(&copy.served_by(), &r.served_by());  // one string, not one per copy
}

}  // namespace
}  // namespace mob
