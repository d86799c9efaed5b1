// mob::detail::call_table and complete_call: a call completes once (a late duplicate
// RESULT finds nothing), times out at its deadline and not before, fails with the broker
// lost or the worker stopping, and the callbacks of a call that never ran are forgotten.
#include "call_table.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <memory>
#include <string>
#include <vector>

namespace {

using namespace std::chrono_literals;
using mob::errc;
using mob::detail::call_state;
using mob::detail::call_table;
using mob::detail::raw_result;
using mob::detail::unique_task;
const call_table::time_point t0{};

raw_result result(errc code, std::string body = {}) {
    return raw_result{
        code, code == errc::ok ? "int" : "", zmq::message_t{body.data(), body.size()}, {}};
}

struct fixture {
    std::atomic<std::size_t> outstanding{0};
    std::vector<std::uint64_t> forgotten;
    int completions = 0;
    call_table table{[this](const std::shared_ptr<call_state>& s, raw_result r) {
                         ++completions;
                         mob::detail::complete_call(s, std::move(r), {});
                     },
                     [this](const std::vector<std::uint64_t>& ids) {
                         forgotten.insert(forgotten.end(), ids.begin(), ids.end());
                     },
                     outstanding};

    /// As a thread starting a call does: count it; then the I/O thread tracks it.
    std::shared_ptr<call_state> start(std::uint64_t id, call_table::time_point deadline,
                                      std::vector<std::uint64_t> callbacks = {}) {
        auto s = std::make_shared<call_state>();
        s->what = "back.add";
        s->id = id;
        ++outstanding;
        table.add(id, {s, std::move(callbacks)}, deadline);
        return s;
    }
};

TEST(call_table, a_call_completes_once_and_a_late_duplicate_finds_nothing) {
    fixture f;
    auto s = f.start(7, t0 + 30s);
    auto first = result(errc::ok, "first");
    EXPECT_TRUE(f.table.on_result(7, std::move(first)));
    auto again = result(errc::ok, "again");
    EXPECT_FALSE(f.table.on_result(7, std::move(again)));
    EXPECT_EQ(again.text(), "again");  // left to the caller, who reports it
    EXPECT_EQ(f.completions, 1);
    ASSERT_TRUE(s->result);
    EXPECT_EQ(s->result->text(), "first");
    EXPECT_EQ(f.outstanding.load(), 0u);
    EXPECT_EQ(f.table.size(), 0u);
}

TEST(call_table, a_call_times_out_at_its_deadline_and_not_before) {
    fixture f;
    auto s = f.start(1, t0 + 500ms, {11});
    EXPECT_EQ(f.table.next_deadline(), t0 + 500ms);
    EXPECT_EQ(f.table.expire(t0 + 499ms), 0u);
    EXPECT_FALSE(s->result);
    EXPECT_EQ(f.table.expire(t0 + 500ms), 1u);
    ASSERT_TRUE(s->result);
    EXPECT_EQ(s->result->code, errc::timeout);
    EXPECT_NE(s->result->text().find("back.add"), std::string::npos) << s->result->text();
    EXPECT_EQ(f.forgotten, std::vector<std::uint64_t>{11});  // a late call back is refused
    EXPECT_FALSE(f.table.on_result(1, result(errc::ok)));    // the RESULT after it
    EXPECT_EQ(f.table.next_deadline(), call_table::time_point::max());
}

TEST(call_table, remembers_the_calls_it_timed_out_so_their_late_results_are_not_news) {
    fixture f;
    f.start(1, t0 + 500ms);
    f.start(2, t0 + 30s);
    EXPECT_FALSE(f.table.gave_up(1));
    EXPECT_EQ(f.table.expire(t0 + 500ms), 1u);
    EXPECT_TRUE(f.table.gave_up(1));   // the broker's own timeout RESULT: said already
    EXPECT_FALSE(f.table.gave_up(2));  // still waiting
    EXPECT_TRUE(f.table.on_result(2, result(errc::ok)));
    EXPECT_FALSE(f.table.gave_up(2));  // answered, not given up
    EXPECT_FALSE(f.table.gave_up(3));  // never made (a cast's failure is news)
}

TEST(call_table, a_lost_broker_fails_every_call_sent_but_not_those_still_waiting_to_go) {
    fixture f;
    auto sent = f.start(1, t0 + 30s);
    auto unsent = f.start(2, t0 + 30s);
    EXPECT_EQ(f.table.fail_all_but({2}, errc::broker_lost, "the broker fell silent"), 1u);
    ASSERT_TRUE(sent->result);
    EXPECT_EQ(sent->result->code, errc::broker_lost);
    EXPECT_FALSE(unsent->result);
    EXPECT_EQ(f.table.fail_all(errc::shutting_down, "the worker stopped"), 1u);
    ASSERT_TRUE(unsent->result);
    EXPECT_EQ(unsent->result->code, errc::shutting_down);
    EXPECT_EQ(f.outstanding.load(), 0u);
}

TEST(call_table, the_callbacks_of_a_call_that_never_ran_are_forgotten_not_those_of_one_that_did) {
    fixture f;
    f.start(1, t0 + 30s, {21});
    f.start(2, t0 + 30s, {22});
    f.start(3, t0 + 30s, {23});
    EXPECT_TRUE(f.table.on_result(1, result(errc::ok)));
    EXPECT_TRUE(f.table.on_result(2, result(errc::remote_exception, "it threw")));
    EXPECT_TRUE(f.table.on_result(3, result(errc::unknown_method, "no such method")));
    EXPECT_EQ(f.forgotten, std::vector<std::uint64_t>{23});
}

TEST(complete_call, wakes_a_waiter_and_runs_an_inline_continuation_here_or_posts_one) {
    auto inline_state = std::make_shared<call_state>();
    int ran_here = 0;
    inline_state->continuation = [&](const raw_result& r) { ran_here += r.code == errc::ok; };
    inline_state->continuation_inline = true;
    std::vector<unique_task> posted;
    auto post = [&](unique_task t) { posted.push_back(std::move(t)); };
    EXPECT_TRUE(mob::detail::complete_call(inline_state, result(errc::ok), post));
    EXPECT_EQ(ran_here, 1);
    EXPECT_TRUE(posted.empty());
    EXPECT_FALSE(mob::detail::complete_call(inline_state, result(errc::timeout), post));
    EXPECT_EQ(inline_state->result->code, errc::ok);

    auto later = std::make_shared<call_state>();
    int ran_later = 0;
    later->continuation = [&](const raw_result& r) { ran_later += r.text() == "7"; };
    EXPECT_TRUE(mob::detail::complete_call(later, result(errc::ok, "7"), post));
    EXPECT_EQ(ran_later, 0);
    ASSERT_EQ(posted.size(), 1u);
    posted.front()();  // the dispatcher runs it
    EXPECT_EQ(ran_later, 1);
}

}  // namespace
