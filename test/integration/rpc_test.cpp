// RPC through the kingpin: exports, require() proxies, least-recently-used dispatch
// with credit, errors that reach the caller, callbacks across processes.
#include <fmt/format.h>
#include <gtest/gtest.h>

#include <atomic>
#include <functional>
#include <future>
#include <set>
#include <thread>

#include "cluster.hpp"

namespace mob::test {
namespace {

class rpc : public ::testing::Test {
  protected:
    void start(std::map<std::string, std::string> env = {}) {
        cluster_ = std::make_unique<cluster>(std::move(env));
        ASSERT_TRUE(cluster_->wait_full()) << cluster_->kingpin().output();
        probe_ = std::make_unique<probe>(*cluster_);
        ASSERT_TRUE(probe_->w().wait_until_welcomed(20s));
    }
    cluster& c() { return *cluster_; }
    worker& w() { return probe_->w(); }

    std::unique_ptr<cluster> cluster_;
    std::unique_ptr<probe> probe_;
};

TEST_F(rpc, a_call_returns_the_remote_functions_result_as_a_future) {
    ASSERT_NO_FATAL_FAILURE(start());
    auto back = w().require("back");
    EXPECT_EQ(back.call<int>("add", 1, 2).value(5s), 3);
    auto r = back.call<std::int64_t>("whoami").get(5s);
    ASSERT_TRUE(r.ok()) << r.error().message;
    EXPECT_EQ(c().ready_pids("back").count(static_cast<pid_t>(*r)), 1u);
}

TEST_F(rpc, a_result_says_which_worker_served_it_when_the_call_asks) {
    ASSERT_NO_FATAL_FAILURE(start());
    auto back = w().require("back");
    auto asking = back.with({.report_server = true});
    auto r = asking.call<std::int64_t>("whoami").get(5s);
    ASSERT_TRUE(r.ok()) << r.error().message;
    // The serving worker's routing id, "back/PID@host#nonce", with the pid it returned.
    EXPECT_EQ(r.served_by().rfind(fmt::format("back/{}@", *r), 0), 0u) << r.served_by();
    // A failure the worker sent names it too; one the broker made names nobody.
    auto boom = asking.call<int>("boom").get(5s);
    ASSERT_FALSE(boom.ok());
    EXPECT_EQ(boom.served_by().rfind("back/", 0), 0u) << boom.served_by();
    auto unknown = asking.call<int>("no_such_method").get(5s);
    ASSERT_FALSE(unknown.ok());
    EXPECT_EQ(unknown.error().code, errc::unknown_method);
    EXPECT_EQ(unknown.served_by(), "");
    // A call that does not ask is not told (its RESULT has no served-by frame).
    auto plain = back.call<std::int64_t>("whoami").get(5s);
    ASSERT_TRUE(plain.ok()) << plain.error().message;
    EXPECT_EQ(plain.served_by(), "");
}

TEST_F(rpc, the_callback_form_and_then_run_on_the_dispatcher_thread) {
    ASSERT_NO_FATAL_FAILURE(start());
    auto back = w().require("back");
    std::promise<std::pair<int, std::thread::id>> got;
    back.call("add", 20, 22, [&](result<int> r) {
        got.set_value({r.value(), std::this_thread::get_id()});
    });
    auto fut = got.get_future();
    ASSERT_EQ(fut.wait_for(5s), std::future_status::ready);
    auto [value, thread] = fut.get();
    EXPECT_EQ(value, 42);
    EXPECT_NE(thread, std::this_thread::get_id());

    std::promise<int> then_got;
    back.call<int>("add", 2, 3).then([&](result<int> r) { then_got.set_value(r.value()); });
    auto f2 = then_got.get_future();
    ASSERT_EQ(f2.wait_for(5s), std::future_status::ready);
    EXPECT_EQ(f2.get(), 5);
}

TEST_F(rpc, cast_runs_a_void_function_and_wants_no_result) {
    ASSERT_NO_FATAL_FAILURE(start());
    auto mark = c().kingpin().line_count();
    w().require("back").cast("note", "hello back");
    EXPECT_TRUE(c().kingpin().wait_for(std::regex{"EVENT note back \\d+ hello back"}, 5s, mark));
    EXPECT_EQ(w().pending_calls(), 0u);
    // A void function through call() completes with an empty result.
    EXPECT_TRUE(w().require("back").call("note", "again").get(5s).ok());
}

TEST_F(rpc, a_call_to_a_role_with_no_worker_ready_yet_waits_in_the_broker) {
    cluster_ =
        std::make_unique<cluster>(std::map<std::string, std::string>{{"TEST_LATE_MS", "1500"}});
    ASSERT_TRUE(cluster_->kingpin().wait_for(std::regex{"EVENT start late"}, 10s));
    probe_ = std::make_unique<probe>(*cluster_);
    ASSERT_TRUE(w().wait_until_welcomed(20s));
    ASSERT_TRUE(c().ready_pids("late").empty());
    EXPECT_EQ(w().require("late").call<int>("add", 2, 2).value(10s), 4);
}

TEST_F(rpc, every_error_reaches_the_caller_with_a_message) {
    ASSERT_NO_FATAL_FAILURE(start());
    auto back = w().require("back");
    auto unknown_role = w().require("nosuch").call<int>("add", 1, 2).get(5s);
    ASSERT_FALSE(unknown_role.ok());
    EXPECT_EQ(unknown_role.error().code, errc::unknown_role);
    EXPECT_NE(unknown_role.error().message.find("nosuch"), std::string::npos);

    auto unknown_method = back.call<int>("nosuchmethod").get(5s);
    ASSERT_FALSE(unknown_method.ok());
    EXPECT_EQ(unknown_method.error().code, errc::unknown_method);
    EXPECT_NE(unknown_method.error().message.find("role 'back' has no method 'nosuchmethod'"),
              std::string::npos)
        << unknown_method.error().message;

    auto bad_args = back.call<int>("add", std::string{"one"}, 2).get(5s);
    ASSERT_FALSE(bad_args.ok());
    EXPECT_EQ(bad_args.error().code, errc::bad_type);
    EXPECT_NE(bad_args.error().message.find("back.add takes std::tuple<int, int>"),
              std::string::npos)
        << bad_args.error().message;

    auto thrown = back.call<int>("boom").get(5s);
    ASSERT_FALSE(thrown.ok());
    EXPECT_EQ(thrown.error().code, errc::remote_exception);
    EXPECT_NE(thrown.error().message.find("std::runtime_error: kaboom"), std::string::npos)
        << thrown.error().message;

    auto wrong_result = back.call<std::string>("add", 1, 2).get(5s);
    ASSERT_FALSE(wrong_result.ok());
    EXPECT_EQ(wrong_result.error().code, errc::bad_type);

    auto timed_out = back.with({.timeout = 300ms}).call<int>("slow_echo", 2000, 1).get();
    ASSERT_FALSE(timed_out.ok());
    EXPECT_EQ(timed_out.error().code, errc::timeout);
    EXPECT_NE(timed_out.error().message.find("back.slow_echo"), std::string::npos);

    // value() turns an error into a mob::error with the same code.
    try {
        back.call<int>("boom").value(5s);
        FAIL() << "value() of a failed call must throw";
    } catch (const mob::error& e) {
        EXPECT_EQ(e.code(), errc::remote_exception);
    }
    EXPECT_EQ(w().pending_calls(), 0u);
}

TEST_F(rpc, a_cast_that_fails_still_reports_to_on_error_with_the_seq_cast_returned) {
    ASSERT_NO_FATAL_FAILURE(start());
    auto unknown = w().require("back").cast("nosuchmethod");
    auto errors = probe_->wait_errors(1);
    ASSERT_EQ(errors.size(), 1u);
    EXPECT_EQ(errors[0].code, errc::unknown_method);
    EXPECT_EQ(errors[0].seq, unknown);

    auto thrown = w().require("back").cast("boom");
    EXPECT_NE(thrown, unknown);
    errors = probe_->wait_errors(2);
    ASSERT_EQ(errors.size(), 2u);
    EXPECT_EQ(errors[1].code, errc::remote_exception);
    EXPECT_EQ(errors[1].seq, thrown);
}

TEST_F(rpc, a_worker_killed_with_calls_in_flight_fails_them_and_idempotent_ones_run_elsewhere) {
    ASSERT_NO_FATAL_FAILURE(start());
    auto back = w().require("back");
    auto mark = c().kingpin().line_count();
    auto plain = back.call<int>("slow_echo", 3000, 1);
    auto retried = back.with({.idempotent = true}).call<int>("slow_echo", 3000, 2);
    ASSERT_TRUE(
        c().kingpin().wait_for_count(std::regex{"EVENT working back \\d+ [12]$"}, 2, 5s, mark));
    auto working = c().kingpin().matches(std::regex{"EVENT working back (\\d+) [12]$"}, mark);
    ASSERT_EQ(working.size(), 2u);
    for (const auto& pid : working)
        ::kill(std::stoi(pid), SIGKILL);

    auto r1 = plain.get(5s);
    ASSERT_FALSE(r1.ok());
    EXPECT_EQ(r1.error().code, errc::worker_died);
    EXPECT_NE(r1.error().message.find("died with the call in flight"), std::string::npos);
    auto r2 = retried.get(10s);
    ASSERT_TRUE(r2.ok()) << r2.error().message;
    EXPECT_EQ(*r2, 2);
}

TEST_F(rpc, least_recently_used_with_credit_gives_a_slow_worker_fewer_calls) {
    ASSERT_NO_FATAL_FAILURE(start());
    auto backs = c().ready_pids("back");
    auto slow = *backs.begin();
    w().pid(slow).send("be_slow", 100);
    // The be_slow message reaches the worker before any call below (same path, in order).
    auto back = w().require("back");
    // Keep 8 calls in flight: each completion starts the next, until 200 are done.
    constexpr int total = 200;
    std::mutex mutex;
    std::map<std::int64_t, int> served;
    int started = 0;
    int done = 0;
    std::promise<void> finished;
    std::function<void()> start_one = [&] {
        back.call<std::int64_t>("work", 2).then([&](result<std::int64_t> r) {
            std::lock_guard lock{mutex};
            ++served[r.ok() ? *r : -1];
            if (++done == total)
                finished.set_value();
            if (started < total) {
                ++started;
                start_one();
            }
        });
    };
    {
        std::lock_guard lock{mutex};
        for (; started < 8; ++started)
            start_one();
    }
    ASSERT_EQ(finished.get_future().wait_for(20s), std::future_status::ready);
    std::lock_guard lock{mutex};
    ASSERT_EQ(served.size(), 4u);
    int others = 0;
    for (auto [pid, n] : served) {
        if (pid != slow)
            others += n;
    }
    // Each fast worker serves at least twice what the slow one does (in fact some 10 to
    // 50 times; the margin is for a loaded machine).
    std::string spread;
    for (auto [pid, n] : served)
        spread += fmt::format(" {}{}:{}", pid, pid == slow ? "(slow)" : "", n);
    EXPECT_LT(served[slow] * 2, others / 3) << "served:" << spread;
}

/// Makes 24 "hold" calls of 100 ms; the most a pool worker held at once.
int most_held_at_once(const proxy& pool) {
    std::vector<call_future<int>> calls;
    for (int i = 0; i < 24; ++i)
        calls.push_back(pool.call<int>("hold", 100));
    int most = 0;
    for (auto& f : calls)
        most = std::max(most, f.value(10s));
    return most;
}

TEST_F(rpc, a_worker_never_holds_more_calls_than_its_credit) {
    // Slow calls at any depth (dispatch_policy::slow_call_depth 0): the credit alone
    // bounds them.
    ASSERT_NO_FATAL_FAILURE(
        start({{"TEST_POOL", "2"}, {"TEST_POOL_CREDIT", "3"}, {"TEST_SLOW_CALL_DEPTH", "0"}}));
    EXPECT_EQ(most_held_at_once(w().require("pool")), 3) << "credit 3 is used, and never exceeded";
}

TEST_F(rpc, a_busy_worker_holds_two_slow_calls_at_most_whatever_its_credit) {
    // 100 ms calls are slow (dispatch_policy::fast_call 250 us): while no worker is idle,
    // each holds the one it runs and the next; the rest wait at the kingpin.
    ASSERT_NO_FATAL_FAILURE(start({{"TEST_POOL", "2"}, {"TEST_POOL_CREDIT", "8"}}));
    EXPECT_EQ(most_held_at_once(w().require("pool")), 2);
}

/// Calls add(i, 0) for i in 0..total, `window` calls in flight at a time, and checks
/// that each value comes back exactly once: none lost, none duplicated.
void expect_each_call_answered_once(const proxy& pool, int total, int window) {
    std::vector<char> seen(static_cast<std::size_t>(total), 0);
    for (int base = 0; base < total; base += window) {
        std::vector<call_future<int>> batch;
        for (int i = base; i < std::min(base + window, total); ++i)
            batch.push_back(pool.call<int>("add", i, 0));
        for (auto& f : batch) {
            auto r = f.get(20s);
            ASSERT_TRUE(r.ok()) << r.error().message;
            ASSERT_GE(*r, 0);
            ASSERT_LT(*r, total);
            ++seen[static_cast<std::size_t>(*r)];
        }
    }
    for (int i = 0; i < total; ++i)
        ASSERT_EQ(seen[static_cast<std::size_t>(i)], 1) << "value " << i;
}

TEST_F(rpc, a_hundred_thousand_calls_are_neither_lost_nor_duplicated) {
    // Workers that take many calls at once, as a busy service would be configured.
    ASSERT_NO_FATAL_FAILURE(start({{"TEST_POOL", "4"}, {"TEST_POOL_CREDIT", "64"}}));
    auto back = w().require("pool");
    // Sanitizer builds run 10 to 50 times slower: they check the same paths on fewer calls.
    const int total = 100000 / load_divisor();
    constexpr int window = 1000;
    ASSERT_NO_FATAL_FAILURE(expect_each_call_answered_once(back, total, window));
    EXPECT_EQ(w().pending_calls(), 0u);
}

TEST_F(rpc, eight_threads_can_call_at_once) {
    ASSERT_NO_FATAL_FAILURE(start());
    auto back = w().require("back");
    std::atomic<int> wrong{0};
    std::vector<std::thread> threads;
    for (int t = 0; t < 8; ++t) {
        threads.emplace_back([&, t] {
            for (int i = 0; i < 500; ++i) {
                auto r = back.call<int>("add", t * 1000, i).get(20s);
                if (!r.ok() || *r != t * 1000 + i)
                    ++wrong;
            }
        });
    }
    for (auto& th : threads)
        th.join();
    EXPECT_EQ(wrong.load(), 0);
}

TEST_F(rpc, a_callback_runs_in_the_callers_process_once) {
    ASSERT_NO_FATAL_FAILURE(start());
    auto back = w().require("back");
    std::promise<int> words;
    back.cast("count_words", "the quick brown fox",
              callback<void(int)>{[&](int n) { words.set_value(n); }});
    auto f = words.get_future();
    ASSERT_EQ(f.wait_for(5s), std::future_status::ready);
    EXPECT_EQ(f.get(), 4);
    EXPECT_TRUE(eventually([&] { return w().pending_callbacks() == 0; }, 2s));

    std::atomic<int> calls{0};
    auto second =
        back.call<std::string>("call_twice", callback<void(int)>{[&](int) { ++calls; }}).value(5s);
    EXPECT_NE(second.find("callback_used"), std::string::npos) << second;
    EXPECT_TRUE(eventually([&] { return calls.load() == 1; }, 2s));
}

TEST_F(rpc, a_callback_dropped_uncalled_is_released_at_its_origin) {
    ASSERT_NO_FATAL_FAILURE(start());
    auto back = w().require("back");
    back.call("drop_callback", callback<void(int)>{[](int) {}}).value(5s);
    EXPECT_TRUE(eventually([&] { return w().pending_callbacks() == 0; }, 2s))
        << w().pending_callbacks() << " callbacks still held";
}

TEST_F(rpc, a_callback_whose_holder_dies_is_freed_at_its_origin) {
    ASSERT_NO_FATAL_FAILURE(start());
    auto back = w().require("back");
    // The back keeps the callback (to call it in a minute) and answers at once.
    auto r = back.call("call_later", callback<void(int)>{[](int) {}}, 60000).get(5s);
    ASSERT_TRUE(r.ok()) << r.error().message;
    EXPECT_EQ(w().pending_callbacks(), 1u);
    // A call carrying callbacks asks who served it, without being told to.
    const std::regex id{"back/(\\d+)@.*"};
    std::smatch m;
    ASSERT_TRUE(std::regex_match(r.served_by(), m, id)) << r.served_by();
    ::kill(std::stoi(m[1].str()), SIGKILL);
    // The broker tells the origin its holder is gone (HOLDER_GONE): nothing left to wait for.
    EXPECT_TRUE(eventually([&] { return w().pending_callbacks() == 0; }, 5s))
        << w().pending_callbacks() << " callbacks still held for a dead worker";
}

TEST_F(rpc, the_callbacks_of_a_call_that_never_ran_are_released_at_once) {
    ASSERT_NO_FATAL_FAILURE(start());
    auto r = w().require("back").call("nosuchmethod", callback<void(int)>{[](int) {}}).get(5s);
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error().code, errc::unknown_method);
    EXPECT_EQ(w().pending_callbacks(), 0u);
}

TEST_F(rpc, a_method_name_the_wire_cannot_carry_is_refused_before_anything_is_made) {
    ASSERT_NO_FATAL_FAILURE(start());
    auto back = w().require("back");
    const std::string longest(255, 'm');  // the call head's limit: one size byte
    auto r = back.call<int>(longest).get(5s);
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error().code, errc::unknown_method);
    EXPECT_NE(r.error().message.find(longest), std::string::npos) << r.error().message;

