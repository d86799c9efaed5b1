// The calls this worker made and waits for, by call id, each with its deadline (on
// pending_table). Owned by the I/O thread, which adds (as it takes a CALL off the
// outbox, before sending it), completes (RESULT), expires and fails them; a direct
// sender adds its call while it holds the I/O mutex in the I/O thread's place
// (direct_sink.hpp), so no lock of its own guards it. Other threads read the count of
// pending calls from core_link.
#pragma once

#include "mob/detail/pending_table.hpp"
#include "mob/detail/rpc_core.hpp"
#include "unique_task.hpp"

#include <atomic>
#include <chrono>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <set>
#include <string_view>
#include <unordered_set>
#include <vector>

namespace mob::detail {

/// Fills `state` with `r` unless it has a result already (then false): wakes its waiters,
/// then runs its continuation here (call_settings::inline_result) or hands it to `post`.
bool complete_call(const std::shared_ptr<call_state>& state, raw_result r,
                   const std::function<void(unique_task)>& post);

class call_table {
  public:
    using time_point = std::chrono::steady_clock::time_point;
    struct entry {
        std::shared_ptr<call_state> state;
        std::vector<std::uint64_t> callbacks;  ///< made for its arguments
    };
    /// `complete` finishes a call (the engine's: complete_call with its dispatcher);
    /// `forget` is told the callbacks of a call that will never call them; `outstanding`
    /// is the count other threads read, which whoever starts a call has counted up.
    call_table(std::function<void(const std::shared_ptr<call_state>&, raw_result)> complete,
               std::function<void(const std::vector<std::uint64_t>&)> forget,
               std::atomic<std::size_t>& outstanding);

    void add(std::uint64_t id, entry e, time_point deadline);
    /// A RESULT for `id`: completes the call once, with `r` moved in. False, and `r` left
    /// as it was, if no call waits for it (a cast's error, a duplicate, a call given up).
    bool on_result(std::uint64_t id, raw_result&& r);
    /// Fails the calls whose deadline is at or before `now` with errc::timeout.
    std::size_t expire(time_point now);
    /// Fails with `code` every call but those in `keep` (calls not sent yet).
    std::size_t fail_all_but(const std::set<std::uint64_t>& keep, errc code, std::string_view why);
    std::size_t fail_all(errc code, std::string_view why) { return fail_all_but({}, code, why); }

    /// Whether `id` is a call this table timed out lately: its late RESULT (the broker's
    /// own timeout of the call, say) is not news to report a second time.
    bool gave_up(std::uint64_t id) const { return given_up_.count(id) != 0; }

    /// The callbacks made for call `id`'s arguments (null if it waits no more).
    const std::vector<std::uint64_t>* callbacks_of(std::uint64_t id) const {
        const auto* e = table_.find(id);
        return e != nullptr && !e->callbacks.empty() ? &e->callbacks : nullptr;
    }

    time_point next_deadline() const noexcept { return table_.next_deadline(); }
    std::size_t size() const noexcept { return table_.size(); }

  private:
    void drop(std::uint64_t id, entry& e, raw_result r, bool forget_callbacks);

    std::function<void(const std::shared_ptr<call_state>&, raw_result)> complete_;
    std::function<void(const std::vector<std::uint64_t>&)> forget_;
    std::atomic<std::size_t>& outstanding_;
    pending_table<std::uint64_t, entry> table_;
    /// The ids of the calls timed out lately, oldest first (bounded: a RESULT comes late
    /// by about the broker's queue deadline, not by hours).
    static constexpr std::size_t given_up_kept = 4096;
    std::deque<std::uint64_t> given_up_order_;
    std::unordered_set<std::uint64_t> given_up_;
};

}  // namespace mob::detail
