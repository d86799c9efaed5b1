// mob::detail::pending_table<Id, T>: things waiting for an answer, by id, each with a
// deadline (as nng's nni_id_map, with the deadlines beside it). The worker keeps its
// calls and callbacks in one; the broker its queued calls and the calls in flight at
// each worker. It owns no clock: callers pass `now`, so a unit test drives time itself.
//
//     pending_table<std::uint64_t, call> calls;
//     calls.insert(7, call{...}, now + 30s);
//     if (auto c = calls.take(7)) complete(*c);
//     calls.expire(now, [](std::uint64_t id, call&& c) { fail(c, errc::timeout); });
//
// Ids iterate in ascending order (a std::map): a table whose ids grow with each insert is
// also a FIFO, which the broker's queue of calls waiting for a worker relies on. An entry
// without a deadline (time_point::max(), the default) costs no deadline bookkeeping.
//
// The deadlines are a min-heap in a vector, not a std::set: every call the worker makes
// and every call the kingpin routes passes through one of these tables, and a set costs
// a node allocation, a free and two rebalances per entry. An entry taken leaves its
// deadline in the heap (stale: its id is gone, or came back with a slot of its own), and
// the heap drops stale tops as it goes and is rebuilt from the live entries once stale
// ones outnumber them, so it holds at most about twice the live entries.
#pragma once

#include <algorithm>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <utility>
#include <vector>

namespace mob::detail {

template <typename Id, typename T, typename Clock = std::chrono::steady_clock>
class pending_table {
  public:
    using time_point = typename Clock::time_point;
    static constexpr time_point no_deadline = time_point::max();

    /// Adds `value` under `id`; false (and nothing changes) if `id` is already there.
    bool insert(Id id, T value, time_point deadline = no_deadline) {
        auto [it, added] =
            entries_.try_emplace(id, std::move(value), deadline);  // built in its node
        if (added && deadline != no_deadline)
            push_deadline(it->second, id);
        return added;
    }

    /// Removes and returns the entry `id`, if it is there.
    std::optional<T> take(const Id& id) {
        auto it = entries_.find(id);
        if (it == entries_.end())
            return std::nullopt;
        return take_at(it);
    }

    /// Removes and returns the entry with the smallest id (the oldest of a FIFO).
    std::optional<std::pair<Id, T>> take_first() {
        if (entries_.empty())
            return std::nullopt;
        auto id = entries_.begin()->first;
        return std::pair<Id, T>{id, take_at(entries_.begin())};
    }

    T* find(const Id& id) {
        auto it = entries_.find(id);
        return it == entries_.end() ? nullptr : &it->second.value;
    }
    const T* find(const Id& id) const {
        auto it = entries_.find(id);
        return it == entries_.end() ? nullptr : &it->second.value;
    }
    bool contains(const Id& id) const { return entries_.count(id) != 0; }
    std::size_t size() const noexcept { return entries_.size(); }
    bool empty() const noexcept { return entries_.empty(); }
    /// The smallest id, if any.
    std::optional<Id> first_id() const {
        if (entries_.empty())
            return std::nullopt;
        return entries_.begin()->first;
    }

    /// The earliest deadline, or no_deadline if no entry has one.
    time_point next_deadline() const noexcept {
        drop_stale_tops();
        return deadlines_.empty() ? no_deadline : deadlines_.front().deadline;
    }

    /// The deadlines the heap holds, stale ones included (to test that it stays bounded).
    std::size_t deadline_slots() const noexcept { return deadlines_.size(); }

    /// Removes every entry whose deadline is at or before `now`, then calls
    /// `fn(id, T&&)` for each, earliest deadline first. `fn` may use the table.
    template <typename F>
    std::size_t expire(time_point now, F&& fn) {
        std::vector<std::pair<Id, T>> due;
        for (;;) {
            drop_stale_tops();
            if (deadlines_.empty() || deadlines_.front().deadline > now)
                break;
            auto id = deadlines_.front().id;
            pop_deadline();
            due.emplace_back(id, take_at(entries_.find(id), /*slot_popped=*/true));
        }
        for (auto& [id, value] : due)
            fn(id, std::move(value));
        return due.size();
    }