    const std::string too_long(256, 'm');
    try {
        auto sent = back.call(too_long, callback<void(int)>{[](int) {}});
        ADD_FAILURE() << "a 256-byte method name was sent: " << sent.ready();
    } catch (const mob::error& e) {
        EXPECT_EQ(e.code(), errc::unknown_method);
        EXPECT_NE(std::string{e.what()}.find("at most 255 bytes"), std::string::npos) << e.what();
    }
    EXPECT_EQ(w().pending_callbacks(), 0u);  // its callback was never registered
    EXPECT_THROW(w().export_fn(too_long, [] {}), mob::error);
}

TEST_F(rpc, a_callback_called_after_its_deadline_is_an_error_and_the_origin_forgets_it) {
    ASSERT_NO_FATAL_FAILURE(start());
    auto back = w().require("back");
    auto mark = c().kingpin().line_count();
    std::atomic<int> calls{0};
    back.call("call_later", callback<void(int)>{[&](int) { ++calls; }, 200ms}, 600).value(5s);
    EXPECT_EQ(w().pending_callbacks(), 1u);
    EXPECT_TRUE(
        c().kingpin().wait_for(std::regex{"EVENT called_later \\d+ callback_expired"}, 5s, mark))
        << c().kingpin().output();
    EXPECT_TRUE(eventually([&] { return w().pending_callbacks() == 0; }, 2s));
    EXPECT_EQ(calls.load(), 0);
}

