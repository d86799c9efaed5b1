// mob::detail::callback_table: a callback made here runs once; a late call is told
// whether it expired (deadline, or its call failed) or was used (called or released).
#include "callback_table.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <memory>
#include <variant>

namespace {

using namespace std::chrono_literals;
using mob::errc;
using mob::detail::callback_local;
using mob::detail::callback_table;
const callback_table::time_point t0{};

struct fixture {
    std::atomic<std::size_t> outstanding{0};
    callback_table table{outstanding};
    /// As a thread making a callback does: count it, then hand it over.
    void make(std::uint64_t id,
              callback_table::time_point deadline = callback_table::time_point::max()) {
        ++outstanding;
        table.add(id, std::make_shared<callback_local>(), deadline);
    }
    std::optional<errc> refusal(std::uint64_t id, callback_table::time_point now) {
        auto got = table.take_for_invoke(id, now);
        if (auto* code = std::get_if<errc>(&got))
            return *code;
        EXPECT_NE(std::get<0>(got), nullptr);
        return std::nullopt;
    }
};

TEST(callback_table, a_callback_runs_once_then_is_used) {
    fixture f;
    f.make(1);
    EXPECT_EQ(f.refusal(1, t0), std::nullopt);
    EXPECT_EQ(f.outstanding.load(), 0u);
    EXPECT_EQ(f.refusal(1, t0), errc::callback_used);
}

TEST(callback_table, one_never_made_here_or_released_is_used) {
    fixture f;
    EXPECT_EQ(f.refusal(9, t0), errc::callback_used);
    f.make(2);
    f.table.release(2);
    EXPECT_EQ(f.outstanding.load(), 0u);
    EXPECT_EQ(f.refusal(2, t0), errc::callback_used);
    f.table.release(2);  // twice: nothing more to count down
    EXPECT_EQ(f.outstanding.load(), 0u);
}

TEST(callback_table, one_called_after_its_deadline_is_expired) {
    fixture f;
    f.make(3, t0 + 200ms);
    EXPECT_EQ(f.table.next_deadline(), t0 + 200ms);
    EXPECT_EQ(f.refusal(3, t0 + 200ms), errc::callback_expired);
    EXPECT_EQ(f.refusal(3, t0 + 300ms), errc::callback_expired);  // remembered
    EXPECT_EQ(f.outstanding.load(), 0u);
}

TEST(callback_table, expiry_forgets_overdue_callbacks_and_keeps_the_others) {
    fixture f;
    f.make(1, t0 + 100ms);
    f.make(2, t0 + 300ms);
    f.make(3);
    f.table.expire(t0 + 200ms);
    EXPECT_EQ(f.table.size(), 2u);
    EXPECT_EQ(f.outstanding.load(), 2u);
    EXPECT_EQ(f.refusal(1, t0 + 200ms), errc::callback_expired);
    EXPECT_EQ(f.refusal(2, t0 + 200ms), std::nullopt);
    EXPECT_EQ(f.refusal(3, t0 + 200ms), std::nullopt);
}

TEST(callback_table, the_callbacks_of_a_failed_call_are_expired_not_used) {
    fixture f;
    f.make(4);
    f.make(5);
    f.table.forget({4, 5, 6});
    EXPECT_EQ(f.outstanding.load(), 0u);
    EXPECT_EQ(f.refusal(4, t0), errc::callback_expired);
    EXPECT_EQ(f.refusal(5, t0), errc::callback_expired);
    EXPECT_EQ(f.refusal(6, t0), errc::callback_used);  // never made here
}

TEST(callback_table, only_recent_expired_ids_are_remembered) {
    fixture f;
    for (std::uint64_t id = 1; id <= callback_table::remembered + 1; ++id) {
        f.make(id);
        f.table.forget({id});
    }
    EXPECT_EQ(f.refusal(1, t0), errc::callback_used);  // the oldest went
    EXPECT_EQ(f.refusal(2, t0), errc::callback_expired);
}

}  // namespace
