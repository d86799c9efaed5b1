// mob::detail::dispatcher: tasks posted from several threads run on its one thread, each
// thread's in order; stop() runs what is queued, then joins; later posts are dropped.
#include "dispatcher.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <thread>
#include <vector>

namespace {

TEST(dispatcher, runs_every_task_posted_from_several_threads_in_each_threads_order) {
    constexpr int producers = 3;
    constexpr int each = 5000;
    std::vector<int> next(producers, 0);  // touched by the dispatcher thread only
    std::atomic<int> out_of_order{0};
    std::atomic<int> ran{0};
    {
        mob::detail::dispatcher d;
        std::vector<std::thread> threads;
        for (int p = 0; p < producers; ++p) {
            threads.emplace_back([&, p] {
                for (int i = 0; i < each; ++i) {
                    d.post([&, p, i] {
                        if (next[p]++ != i)
                            ++out_of_order;
                        ++ran;
                    });
                }
            });
        }
        for (auto& t : threads)
            t.join();
        d.stop();  // runs what is queued first
        EXPECT_EQ(ran.load(), producers * each);
        d.post([&] { ++ran; });  // after stop: dropped
    }
    EXPECT_EQ(ran.load(), producers * each);
    EXPECT_EQ(out_of_order.load(), 0);
}

/// Whether `flag` is set within two seconds.
bool within_two_seconds(const std::atomic<bool>& flag) {
    auto until = std::chrono::steady_clock::now() + std::chrono::seconds{2};
    while (!flag && std::chrono::steady_clock::now() < until)
        std::this_thread::yield();
    return flag.load();
}

TEST(dispatcher, wakes_for_a_task_posted_after_it_ran_out_of_work) {
    mob::detail::dispatcher d;
    std::atomic<bool> first{false};
    std::atomic<bool> second{false};
    d.post([&] { first = true; });
    ASSERT_TRUE(within_two_seconds(first));
    d.post([&] { second = true; });  // it has nothing left: it sleeps, or is about to
    EXPECT_TRUE(within_two_seconds(second));
}

}  // namespace