TEST_F(rpc, a_callback_whose_origin_is_gone_gives_the_receiver_an_error) {
    ASSERT_NO_FATAL_FAILURE(start());
    auto mark = c().kingpin().line_count();
    {
        probe origin{c()};
        ASSERT_TRUE(origin.w().wait_until_welcomed(20s));
        origin.w()
            .require("back")
            .call("call_later", callback<void(int)>{[](int) {}}, 500)
            .value(5s);
    }  // the origin leaves before the callback is called
    EXPECT_TRUE(c().kingpin().wait_for(std::regex{"EVENT error \\d+ origin_gone"}, 5s, mark))
        << c().kingpin().output();
}

// ---- inline exports (export_options::inline_call: served on the I/O thread) ----

TEST_F(rpc, inline_exports_return_results_errors_and_callbacks) {
    ASSERT_NO_FATAL_FAILURE(start({{"TEST_POOL", "1"}, {"TEST_POOL_INLINE", "1"}}));
    auto pool = w().require("pool");
    EXPECT_EQ(pool.call<int>("add", 40, 2).value(5s), 42);

    auto thrown = pool.call<int>("boom").get(5s);
    ASSERT_FALSE(thrown.ok());
    EXPECT_EQ(thrown.error().code, errc::remote_exception);
    EXPECT_NE(thrown.error().message.find("std::runtime_error: kaboom"), std::string::npos)
        << thrown.error().message;

    auto bad_args = pool.call<int>("add", std::string{"one"}, 2).get(5s);
    ASSERT_FALSE(bad_args.ok());
    EXPECT_EQ(bad_args.error().code, errc::bad_type);

    std::promise<int> words;
    pool.cast("count_words", "one two three",
              callback<void(int)>{[&](int n) { words.set_value(n); }});
    auto f = words.get_future();
    ASSERT_EQ(f.wait_for(5s), std::future_status::ready);
    EXPECT_EQ(f.get(), 3);
    EXPECT_TRUE(eventually([&] { return w().pending_callbacks() == 0; }, 2s));
    EXPECT_EQ(w().pending_calls(), 0u);
}

