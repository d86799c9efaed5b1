// The broker's least-recently-used queue (broker/src/lru_queue.hpp), which picks the
// worker for any() messages.
#include "lru_queue.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <deque>
#include <list>
#include <optional>
#include <random>
#include <string>
#include <vector>

namespace {

using queue = mob::detail::lru_queue<std::string>;

std::vector<std::string> order_of(const queue& q) {
    return {q.in_order().begin(), q.in_order().end()};
}

using names = std::vector<std::string>;

queue abc() {
    queue q;
    q.push_back("a");
    q.push_back("b");
    q.push_back("c");
    return q;
}

TEST(lru_queue, starts_empty) {
    queue q;
    EXPECT_TRUE(q.empty());
    EXPECT_EQ(q.size(), 0u);
    EXPECT_FALSE(q.contains("a"));
    EXPECT_TRUE(q.in_order().empty());
}

TEST(lru_queue, an_empty_queue_returns_nullopt) {
    queue q;
    EXPECT_EQ(q.use_front(), std::nullopt);
    EXPECT_EQ(q.pop_front(), std::nullopt);
    EXPECT_EQ(q.back(), std::nullopt);
    EXPECT_FALSE(q.remove("a"));
    EXPECT_TRUE(q.empty());
}

TEST(lru_queue, push_back_keeps_insertion_order) {
    auto q = abc();
    EXPECT_EQ(order_of(q), (names{"a", "b", "c"}));
    EXPECT_EQ(q.size(), 3u);
    EXPECT_FALSE(q.empty());
    EXPECT_TRUE(q.contains("a"));
    EXPECT_TRUE(q.contains("b"));
    EXPECT_TRUE(q.contains("c"));
    EXPECT_FALSE(q.contains("d"));
}

TEST(lru_queue, back_is_the_most_recently_used_and_stays_there) {
    auto q = abc();
    EXPECT_EQ(q.back(), "c");
    EXPECT_EQ(q.back(), "c");
    EXPECT_EQ(order_of(q), (names{"a", "b", "c"}));
    q.push_back("a");
    EXPECT_EQ(q.back(), "a");
}

TEST(lru_queue, use_front_rotates_in_least_recently_used_order) {
    auto q = abc();
    EXPECT_EQ(q.use_front(), "a");
    EXPECT_EQ(order_of(q), (names{"b", "c", "a"}));
    EXPECT_EQ(q.use_front(), "b");
    EXPECT_EQ(q.use_front(), "c");
    EXPECT_EQ(q.use_front(), "a");
    EXPECT_EQ(q.use_front(), "b");
    EXPECT_EQ(q.size(), 3u);
}

TEST(lru_queue, use_front_keeps_every_key) {
    auto q = abc();
    for (int i = 0; i < 10; ++i)
        (void)q.use_front();
    EXPECT_EQ(q.size(), 3u);
    EXPECT_TRUE(q.contains("a") && q.contains("b") && q.contains("c"));
}

TEST(lru_queue, use_front_with_one_key_returns_it_every_time) {
    queue q;
    q.push_back("only");
    EXPECT_EQ(q.use_front(), "only");
    EXPECT_EQ(q.use_front(), "only");
    EXPECT_EQ(q.size(), 1u);
}

TEST(lru_queue, push_back_of_an_existing_key_makes_it_most_recent) {
    auto q = abc();
    q.push_back("a");
    EXPECT_EQ(order_of(q), (names{"b", "c", "a"}));
    EXPECT_EQ(q.size(), 3u);
    q.push_back("c");
    EXPECT_EQ(order_of(q), (names{"b", "a", "c"}));
    q.push_back("c");
    EXPECT_EQ(order_of(q), (names{"b", "a", "c"}));
    EXPECT_EQ(q.use_front(), "b");
}

TEST(lru_queue, remove_from_the_middle) {
    auto q = abc();
    EXPECT_TRUE(q.remove("b"));
    EXPECT_EQ(order_of(q), (names{"a", "c"}));
    EXPECT_FALSE(q.contains("b"));
    EXPECT_EQ(q.size(), 2u);
    EXPECT_EQ(q.use_front(), "a");
    EXPECT_EQ(q.use_front(), "c");
}

TEST(lru_queue, remove_from_the_front) {
    auto q = abc();
    EXPECT_TRUE(q.remove("a"));
    EXPECT_EQ(order_of(q), (names{"b", "c"}));
    EXPECT_EQ(q.use_front(), "b");
}

TEST(lru_queue, remove_from_the_back) {
    auto q = abc();
    EXPECT_TRUE(q.remove("c"));
    EXPECT_EQ(order_of(q), (names{"a", "b"}));
    q.push_back("d");
    EXPECT_EQ(order_of(q), (names{"a", "b", "d"}));
}

TEST(lru_queue, remove_of_a_missing_key_changes_nothing) {
    auto q = abc();
    EXPECT_FALSE(q.remove("z"));
    EXPECT_TRUE(q.remove("a"));
    EXPECT_FALSE(q.remove("a"));
    EXPECT_EQ(order_of(q), (names{"b", "c"}));
}

TEST(lru_queue, a_removed_key_can_come_back_as_most_recent) {
    auto q = abc();
    EXPECT_TRUE(q.remove("a"));
    q.push_back("a");
    EXPECT_EQ(order_of(q), (names{"b", "c", "a"}));
    EXPECT_TRUE(q.contains("a"));
}

TEST(lru_queue, pop_front_removes_the_least_recently_used) {
    auto q = abc();
    (void)q.use_front();  // b c a
    EXPECT_EQ(q.pop_front(), "b");
    EXPECT_FALSE(q.contains("b"));
    EXPECT_EQ(q.size(), 2u);
    EXPECT_EQ(q.pop_front(), "c");
    EXPECT_EQ(q.pop_front(), "a");
    EXPECT_EQ(q.pop_front(), std::nullopt);
    EXPECT_TRUE(q.empty());
    q.push_back("b");
    EXPECT_EQ(order_of(q), (names{"b"}));
}

TEST(lru_queue, works_with_integer_keys) {
    mob::detail::lru_queue<int> q;
    q.push_back(3);
    q.push_back(1);
    q.push_back(2);
    EXPECT_EQ(q.use_front(), 3);
    EXPECT_TRUE(q.remove(1));
    EXPECT_EQ(q.pop_front(), 2);
    EXPECT_EQ(q.pop_front(), 3);
    EXPECT_TRUE(q.empty());
}

// A plain, obviously right model: a deque in least-recently-used order.
class reference_model {
  public:
    void push_back(const std::string& key) {
        remove(key);
        order_.push_back(key);
    }
    std::optional<std::string> use_front() {
        if (order_.empty())
            return std::nullopt;
        auto k = order_.front();
        order_.pop_front();
        order_.push_back(k);
        return k;
    }
    std::optional<std::string> pop_front() {
        if (order_.empty())
            return std::nullopt;
        auto k = order_.front();
        order_.pop_front();
        return k;
    }
    bool remove(const std::string& key) {
        auto it = std::find(order_.begin(), order_.end(), key);
        if (it == order_.end())
            return false;
        order_.erase(it);
        return true;
    }
    bool contains(const std::string& key) const {
        return std::find(order_.begin(), order_.end(), key) != order_.end();
    }
    std::size_t size() const { return order_.size(); }
    std::vector<std::string> order() const { return {order_.begin(), order_.end()}; }

