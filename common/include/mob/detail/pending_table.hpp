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
#pragma once

#include <chrono>
#include <cstddef>
#include <map>
#include <optional>
#include <set>
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
            deadlines_.emplace(deadline, id);
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
        return deadlines_.empty() ? no_deadline : deadlines_.begin()->first;
    }

    /// Removes every entry whose deadline is at or before `now`, then calls
    /// `fn(id, T&&)` for each, earliest deadline first. `fn` may use the table.
    template <typename F>
    std::size_t expire(time_point now, F&& fn) {
        std::vector<std::pair<Id, T>> due;
        while (!deadlines_.empty() && deadlines_.begin()->first <= now) {
            auto id = deadlines_.begin()->second;
            auto it = entries_.find(id);
            due.emplace_back(id, take_at(it));
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
    };
    using map = std::map<Id, entry>;

    T take_at(typename map::iterator it) {
        if (it->second.deadline != no_deadline)
            deadlines_.erase({it->second.deadline, it->first});
        T value = std::move(it->second.value);
        entries_.erase(it);
        return value;
    }

    map entries_;
    std::set<std::pair<time_point, Id>> deadlines_;
};

}  // namespace mob::detail