TEST_F(rpc, an_inline_export_is_served_while_the_dispatcher_is_busy) {
    ASSERT_NO_FATAL_FAILURE(
        start({{"TEST_POOL", "1"}, {"TEST_POOL_CREDIT", "2"}, {"TEST_POOL_INLINE", "1"}}));
    auto pool = w().require("pool");
    // Both calls reach the one worker in this order; the first holds its dispatcher 4 s,
    // so an answer to the second within 3 s (slow sanitizer builds included) came first.
    auto busy = pool.call<int>("busy_dispatcher", 4000);
    auto quick = pool.call<int>("add", 1, 2).get(3s);
    ASSERT_TRUE(quick.ok()) << quick.error().message;
    EXPECT_EQ(*quick, 3);
    EXPECT_FALSE(busy.ready()) << "the inline call did not wait for the dispatcher";
    EXPECT_EQ(busy.value(10s), 4000);
}

TEST_F(rpc, waiting_for_a_result_inside_an_inline_export_fails_at_once_instead_of_hanging) {
    ASSERT_NO_FATAL_FAILURE(start({{"TEST_POOL", "1"}, {"TEST_POOL_INLINE", "1"}}));
    auto answer = w().require("pool").call<std::string>("nested_get").value(10s);
    EXPECT_NE(answer.find("handler_failed"), std::string::npos) << answer;
    EXPECT_NE(answer.find("get() cannot wait inside an inline export"), std::string::npos)
        << answer;
}

