// Which worker a call goes to (mob::dispatch_policy, broker/src/call_timing.hpp): idle
// workers first while fewer than `spread_workers` are busy or while the method's calls
// are not known to be fast; past that, fast calls go to the busy worker that is awake.
// The broker times each method's calls that waited behind others at a worker, and
// probes one call in call_timing::probe_every while it does not know them to be fast. Driven over
// inproc sockets with the test's own clock, which sets how long each call "took".
#include "broker_harness.hpp"
#include "call_timing.hpp"

namespace {

using namespace mob::test;
using mob::detail::call_timing;
using namespace std::chrono_literals;

constexpr auto fast = 10us;  // well under the policy's 250 us
constexpr auto slow = 2ms;

/// What `mobctl status` says of method back.`method` (untimed if it says nothing).
mob::control::method_timing status_of(broker_harness& h, std::string_view method = "add") {
    mob::control::app_status s;
    h.roles().describe(s);
    h.broker().describe(s, h.now);
    for (const auto& m : s.roles.at(0).methods) {
        if (m.method == method)
            return m;
    }
    return {};
}

harness_options spreading_over(std::uint32_t workers) {
    harness_options o;
    o.dispatch = mob::dispatch_policy{workers, 250us};
    return o;
}

/// The callers' side of a test: numbers its calls and reads their RESULTs.
struct caller {
    broker_harness& h;
    peer& from;
    std::uint64_t next_id = 1;

    void call(std::string_view method = "add") { h.call(from, next_id++, 0, 0, method); }
    void answer(peer& at, std::uint64_t ticket, std::chrono::nanoseconds took = 0ns) {
        h.now += took;
        h.reply(at, ticket);
        EXPECT_NE(broker_harness::result_at(from).id, 0u);
    }
    /// While `busy` holds a call, the role is timed: every call but the probe goes to
    /// `idle` (answered at once), and each probe waits behind `busy`'s call, which
    /// answers it `took` after its previous REPLY. Returns after `probes` probes.
    void time_probes(peer& busy, peer& idle, std::uint32_t probes, std::chrono::nanoseconds took) {
        for (std::uint32_t p = 0; p < probes; ++p) {
            for (std::uint32_t i = 1; i < call_timing::probe_every; ++i) {
                call();
                answer(idle, h.request_at(idle));
            }
            call();
            const auto probe = h.request_at(busy);  // pipelined though `idle` is idle
            ASSERT_NE(probe, 0u);
            EXPECT_TRUE(idle.idle());
            answer(busy, probe, took);
        }
    }
};

/// Workers a and b of "back", the caller c, and one call held at a (a stays busy).
struct a_busy {
    explicit a_busy(std::uint32_t spread, std::uint32_t credit = 8)
        : h{spreading_over(spread)},
          a{h.join("a", "back", credit)},
          b{h.join("b", "back", credit)},
          c{h.join("c", "front")},
          calls{h, c} {
        calls.call();
        held = h.request_at(a);
    }

