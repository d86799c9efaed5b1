// The outbox (broker/src/outbox.*): every send without blocking, and what came of it.
#include "broker_harness.hpp"

namespace {

using namespace mob::test;
using mob::detail::send_result;

TEST(outbox, reports_a_peer_it_cannot_route_to_as_unreachable) {
    broker_harness h;
    mob::detail::outbox out{h.router()};
    auto f = proto::make_signal(command::heartbeat);
    EXPECT_EQ(out.send("nobody", f), send_result::unreachable);
    EXPECT_EQ(out.sends(), 1u);
}

TEST(outbox, sends_to_a_connected_peer_and_counts_the_errors_it_sent) {
    broker_harness h;
    auto a = h.join("a", "back");
    mob::detail::outbox out{h.router()};
    EXPECT_EQ(out.send_error("a", 3, mob::errc::bad_frame, "no"), send_result::sent);
    EXPECT_EQ(out.stats().errors_sent, 1u);
    auto e = broker_harness::error_at(a);
    EXPECT_EQ(e.seq, 3u);
    EXPECT_EQ(e.error.message, "no");
}

TEST(outbox, counts_dropped_messages_by_reason) {
    broker_harness h;
    mob::detail::outbox out{h.router()};
    out.drop("a", "bad_seq", "x");
    out.drop("a", "bad_seq", "x");
    EXPECT_EQ(out.stats().dropped.at("bad_seq"), 2u);
}

}  // namespace