TEST_F(rpc, inline_exports_keep_credit) {
    ASSERT_NO_FATAL_FAILURE(start({{"TEST_POOL", "2"},
                                   {"TEST_POOL_CREDIT", "3"},
                                   {"TEST_POOL_INLINE", "1"},
                                   {"TEST_SLOW_CALL_DEPTH", "0"}}));
    EXPECT_EQ(most_held_at_once(w().require("pool")), 3) << "credit 3 is used, and never exceeded";
}

TEST_F(rpc, a_worker_whose_inline_export_runs_briefly_is_not_taken_for_dead) {
    // Heartbeats every 200 ms, a worker is dead after 3 silent ones (600 ms); each call
    // holds the I/O thread (which heartbeats) 250 ms.
    ASSERT_NO_FATAL_FAILURE(
        start({{"TEST_POOL", "1"}, {"TEST_POOL_INLINE", "1"}, {"TEST_HEARTBEAT_MS", "200"}}));
    auto pool = w().require("pool");
    auto mark = c().kingpin().line_count();
    std::set<std::int64_t> pids;
    for (int i = 0; i < 8; ++i) {
        auto r = pool.call<std::int64_t>("work", 250).get(10s);
        ASSERT_TRUE(r.ok()) << r.error().message;
        pids.insert(*r);
    }
    EXPECT_EQ(pids.size(), 1u) << "the same worker served every call";
    // Nor after: heartbeats flow again between calls (a second of them, without a loss).
    EXPECT_FALSE(
        c().kingpin().wait_for(std::regex{"missed heartbeats|pool worker pid \\d+ died"}, 1s, mark))
        << c().kingpin().output();
    EXPECT_EQ(pool.call<std::int64_t>("whoami").value(5s), *pids.begin());
}