    broker_harness h;
    peer a;
    peer b;
    peer c;
    caller calls;
    std::uint64_t held = 0;
};

TEST(call_dispatch_policy, spreads_calls_over_idle_workers_until_the_calls_are_timed_fast) {
    a_busy f{1};
    auto& [h, a, b, c, calls, held] = f;
    EXPECT_EQ(status_of(h).call_time_us, -1);
    EXPECT_FALSE(status_of(h).fast);
    // Not timed yet: each call wakes idle b, not a, but for one probe in probe_every.
    calls.time_probes(a, b, call_timing::probe_window, fast);
    EXPECT_DOUBLE_EQ(status_of(h).call_time_us, 10.0);
    EXPECT_TRUE(status_of(h).fast);

    // Known fast, and one worker (the spread) is busy: a gets it, b stays idle.
    calls.call();
    const auto pipelined = h.request_at(a);
    EXPECT_NE(pipelined, 0u);
    EXPECT_TRUE(b.idle());
    calls.answer(a, pipelined);
    calls.answer(a, held);
}

TEST(call_dispatch_policy, keeps_slow_calls_on_idle_workers_and_probes_one_in_a_window) {
    a_busy f{1};
    auto& [h, a, b, c, calls, held] = f;
    calls.time_probes(a, b, call_timing::probe_window, slow);
    EXPECT_DOUBLE_EQ(status_of(h).call_time_us, 2000.0);
    EXPECT_FALSE(status_of(h).fast);

    // Timed slow: still b, the idle one.
    calls.call();
    calls.answer(b, h.request_at(b));
    EXPECT_TRUE(a.idle());
    calls.answer(a, held);
}

TEST(call_dispatch_policy, pipelines_only_once_as_many_workers_as_the_spread_are_busy) {
    broker_harness h{spreading_over(2)};
    auto a = h.join("a", "back", /*credit=*/8);
    auto b = h.join("b", "back", /*credit=*/8);
    auto x = h.join("x", "back", /*credit=*/8);
    auto c = h.join("c", "front");
    caller calls{h, c};
    calls.call();
    const auto held_a = h.request_at(a);
    calls.call();
    const auto held_b = h.request_at(b);
    // b took a call last, so b (the warm one at the back) is where probes go.
    calls.time_probes(b, x, call_timing::probe_window, fast);

    // Fast, but once a is done only b is busy (1 < 2): an idle worker gets the call.
    calls.answer(a, held_a);
    calls.call();
    const auto to_x = h.request_at(x);  // x is idle and used longer ago than a
    EXPECT_NE(to_x, 0u);
    EXPECT_TRUE(b.idle());
    // Two busy now: the next goes to x, which took one last, and a stays idle.
    calls.call();
    EXPECT_NE(h.request_at(x), 0u);
    EXPECT_TRUE(a.idle());
    EXPECT_TRUE(b.idle());
    calls.answer(b, held_b);
}

TEST(call_dispatch_policy, times_each_method_apart_so_a_slow_one_still_finds_an_idle_worker) {
    a_busy f{1};
    auto& [h, a, b, c, calls, held] = f;
    calls.time_probes(a, b, call_timing::probe_window, fast);  // "add" is fast
    // "ping" was never timed: it wakes b rather than wait behind a's call.
    calls.call("ping");
    calls.answer(b, h.request_at(b));
    EXPECT_TRUE(a.idle());
    EXPECT_EQ(status_of(h, "ping").call_time_us, -1);
    EXPECT_FALSE(status_of(h, "ping").fast);
    // "add" still goes to a.
    calls.call();
    EXPECT_NE(h.request_at(a), 0u);
    EXPECT_TRUE(b.idle());
    calls.answer(a, held);
}

TEST(call_dispatch_policy, stops_pipelining_a_method_whose_calls_turn_slow) {
    a_busy f{1, /*credit=*/64};
    auto& [h, a, b, c, calls, held] = f;
    calls.time_probes(a, b, call_timing::probe_window, fast);

    // Now every call goes to a, and each is timed: a window of slow ones ends it.
    for (std::uint32_t i = 0; i < call_timing::window; ++i) {
        calls.call();
        const auto t = h.request_at(a);
        ASSERT_NE(t, 0u) << "call " << i << " was not pipelined at a";
        calls.answer(a, t, slow);
    }
    EXPECT_TRUE(b.idle());
    calls.call();
    calls.answer(b, h.request_at(b));
    EXPECT_TRUE(a.idle());
    calls.answer(a, held);
}

TEST(call_dispatch_policy, a_spread_as_large_as_the_role_never_pipelines_past_an_idle_worker) {
    a_busy f{4};
    auto& [h, a, b, c, calls, held] = f;
    // Many calls, all answered quickly by b: none is ever pipelined behind a's.
    for (std::uint32_t i = 0; i < 4 * call_timing::probe_every; ++i) {
        calls.call();
        calls.answer(b, h.request_at(b), fast);
    }
    EXPECT_TRUE(a.idle());
    calls.answer(a, held);
}

/// The role's queued calls, as `mobctl status` says.
std::uint64_t queued(broker_harness& h) {
    mob::control::app_status s;
    h.roles().describe(s);
    h.broker().describe(s, h.now);
    return s.roles.at(0).queued_calls;
}

TEST(call_dispatch_policy,
     gives_a_busy_worker_two_slow_calls_at_most_and_the_rest_to_the_first_that_answers) {
    broker_harness h;  // the default policy: slow_call_depth 2
    auto a = h.join("a", "back", /*credit=*/8);
    auto b = h.join("b", "back", /*credit=*/8);
    auto c = h.join("c", "front");
    caller calls{h, c};
    for (int i = 0; i < 6; ++i)
        calls.call();                 // not timed yet: slow
    const auto a1 = h.request_at(a);  // the idle ones first
    const auto b1 = h.request_at(b);
    h.request_at(a);  // then a second each, least recently used first
    h.request_at(b);
    // Credit 8, but both hold two: the other two wait at the kingpin.
    EXPECT_TRUE(a.idle());
    EXPECT_TRUE(b.idle());
    EXPECT_EQ(queued(h), 2u);
    // b answers first: the next waiting call is b's, not a's, which still runs its first.
    calls.answer(b, b1, slow);
    EXPECT_NE(h.request_at(b), 0u);
    EXPECT_TRUE(a.idle());
    EXPECT_EQ(queued(h), 1u);
    calls.answer(a, a1, slow);
    EXPECT_NE(h.request_at(a), 0u);
    EXPECT_EQ(queued(h), 0u);
}

TEST(call_dispatch_policy, a_slow_call_depth_of_zero_gives_a_busy_worker_calls_up_to_its_credit) {
    harness_options o;
    o.dispatch = mob::dispatch_policy{.slow_call_depth = 0};
    broker_harness h{o};
    auto a = h.join("a", "back", /*credit=*/4);
    auto c = h.join("c", "front");
    caller calls{h, c};
    for (int i = 0; i < 5; ++i)
        calls.call();
    for (int i = 0; i < 4; ++i)
        EXPECT_NE(h.request_at(a), 0u);
    EXPECT_TRUE(a.idle());
    EXPECT_EQ(queued(h), 1u);  // past its credit
}

TEST(call_dispatch_policy, gives_a_busy_worker_fast_calls_up_to_its_credit) {
    a_busy f{1, /*credit=*/4};
    auto& [h, a, b, c, calls, held] = f;
    calls.time_probes(a, b, call_timing::probe_window, fast);
    ASSERT_TRUE(status_of(h).fast);
    // a still holds `held`: fast calls go to it (awake) up to its credit of 4, deeper
    // than slow calls would; then to idle b, and b is the awake one.
    for (int i = 0; i < 6; ++i)
        calls.call();
    int at_a = 0;
    int at_b = 0;
    while (a.next(0ms))
        ++at_a;
    while (b.next(0ms))
        ++at_b;
    EXPECT_EQ(at_a, 3);
    EXPECT_EQ(at_b, 3);
    EXPECT_EQ(queued(h), 0u);
}

TEST(call_timing, a_window_of_times_decides_and_an_untimed_role_is_slow) {
    call_timing t{250us};
    EXPECT_FALSE(t.fast());
    // Probes: one in probe_every.
    std::uint32_t probes = 0;
    for (std::uint32_t i = 0; i < 3 * call_timing::probe_every; ++i)
        probes += t.probe() ? 1 : 0;
    EXPECT_EQ(probes, 3u);
    // A burst read at one timestamp: zeros and one long gap average right.
    for (std::uint32_t i = 0; i < call_timing::probe_window - 1; ++i)
        t.add(0us);
    t.add(4 * 100us);  // mean 100 us
    EXPECT_TRUE(t.fast());
    EXPECT_FALSE(t.probe());  // known fast: no probes
    for (std::uint32_t i = 0; i < call_timing::window; ++i)
        t.add(300us);
    EXPECT_FALSE(t.fast());
    EXPECT_EQ(t.mean(), std::chrono::nanoseconds{300us});
}

TEST(call_timing, a_bound_of_zero_never_calls_anything_fast_nor_probes) {
    call_timing t{0us};
    for (std::uint32_t i = 0; i < 2 * call_timing::probe_every; ++i)
        EXPECT_FALSE(t.probe());
    for (std::uint32_t i = 0; i < call_timing::window; ++i)
        t.add(0us);
    EXPECT_FALSE(t.fast());
}

}  // namespace