    /// Removes every entry for which `pred(id, const T&)` holds, then calls `fn(id, T&&)`
    /// for each, in id order. `fn` may use the table.
    template <typename Pred, typename F>
    std::size_t take_if(Pred&& pred, F&& fn) {
        std::vector<std::pair<Id, T>> taken;
        for (auto it = entries_.begin(); it != entries_.end();) {
            if (pred(it->first, std::as_const(it->second.value))) {
                auto id = it->first;
                auto next = std::next(it);
                taken.emplace_back(id, take_at(it));
                it = next;
            } else {
                ++it;
            }
        }
        for (auto& [id, value] : taken)
            fn(id, std::move(value));
        return taken.size();
    }

    /// Removes every entry, then calls `fn(id, T&&)` for each, in id order (to fail them
    /// all: a worker gone, a broker lost, a shutdown). `fn` may use the table.
    template <typename F>
    std::size_t fail_all(F&& fn) {
        return take_if([](const Id&, const T&) { return true; }, std::forward<F>(fn));
    }

    /// Calls `fn(id, const T&)` for each entry, in id order.
    template <typename F>
    void for_each(F&& fn) const {
        for (const auto& [id, e] : entries_)
            fn(id, e.value);
    }

    /// The deadline of `id`, if it is there.
    std::optional<time_point> deadline_of(const Id& id) const {
        auto it = entries_.find(id);
        if (it == entries_.end())
            return std::nullopt;
        return it->second.deadline;
    }

  private:
    struct entry {
        // Spelled out for clang 14 (the fuzz build), which lacks C++20's aggregate
        // initialization with parentheses that try_emplace relies on.
        entry(T v, time_point d) : value(std::move(v)), deadline(d) {}
        T value;
        time_point deadline;
        std::uint64_t generation = 0;  ///< its slot's in the deadline heap
    };
    using map = std::map<Id, entry>;

    /// A deadline in the heap: live while its entry is there with the same generation
    /// (an id taken and inserted again gets a slot of its own; the old one is stale).
    struct slot {
        time_point deadline;
        std::uint64_t generation;
        Id id;
    };
    /// std::push_heap keeps the greatest first: "later" makes it the earliest deadline,
    /// then the entry inserted first.
    struct later {
        bool operator()(const slot& a, const slot& b) const noexcept {
            return a.deadline != b.deadline ? a.deadline > b.deadline : a.generation > b.generation;
        }
    };

    /// `slot_popped`: its deadline's slot has left the heap already (expire()).
    T take_at(typename map::iterator it, bool slot_popped = false) {
        // Its slot stays in the heap, stale, until it comes to the top or a rebuild.
        if (it->second.deadline != no_deadline && !slot_popped)
            ++stale_;
        T value = std::move(it->second.value);
        entries_.erase(it);
        return value;
    }

    void push_deadline(entry& e, const Id& id) {
        if (stale_ > 32 && 2 * stale_ > deadlines_.size())
            rebuild_deadlines();
        e.generation = next_generation_++;
        deadlines_.push_back(slot{e.deadline, e.generation, id});
        std::push_heap(deadlines_.begin(), deadlines_.end(), later{});
    }
    void pop_deadline() const {
        std::pop_heap(deadlines_.begin(), deadlines_.end(), later{});
        deadlines_.pop_back();
    }
    bool live(const slot& s) const {
        auto it = entries_.find(s.id);
        return it != entries_.end() && it->second.generation == s.generation;
    }
    void drop_stale_tops() const {
        while (!deadlines_.empty() && !live(deadlines_.front())) {
            pop_deadline();
            --stale_;
        }
    }
    void rebuild_deadlines() {
        deadlines_.clear();
        for (const auto& [id, e] : entries_) {
            if (e.deadline != no_deadline)
                deadlines_.push_back(slot{e.deadline, e.generation, id});
        }
        std::make_heap(deadlines_.begin(), deadlines_.end(), later{});
        stale_ = 0;
    }

    map entries_;
    // Mutable: next_deadline(), a const look, drops the stale tops it finds.
    mutable std::vector<slot> deadlines_;
    mutable std::size_t stale_ = 0;  ///< slots in deadlines_ whose entry is gone
    std::uint64_t next_generation_ = 0;
};

}  // namespace mob::detail