TEST_F(rpc, many_pipelined_inline_calls_are_neither_lost_nor_duplicated) {
    ASSERT_NO_FATAL_FAILURE(
        start({{"TEST_POOL", "4"}, {"TEST_POOL_CREDIT", "64"}, {"TEST_POOL_INLINE", "1"}}));
    auto pool = w().require("pool");
    const int total = 20000 / load_divisor();
    constexpr int window = 500;
    ASSERT_NO_FATAL_FAILURE(expect_each_call_answered_once(pool, total, window));
}

// ---- inline result handlers (call_settings::inline_result: on the I/O thread) ----

TEST_F(rpc, inline_result_handlers_get_results_and_errors_while_the_dispatcher_is_busy) {
    ASSERT_NO_FATAL_FAILURE(start());
    auto back = w().require("back");
    // Hold this worker's dispatcher: a plain handler that waits for a release.
    std::promise<void> release;
    auto released = release.get_future().share();
    std::promise<void> holding;
    back.call("add", 0, 0, [&, released](result<int>) {
        holding.set_value();
        released.wait();
    });
    ASSERT_EQ(holding.get_future().wait_for(5s), std::future_status::ready);

    auto inline_back = back.with({.inline_result = true});
    std::promise<std::pair<int, std::thread::id>> sum;
    inline_back.call("add", 40, 2, [&](result<int> r) {
        sum.set_value({r ? *r : -1, std::this_thread::get_id()});
    });
    std::promise<result<int>> thrown;
    inline_back.call("boom", [&](result<int> r) { thrown.set_value(std::move(r)); });
    auto f1 = sum.get_future();
    auto f2 = thrown.get_future();
    // Both arrive although the dispatcher is still held: they did not run there.
    ASSERT_EQ(f1.wait_for(5s), std::future_status::ready);
    ASSERT_EQ(f2.wait_for(5s), std::future_status::ready);
    auto [value, thread] = f1.get();
    EXPECT_EQ(value, 42);
    EXPECT_NE(thread, std::this_thread::get_id());
    auto r = f2.get();
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error().code, errc::remote_exception);
    release.set_value();
}