  private:
    std::deque<std::string> order_;
};

TEST(lru_queue, behaves_like_a_simple_reference_model_under_random_operations) {
    std::mt19937 rng{12345};
    for (int run = 0; run < 60; ++run) {
        queue q;
        reference_model model;
        // Mostly few keys, so that operations often hit keys already queued; every
        // sixth run more keys than the queue keeps parked, so that some are forgotten.
        const auto key_count = run % 6 == 5 ? 200 + rng() % 100 : 1 + rng() % 12;
        for (int step = 0; step < 2000; ++step) {
            const auto key = "k" + std::to_string(rng() % key_count);
            const auto op = rng() % 6;
            SCOPED_TRACE("run " + std::to_string(run) + " step " + std::to_string(step) + " op " +
                         std::to_string(op) + " key " + key);
            switch (op) {
                case 0:
                case 1:
                    q.push_back(key);
                    model.push_back(key);
                    break;
                case 2:
                    ASSERT_EQ(q.use_front(), model.use_front());
                    break;
                case 3:
                    ASSERT_EQ(q.pop_front(), model.pop_front());
                    break;
                case 4:
                    ASSERT_EQ(q.remove(key), model.remove(key));
                    break;
                default:
                    ASSERT_EQ(q.contains(key), model.contains(key));
                    break;
            }
            ASSERT_EQ(q.size(), model.size());
            ASSERT_EQ(q.empty(), model.size() == 0);
            ASSERT_EQ(order_of(q), model.order());
        }
    }
}

TEST(lru_queue, keys_removed_for_good_are_not_remembered_forever) {
    // Workers come and go (revived under new handles): the parked keys stay bounded.
    mob::detail::lru_queue<int> q;
    q.push_back(-1);
    for (int k = 0; k < 10000; ++k) {
        q.push_back(k);
        EXPECT_TRUE(q.remove(k));
    }
    EXPECT_EQ(q.size(), 1u);
    EXPECT_LE(q.remembered(), 1 + 1 + decltype(q)::max_parked);
    EXPECT_FALSE(q.contains(9999));
    EXPECT_FALSE(q.remove(9999));  // parked is not queued
    q.push_back(9999);             // comes back from where it was parked
    EXPECT_EQ(q.back(), 9999);
    EXPECT_EQ(q.size(), 2u);
}

}  // namespace
