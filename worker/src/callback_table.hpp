// The callbacks made here (passed in a call's arguments) that a receiver may still call
// back, by id, with their deadlines (on pending_table). Owned by the I/O thread: the
// thread that makes a callback picks its id and hands it over through the outbox, before
// the CALL carrying it, so INVOKED always finds it here. A callback is gone once called,
// released, expired or forgotten (its call failed); recent expired ones are remembered,
// so a late call is told "expired" rather than "already used".
#pragma once

#include "mob/detail/pending_table.hpp"
#include "mob/detail/rpc_core.hpp"

#include <atomic>
#include <chrono>
#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <variant>
#include <vector>

namespace mob::detail {

class callback_table {
  public:
    using time_point = std::chrono::steady_clock::time_point;
    static constexpr std::size_t remembered = 4096;  ///< expired ids kept to tell them apart

    /// `outstanding`: the count other threads read, counted up by whoever makes one.
    explicit callback_table(std::atomic<std::size_t>& outstanding) : outstanding_(outstanding) {}

    void add(std::uint64_t id, std::shared_ptr<callback_local> cb, time_point deadline);
    /// INVOKED: the callback, taken (it runs once), or why not: errc::callback_expired
    /// (its deadline passed, or its call failed) or errc::callback_used (called or
    /// released already, or never made here).
    std::variant<std::shared_ptr<callback_local>, errc> take_for_invoke(std::uint64_t id,
                                                                        time_point now);
    /// Its holder dropped it uncalled (RELEASED, or made and dropped here).
    void release(std::uint64_t id);
    /// Its call failed or was given up: a late call back is refused as expired.
    void forget(const std::vector<std::uint64_t>& ids);
    /// The worker `holder` took the call that carried `ids` (its RESULT said so).
    void held_by(const std::vector<std::uint64_t>& ids, const std::string& holder);
    /// HOLDER_GONE: `holder` will never call what it held; those are forgotten (a late
    /// INVOKED, which cannot come, would be refused as expired). How many.
    std::size_t holder_gone(const std::string& holder);
    void expire(time_point now);

    time_point next_deadline() const noexcept { return table_.next_deadline(); }
    std::size_t size() const noexcept { return table_.size(); }

  private:
    void remember_expired(std::uint64_t id);
    /// `id` left the table: it has no holder to remember any more.
    void gone(std::uint64_t id) { holders_.erase(id); }
    std::atomic<std::size_t>& outstanding_;
    pending_table<std::uint64_t, std::shared_ptr<callback_local>> table_;
    std::set<std::uint64_t> expired_;
    std::deque<std::uint64_t> expired_order_;
    std::map<std::uint64_t, std::string> holders_;  ///< of the callbacks still in table_
};

}  // namespace mob::detail
