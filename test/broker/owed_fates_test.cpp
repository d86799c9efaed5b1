// What the broker owes a worker whose pipe is full (owed_fates.cpp): its ERRORs are kept
// and delivered in order as it reads; past the bound each one lost is counted and the
// worker is told how many with a LOST. Every fate is accounted for: the ERRORs a late
// reader gets plus the LOST count are all the messages it sent.
#include "broker_harness.hpp"

#include <algorithm>

namespace mob::test {
namespace {

// The broker of these tests holds little for a peer: an inproc pipe of about 10 + 10
// messages, and 50 ERRORs kept beyond it.
harness_options late_reader_options() {
    harness_options o;
    o.router_sndhwm = 10;
    o.peer_rcvhwm = 10;
    o.max_owed_per_worker = 50;
    return o;
}

// `n` SENDs to a pid nobody has, each owed an ERROR unknown_pid, without reading.
void send_to_nobody(broker_harness& h, peer& from, std::uint64_t n) {
    for (std::uint64_t seq = 1; seq <= n; ++seq)
        from.send(proto::make_send(seq, {proto::target_kind::pid, "999999"}, "t", "text",
                                   proto::text_frame("x")));
    for (int i = 0; i < 100 && h.broker().workers().find(std::string_view{from.id()}) != nullptr;
         ++i) {
        h.pump();
        const auto* w = h.find(from.id());
        if (w == nullptr || w->owed.size() + w->fates_lost + 20 >= n)
            break;
    }
}

struct what_came {
    std::vector<std::uint64_t> error_seqs;
    std::optional<std::uint64_t> lost;
    std::vector<command> order;  ///< every command that came, in order
};

// Reads everything, letting the broker's timer send what it kept, until nothing is owed.
what_came read_all(broker_harness& h, peer& p) {
    what_came got;
    for (int round = 0; round < 1000; ++round) {
        while (auto f = p.next(0ms)) {
            auto c = proto::command_of(f->front());
            if (c)
                got.order.push_back(*c);
            if (c == command::error) {
                got.error_seqs.push_back(proto::parse_error(std::span{*f}).seq);
            } else if (c == command::lost) {
                EXPECT_FALSE(got.lost) << "a second LOST";
                got.lost = proto::parse_lost(std::span{*f});
            }
        }
        const auto* w = h.find(p.id());
        if (w != nullptr && w->owed.empty() && w->lost_unreported == 0 && p.idle())
            break;
        h.advance(10ms);  // the broker tries the full pipe again
    }
    return got;
}

TEST(owed_fates,
     a_sender_that_reads_late_gets_the_errors_kept_in_order_and_a_lost_count_for_the_rest) {
    broker_harness h{late_reader_options()};
    auto front = h.join("front/1", "front");
    constexpr std::uint64_t sent = 500;
    send_to_nobody(h, front, sent);
    const auto* w = h.find("front/1");
    ASSERT_NE(w, nullptr);
    EXPECT_EQ(w->owed.size(), 50u);  // kept, up to the bound
    EXPECT_GT(w->fates_lost, 0u);

    auto got = read_all(h, front);
    ASSERT_TRUE(got.lost) << "no LOST came";
    EXPECT_EQ(got.error_seqs.size() + *got.lost, sent);  // every fate accounted for
    EXPECT_GE(got.error_seqs.size(), 50u);
    EXPECT_TRUE(std::is_sorted(got.error_seqs.begin(), got.error_seqs.end()));
    EXPECT_EQ(got.error_seqs.front(), 1u);  // the first ones went (or were kept) first
    w = h.find("front/1");
    ASSERT_NE(w, nullptr);
    EXPECT_EQ(w->fates_lost, *got.lost);  // as status shows it
    EXPECT_TRUE(w->owed.empty());
    EXPECT_EQ(h.broker().workers().owed_total(), 0u);
}

TEST(owed_fates, within_the_bound_nothing_is_lost_and_no_lost_is_sent) {
    broker_harness h{late_reader_options()};
    auto front = h.join("front/1", "front");
    constexpr std::uint64_t sent = 60;  // more than the pipe holds, less than pipe + bound
    send_to_nobody(h, front, sent);
    auto got = read_all(h, front);
    EXPECT_FALSE(got.lost);
    ASSERT_EQ(got.error_seqs.size(), sent);
    for (std::uint64_t i = 0; i < sent; ++i)
        EXPECT_EQ(got.error_seqs[i], i + 1);
    EXPECT_EQ(h.find("front/1")->fates_lost, 0u);
}

TEST(owed_fates, a_result_for_a_caller_with_a_full_pipe_waits_behind_its_errors) {
    broker_harness h{late_reader_options()};
    auto back = h.join("back/1", "back");
    auto front = h.join("front/1", "front");
    send_to_nobody(h, front, 40);  // its pipe is full; some ERRORs are kept
    ASSERT_FALSE(h.find("front/1")->owed.empty());
    h.call(front, 77);
    h.reply(back, h.request_at(back));
    auto got = read_all(h, front);
    EXPECT_EQ(got.error_seqs.size(), 40u);
    EXPECT_FALSE(got.lost);
    ASSERT_FALSE(got.order.empty());
    EXPECT_EQ(got.order.back(), command::result);  // in the order the fates fell
    EXPECT_EQ(std::count(got.order.begin(), got.order.end(), command::result), 1);
}

}  // namespace
}  // namespace mob::test
