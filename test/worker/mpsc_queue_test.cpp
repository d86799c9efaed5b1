// mob::detail::mpsc_queue: what several threads push, one thread pops, each item once
// and each producer's items in the order it pushed them.
#include "mpsc_queue.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <memory>
#include <thread>
#include <vector>

namespace {

struct item : mob::detail::mpsc_node {
    item(int p, int i) : producer(p), index(i) {}
    int producer;
    int index;
};

TEST(mpsc_queue, pops_nothing_when_empty_and_items_in_order_when_not) {
    mob::detail::mpsc_queue<item> q;
    EXPECT_EQ(q.pop(), nullptr);
    for (int i = 0; i < 3; ++i)
        q.push(std::make_unique<item>(0, i));
    for (int i = 0; i < 3; ++i) {
        auto got = q.pop();
        ASSERT_NE(got, nullptr);
        EXPECT_EQ(got->index, i);
    }
    EXPECT_EQ(q.pop(), nullptr);
    q.push(std::make_unique<item>(0, 3));  // after the stub went back in
    auto got = q.pop();
    ASSERT_NE(got, nullptr);
    EXPECT_EQ(got->index, 3);
}

TEST(mpsc_queue, frees_what_is_left_in_it) {
    mob::detail::mpsc_queue<item> q;  // LeakSanitizer would say if it did not
    q.push(std::make_unique<item>(0, 0));
    q.push(std::make_unique<item>(0, 1));
}

TEST(mpsc_queue, several_producers_lose_and_duplicate_nothing_and_keep_their_order) {
    constexpr int producers = 4;
    constexpr int each = 20000;
    mob::detail::mpsc_queue<item> q;
    std::vector<std::thread> threads;
    for (int p = 0; p < producers; ++p) {
        threads.emplace_back([&q, p] {
            for (int i = 0; i < each; ++i)
                q.push(std::make_unique<item>(p, i));
        });
    }
    std::vector<int> next(producers, 0);  // the index each producer's next item must have
    int seen = 0;
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds{20};
    while (seen < producers * each && std::chrono::steady_clock::now() < deadline) {
        auto got = q.pop();
        if (!got) {
            std::this_thread::yield();
            continue;
        }
        ASSERT_EQ(got->index, next[got->producer]) << "producer " << got->producer;
        ++next[got->producer];
        ++seen;
    }
    for (auto& t : threads)
        t.join();
    EXPECT_EQ(seen, producers * each);
    EXPECT_EQ(q.pop(), nullptr);
}

}  // namespace
