// The callback relay (broker/src/callback_relay.*): INVOKE to the callback's origin as
// INVOKED, RELEASE as RELEASED, an origin that is gone, and a holder that is gone
// (HOLDER_GONE to the callers that asked who served their calls).
#include "broker_harness.hpp"

namespace {

using namespace mob::test;
using mob::errc;

TEST(callback_relay, relays_an_invoke_to_the_callbacks_origin_as_invoked) {
    broker_harness h;
    auto a = h.join("a", "back");
    auto c = h.join("c", "front");
    a.send(proto::make_invoke(4, "c", 99, "i", proto::text_frame("args")));
    h.pump();
    auto f = c.expect(command::invoked);
    auto v = proto::parse_invoked(std::span{f});
    EXPECT_EQ(v.invoker, "a");
    EXPECT_EQ(v.seq, 4u);
    EXPECT_EQ(v.callback, 99u);
    EXPECT_EQ(v.types, "i");
    EXPECT_TRUE(a.idle());
}

TEST(callback_relay, fails_an_invoke_with_origin_gone_when_the_origin_is_not_known) {
    broker_harness h;
    auto a = h.join("a", "back");
    a.send(proto::make_invoke(4, "nobody", 99, "i", proto::text_frame("args")));
    h.pump();
    auto e = broker_harness::error_at(a);
    EXPECT_EQ(e.seq, 4u);
    EXPECT_EQ(e.error.code, errc::origin_gone);
    EXPECT_EQ(e.error.message, "the callback's origin nobody is gone");
}

TEST(callback_relay, fails_an_invoke_with_origin_gone_when_the_origin_cannot_be_reached) {
    broker_harness h;
    auto a = h.join("a", "back");
    auto c = h.join("c", "front");
    h.vanish(c);
    a.send(proto::make_invoke(4, "c", 99, "i", proto::text_frame("args")));
    h.pump();
    auto e = broker_harness::error_at(a);
    EXPECT_EQ(e.error.code, errc::origin_gone);
    EXPECT_EQ(e.error.message, "the callback's origin c cannot be reached");
    EXPECT_EQ(h.find("c"), nullptr);
}

TEST(callback_relay, relays_a_release_to_the_callbacks_origin_as_released) {
    broker_harness h;
    auto a = h.join("a", "back");
    auto c = h.join("c", "front");
    a.send(proto::make_release("c", 99));
    h.pump();
    auto f = c.expect(command::released);
    auto v = proto::parse_released(std::span<const zmq::message_t>{f});
    EXPECT_EQ(v.holder, "a");
    EXPECT_EQ(v.callback, 99u);
}

TEST(callback_relay, tells_the_callers_that_asked_who_served_them_when_that_worker_goes) {
    broker_harness h;
    auto a = h.join("a", "back");
    auto c = h.join("c", "front");
    auto d = h.join("d", "front");
    h.call(c, 1, proto::call_report_server);  // as a call carrying callbacks is made
    h.reply(a, h.request_at(a));
    (void)broker_harness::result_at(c);
    h.call(d, 1);  // no report: d hands out no callbacks
    h.reply(a, h.request_at(a));
    (void)broker_harness::result_at(d);
    a.send(proto::make_signal(command::goodbye));
    h.pump();
    auto f = c.expect(command::holder_gone);
    EXPECT_EQ(proto::parse_holder_gone(std::span<const zmq::message_t>{f}), "a");
    EXPECT_TRUE(c.idle());  // once, however many calls it took
    EXPECT_TRUE(d.idle());
}

TEST(callback_relay, tells_no_caller_that_is_gone_itself) {
    broker_harness h;
    auto a = h.join("a", "back");
    auto c = h.join("c", "front");
    h.call(c, 1, proto::call_report_server);
    h.request_at(a);
    c.send(proto::make_signal(command::goodbye));
    h.pump();
    a.send(proto::make_signal(command::goodbye));
    h.pump();
    EXPECT_EQ(h.find("a"), nullptr);
    EXPECT_TRUE(c.idle());
}

}  // namespace