TEST_F(rpc, an_inline_result_handler_gets_a_timeout) {
    ASSERT_NO_FATAL_FAILURE(start());
    auto slow = w().require("back").with({.timeout = 300ms, .inline_result = true});
    std::promise<result<int>> got;
    auto t0 = std::chrono::steady_clock::now();
    slow.call("slow_echo", 3000, 1, [&](result<int> r) { got.set_value(std::move(r)); });
    auto f = got.get_future();
    ASSERT_EQ(f.wait_for(5s), std::future_status::ready);
    auto r = f.get();
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error().code, errc::timeout);
    EXPECT_LT(std::chrono::steady_clock::now() - t0, 2500ms);
}

TEST_F(rpc, get_inside_an_inline_result_handler_fails_at_once) {
    ASSERT_NO_FATAL_FAILURE(start());
    auto back = w().require("back");
    std::promise<result<int>> nested;
    back.with({.inline_result = true}).call("add", 1, 1, [&](result<int>) {
        nested.set_value(back.call<int>("add", 2, 2).get(10s));
    });
    auto f = nested.get_future();
    ASSERT_EQ(f.wait_for(5s), std::future_status::ready) << "get() hung the I/O thread";
    auto r = f.get();
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error().code, errc::handler_failed);
    EXPECT_NE(r.error().message.find("get() cannot wait"), std::string::npos) << r.error().message;
}

