// The bounds of what may wait, each configurable (docs/limits.md): past one, whoever
// asked gets a clear error at once, nothing is sent half-way, and once what waits ends
// the next request goes through.
#include <gtest/gtest.h>

#include <vector>

#include "cluster.hpp"

namespace mob::test {
namespace {

worker_options options_for(const cluster& c) {
    return worker_options{.endpoint = c.endpoint(), .app = "testapp", .role = "front"};
}

std::string error_text(const std::function<void()>& f, errc& code) {
    try {
        f();
    } catch (const mob::error& e) {
        code = e.code();
        return e.what();
    }
    return "";
}

TEST(bounds, a_call_past_max_pending_calls_fails_at_once_and_the_next_after_goes_through) {
    cluster c{{{"TEST_BACK", "4"}}};
    ASSERT_TRUE(c.wait_full()) << c.kingpin().output();
    auto o = options_for(c);
    o.max_pending_calls = 3;
    worker w{o};
    w.ready();
    ASSERT_TRUE(w.wait_until_welcomed(20s));
    auto back = w.require("back");
    std::vector<call_future<std::int64_t>> slow;
    for (int i = 0; i < 3; ++i)
        slow.push_back(back.call<std::int64_t>("work", 1500));
    errc code = errc::ok;
    auto text = error_text([&] { (void)back.call<int>("add", 1, 2); }, code);
    EXPECT_EQ(code, errc::queue_full);
    EXPECT_NE(text.find("max_pending_calls"), std::string::npos) << text;
    EXPECT_EQ(w.pending_calls(), 3u);
    for (auto& f : slow) {
        auto r = f.get(10s);
        EXPECT_TRUE(r.ok()) << r.error().message;
    }
    EXPECT_TRUE(eventually([&] { return w.pending_calls() == 0u; }, 5s));
    EXPECT_EQ(back.call<int>("add", 1, 2).value(5s), 3);
}

TEST(bounds, a_callback_past_max_callbacks_fails_its_call_at_once_and_one_released_makes_room) {
    cluster c;
    ASSERT_TRUE(c.wait_full()) << c.kingpin().output();
    auto o = options_for(c);
    o.max_callbacks = 2;
    worker w{o};
    w.ready();
    ASSERT_TRUE(w.wait_until_welcomed(20s));
    auto back = w.require("back");
    std::atomic<int> called{0};
    auto count = [&](int) { ++called; };
    // Two callbacks held by back for a while: the bound is reached.
    back.cast("call_later", mob::callback<void(int)>{count}, 1000);
    back.cast("call_later", mob::callback<void(int)>{count}, 1000);
    ASSERT_TRUE(eventually([&] { return w.pending_callbacks() == 2u; }, 5s));
    errc code = errc::ok;
    auto text =
        error_text([&] { back.cast("call_later", mob::callback<void(int)>{count}, 1000); }, code);
    EXPECT_EQ(code, errc::queue_full);
    EXPECT_NE(text.find("max_callbacks"), std::string::npos) << text;
    // Called once each, then dropped by back: released, room again.
    ASSERT_TRUE(eventually([&] { return called == 2 && w.pending_callbacks() == 0u; }, 10s))
        << called << " calls, " << w.pending_callbacks() << " callbacks held";
    back.cast("call_later", mob::callback<void(int)>{count}, 10);
    EXPECT_TRUE(eventually([&] { return called == 3; }, 5s));
}

}  // namespace
}  // namespace mob::test
