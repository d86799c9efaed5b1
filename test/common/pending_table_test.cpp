// mob::detail::pending_table: ids, deadlines, expiry and failing all, driven by a clock
// the test holds (time_points it makes up), as the broker and the worker drive it.
#include "mob/detail/pending_table.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

namespace {

using namespace std::chrono_literals;
using table = mob::detail::pending_table<std::uint64_t, std::string>;
using time_point = table::time_point;
const time_point t0{};  // the test's own clock: time_points made from durations

std::vector<std::uint64_t> ids_of(const table& t) {
    std::vector<std::uint64_t> ids;
    t.for_each([&](std::uint64_t id, const std::string&) { ids.push_back(id); });
    return ids;
}

TEST(pending_table, starts_empty_with_no_deadline) {
    table t;
    EXPECT_TRUE(t.empty());
    EXPECT_EQ(t.size(), 0u);
    EXPECT_EQ(t.next_deadline(), table::no_deadline);
    EXPECT_EQ(t.take(1), std::nullopt);
    EXPECT_EQ(t.take_first(), std::nullopt);
    EXPECT_EQ(t.first_id(), std::nullopt);
    EXPECT_EQ(t.find(1), nullptr);
}

TEST(pending_table, insert_then_take_gives_the_value_back_once) {
    table t;
    EXPECT_TRUE(t.insert(7, "seven", t0 + 5s));
    EXPECT_TRUE(t.contains(7));
    ASSERT_NE(t.find(7), nullptr);
    EXPECT_EQ(*t.find(7), "seven");
    EXPECT_EQ(t.deadline_of(7), t0 + 5s);
    EXPECT_EQ(t.take(7), "seven");
    EXPECT_EQ(t.take(7), std::nullopt);
    EXPECT_TRUE(t.empty());
    EXPECT_EQ(t.next_deadline(), table::no_deadline);  // its deadline went with it
}

TEST(pending_table, a_second_insert_of_an_id_changes_nothing) {
    table t;
    EXPECT_TRUE(t.insert(1, "first", t0 + 1s));
    EXPECT_FALSE(t.insert(1, "second", t0 + 9s));
    EXPECT_EQ(*t.find(1), "first");
    EXPECT_EQ(t.next_deadline(), t0 + 1s);
    EXPECT_EQ(t.size(), 1u);
}

TEST(pending_table, next_deadline_is_the_earliest_of_the_entries_left) {
    table t;
    t.insert(1, "a", t0 + 3s);
    t.insert(2, "b", t0 + 1s);
    t.insert(3, "c");  // none
    EXPECT_EQ(t.next_deadline(), t0 + 1s);
    t.take(2);
    EXPECT_EQ(t.next_deadline(), t0 + 3s);
    t.take(1);
    EXPECT_EQ(t.next_deadline(), table::no_deadline);
    EXPECT_EQ(t.size(), 1u);
}

TEST(pending_table, expire_takes_what_is_due_earliest_first_and_leaves_the_rest) {
    table t;
    t.insert(1, "late", t0 + 10s);
    t.insert(2, "due second", t0 + 2s);
    t.insert(3, "due first", t0 + 1s);
    t.insert(4, "never");
    std::vector<std::pair<std::uint64_t, std::string>> expired;
    auto n = t.expire(t0 + 2s, [&](std::uint64_t id, std::string&& v) {
        expired.emplace_back(id, std::move(v));
    });
    EXPECT_EQ(n, 2u);
    ASSERT_EQ(expired.size(), 2u);
    EXPECT_EQ(expired[0], (std::pair<std::uint64_t, std::string>{3, "due first"}));
    EXPECT_EQ(expired[1], (std::pair<std::uint64_t, std::string>{2, "due second"}));
    EXPECT_EQ(ids_of(t), (std::vector<std::uint64_t>{1, 4}));
    EXPECT_EQ(t.next_deadline(), t0 + 10s);
    EXPECT_EQ(t.expire(t0 + 9s, [](std::uint64_t, std::string&&) { FAIL(); }), 0u);
}

TEST(pending_table, an_expired_entry_is_gone_before_its_handler_runs) {
    table t;
    t.insert(1, "x", t0 + 1s);
    t.expire(t0 + 1s, [&](std::uint64_t id, std::string&&) {
        EXPECT_FALSE(t.contains(id));
        EXPECT_TRUE(t.insert(id, "again"));  // the handler may use the table
    });
    EXPECT_EQ(*t.find(1), "again");
}

TEST(pending_table, entries_with_the_same_deadline_all_expire) {
    table t;
    for (std::uint64_t id = 1; id <= 5; ++id)
        t.insert(id, std::to_string(id), t0 + 1s);
    EXPECT_EQ(t.expire(t0 + 1s, [](std::uint64_t, std::string&&) {}), 5u);
    EXPECT_TRUE(t.empty());
}

TEST(pending_table, ids_iterate_in_ascending_order_so_growing_ids_make_a_fifo) {
    table t;
    t.insert(30, "c");
    t.insert(10, "a");
    t.insert(20, "b");
    EXPECT_EQ(t.first_id(), 10u);
    auto first = t.take_first();
    ASSERT_TRUE(first);
    EXPECT_EQ(first->first, 10u);
    EXPECT_EQ(first->second, "a");
    EXPECT_EQ(ids_of(t), (std::vector<std::uint64_t>{20, 30}));
}

TEST(pending_table, take_if_takes_only_the_matching_entries_in_id_order) {
    table t;
    t.insert(1, "keep", t0 + 1s);
    t.insert(2, "drop", t0 + 1s);
    t.insert(3, "drop");
    std::vector<std::uint64_t> taken;
    auto n = t.take_if([](std::uint64_t, const std::string& v) { return v == "drop"; },
                       [&](std::uint64_t id, std::string&&) { taken.push_back(id); });
    EXPECT_EQ(n, 2u);
    EXPECT_EQ(taken, (std::vector<std::uint64_t>{2, 3}));
    EXPECT_EQ(ids_of(t), (std::vector<std::uint64_t>{1}));
    EXPECT_EQ(t.next_deadline(), t0 + 1s);
}

TEST(pending_table, fail_all_empties_the_table_and_its_deadlines) {
    table t;
    t.insert(2, "b", t0 + 2s);
    t.insert(1, "a", t0 + 1s);
    std::vector<std::string> failed;
    EXPECT_EQ(t.fail_all([&](std::uint64_t, std::string&& v) { failed.push_back(std::move(v)); }),
              2u);
    EXPECT_EQ(failed, (std::vector<std::string>{"a", "b"}));
    EXPECT_TRUE(t.empty());
    EXPECT_EQ(t.next_deadline(), table::no_deadline);
}

TEST(pending_table, holds_move_only_values) {
    mob::detail::pending_table<int, std::unique_ptr<int>> t;
    t.insert(1, std::make_unique<int>(42), t0 + 1s);
    auto v = t.take(1);
    ASSERT_TRUE(v && *v);
    EXPECT_EQ(**v, 42);
}

TEST(pending_table, an_id_taken_and_inserted_again_keeps_only_its_new_deadline) {
    table t;
    t.insert(1, "first", t0 + 1s);
    ASSERT_TRUE(t.take(1));
    t.insert(1, "again", t0 + 5s);  // the old deadline is still in the heap, stale
    EXPECT_EQ(t.next_deadline(), t0 + 5s);
    EXPECT_EQ(t.expire(t0 + 2s, [](std::uint64_t, std::string&&) {}), 0u);
    std::vector<std::string> due;
    EXPECT_EQ(t.expire(t0 + 5s, [&](std::uint64_t, std::string&& v) { due.push_back(v); }), 1u);
    EXPECT_EQ(due, (std::vector<std::string>{"again"}));
    EXPECT_TRUE(t.empty());
}

TEST(pending_table, the_same_id_and_deadline_again_expires_once) {
    table t;
    t.insert(1, "first", t0 + 1s);
    ASSERT_TRUE(t.take(1));
    t.insert(1, "again", t0 + 1s);  // its old slot looks the same but is not its own
    std::vector<std::string> due;
    EXPECT_EQ(t.expire(t0 + 1s, [&](std::uint64_t, std::string&& v) { due.push_back(v); }), 1u);
    EXPECT_EQ(due, (std::vector<std::string>{"again"}));
    EXPECT_EQ(t.next_deadline(), table::no_deadline);
}

TEST(pending_table, deadlines_of_entries_taken_do_not_pile_up) {
    // Calls answered long before their deadline: the worker's and the kingpin's steady
    // state. The heap keeps their slots only until the stale ones outnumber the live.
    table t;
    for (std::uint64_t id = 0; id < 100000; ++id) {
        t.insert(id, "call", t0 + 30s + std::chrono::milliseconds{id});
        if (id >= 64) {
            ASSERT_TRUE(t.take(id - 64));  // 64 in flight
        }
    }
    EXPECT_EQ(t.size(), 64u);
    EXPECT_LE(t.deadline_slots(), 2 * 64u + 34u);
    EXPECT_EQ(t.next_deadline(), t0 + 30s + std::chrono::milliseconds{100000 - 64});
}

TEST(pending_table, equal_deadlines_expire_in_the_order_they_were_inserted) {
    table t;
    t.insert(9, "first", t0 + 1s);
    t.insert(3, "second", t0 + 1s);
    std::vector<std::string> due;
    t.expire(t0 + 1s, [&](std::uint64_t, std::string&& v) { due.push_back(v); });
    EXPECT_EQ(due, (std::vector<std::string>{"first", "second"}));
}

}  // namespace