// A pipeline that issues each next call from the previous call's handler, from the I/O
// thread, with 16 in flight (and this thread calling at the same time).
TEST_F(rpc, inline_result_handlers_can_make_calls_and_none_is_lost_or_duplicated) {
    ASSERT_NO_FATAL_FAILURE(start({{"TEST_POOL", "2"}, {"TEST_POOL_CREDIT", "8"}}));
    auto pool = w().require("pool").with({.inline_result = true});
    const int total = 4000 / load_divisor();
    constexpr int window = 16;
    std::vector<int> seen(static_cast<std::size_t>(total), 0);  // I/O thread only
    std::atomic<int> next{0};
    std::atomic<int> done{0};
    std::atomic<int> failed{0};
    std::promise<void> all_done;
    std::function<void()> issue = [&] {
        int i = next.fetch_add(1);
        if (i >= total)
            return;
        pool.call("add", i, 0, [&](result<int> r) {
            if (!r || *r < 0 || *r >= total) {
                ++failed;
            } else {
                ++seen[static_cast<std::size_t>(*r)];
            }
            issue();
            if (++done == total)
                all_done.set_value();
        });
    };
    for (int i = 0; i < window; ++i)
        issue();
    auto plain = w().require("pool");
    for (int i = 0; i < 20; ++i)
        EXPECT_EQ(plain.call<int>("add", i, 1).value(10s), i + 1);
    ASSERT_EQ(all_done.get_future().wait_for(60s), std::future_status::ready)
        << done.load() << " of " << total;
    EXPECT_EQ(failed.load(), 0);
    for (int i = 0; i < total; ++i)
        ASSERT_EQ(seen[static_cast<std::size_t>(i)], 1) << "value " << i;
}

TEST_F(rpc, an_inline_result_handler_hears_shutting_down_when_its_worker_is_destroyed) {
    ASSERT_NO_FATAL_FAILURE(start());
    std::promise<result<int>> got;
    {
        worker caller{
            worker_options{.endpoint = c().endpoint(), .app = "testapp", .role = "front"}};
        ASSERT_TRUE(caller.wait_until_welcomed(20s));
        caller.require("back")
            .with({.inline_result = true})
            .call("slow_echo", 3000, 1, [&](result<int> r) { got.set_value(std::move(r)); });
    }  // destroyed with the call in flight
    auto f = got.get_future();
    ASSERT_EQ(f.wait_for(0s), std::future_status::ready) << "the handler was left hanging";
    auto r = f.get();
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error().code, errc::shutting_down);
}

}  // namespace
}  // namespace mob::test
