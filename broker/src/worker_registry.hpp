// Every worker that said hello, each in one explicit state, looked up by its routing id
// once per incoming message and by its handle everywhere else. It judges liveness
// (heartbeats both ways, and a stalled kingpin is not its workers' fault), and it is
// where a worker found unreachable is marked gone: the broker forgets the marked ones
// once the message in hand is handled, so no handler ever finds the worker it is
// working on erased under it, and removal never recurses.
#pragma once

#include "broker_types.hpp"
#include "outbox.hpp"
#include "role_table.hpp"

#include <chrono>
#include <cstdint>
#include <deque>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace mob::detail {

struct kingpin_config;

/// connected (said hello) -> ready (said READY: gets calls and messages) -> stopping
/// (told to STOP: gets nothing new, finishes what it has) -> exited (its process ended
/// cleanly with calls in flight: kept a moment for its last REPLYs). A worker may skip
/// states, and leaves the registry from any of them.
enum class worker_state { connected, ready, stopping, exited };
std::string_view to_string(worker_state s) noexcept;

struct worker_entry {
    worker_handle handle = 0;
    std::string id;  ///< its routing id
    role_index role = 0;
    std::string role_name;
    std::int64_t pid = 0;
    std::string host;
    bool local_child = false;  ///< a process this kingpin spawned
    std::string key;           ///< the name of its CURVE key (ZAP user id), "" without one
    worker_state state = worker_state::connected;
    /// Why it is to be forgotten when the message in hand is done ("" while it is not).
    std::string_view gone;
    clock::time_point joined;
    clock::time_point last_heard;
    clock::time_point exit_deadline;  ///< exited: forgotten at this time at the latest
    std::uint32_t credit = 1;         ///< calls it takes at once
    std::uint32_t in_flight = 0;      ///< calls at it now (the call dispatcher holds them)
    clock::time_point last_reply{};   ///< when its last REPLY came (to time its calls)
    std::uint64_t served = 0;
    std::uint64_t delivered = 0;
    std::uint64_t received = 0;  ///< messages it sent the broker, any command (a flood shows)
    std::vector<std::string> exports;
    /// ERRORs and RESULTs it is owed that its full pipe did not take yet, oldest first.
    std::deque<frames> owed;
    std::uint64_t fates_lost = 0;       ///< owed past max_owed_per_worker: lost, counted
    std::uint64_t lost_unreported = 0;  ///< of those, not yet told in a LOST
    clock::time_point lost_logged{};    ///< when a loss was last logged (once per interval)
    /// Workers whose calls it took that asked who served them (as calls carrying
    /// callbacks do): told HOLDER_GONE when it goes.
    std::set<worker_handle> callback_origins;

    bool alive() const noexcept { return gone.empty(); }
    /// Whether it takes new calls and messages.
    bool routable() const noexcept { return state == worker_state::ready && gone.empty(); }
};

class worker_registry {
  public:
    worker_registry(outbox& out, const role_table& roles, const kingpin_config& config,
                    clock::time_point now);

    worker_entry* find(std::string_view id) noexcept;
    const worker_entry* find(std::string_view id) const noexcept;
    worker_entry* find(worker_handle h) noexcept;
    const worker_entry* find(worker_handle h) const noexcept;
    /// A worker that may still be told something (known, and not marked gone).
    worker_entry* find_alive(worker_handle h) noexcept {
        auto* w = find(h);
        return w != nullptr && w->alive() ? w : nullptr;
    }

    /// Registers a worker that said hello, in state connected, under a fresh handle.
    worker_entry& add(std::string id, role_index role, const protocol::hello& h, bool local_child,
                      clock::time_point now);
    /// Takes the worker out of the registry (its last step: the other parts have let it go).
    worker_entry erase(worker_handle h);

    void set_ready(worker_entry& w);
    /// Nothing new goes to it: stopping, or exited with a deadline for its last REPLYs.
    void set_stopping(worker_entry& w);
    void set_exited(worker_entry& w, clock::time_point deadline);

    /// Marks `w` to be forgotten (for `why`, a literal) once the message in hand is done.
    void mark_gone(worker_entry& w, std::string_view why);
    /// The workers marked gone since the last call, oldest first (the list is then empty).
    std::vector<worker_handle> take_gone();
    bool any_gone() const noexcept { return !gone_.empty(); }

    /// Sends to a known worker; one found unreachable is marked gone.
    send_result send(worker_entry& w, frames& body);
    send_result send_signal(worker_entry& w, protocol::command c);
    send_result send_error(worker_entry& w, std::uint64_t seq, errc code, std::string text);
    send_result send_failed_result(worker_entry& w, std::uint64_t call_id, errc code,
                                   std::string_view text);

    /// Sends an ERROR or RESULT `w` is owed (its fate of a message or call): one its full
    /// pipe does not take is kept, behind any kept before it, and sent by flush_owed();
    /// past the bound it is lost and counted (owed_fates.cpp).
    send_result send_fate(worker_entry& w, frames& body, clock::time_point now);
    send_result send_fate(worker_entry& w, frames& body) { return send_fate(w, body, last_tick_); }
    /// Sends what is kept, in order, while pipes take it; then a LOST to a worker whose
    /// losses it has not been told.
    void flush_owed(clock::time_point now);
    /// Fates kept for full pipes, over all workers.
    std::size_t owed_total() const noexcept { return owed_total_; }
    std::uint64_t fates_lost_total() const noexcept { return fates_lost_total_; }

    /// How a message that did not parse is answered: ERROR, or a failed RESULT (a call's).
    enum class answer { error, result };
    /// Counts `w`'s message that did not parse (under the failure's reason) and answers
    /// it with the failure's text, under its seq or call id.
    void refuse(worker_entry& w, const protocol::parse_failure& f, answer with);

    /// Heartbeats to every worker, and the silent or exited ones marked gone. `drained`:
    /// every message waiting was read (a backlog is not silence).
    void tick(clock::time_point now, bool drained);
    clock::time_point next_deadline() const noexcept;

    /// Calls fn(worker_entry&) for each worker of process `pid` (several, on different hosts).
    template <typename F>
    void for_each_of_pid(std::int64_t pid, F&& fn) {
        auto [b, e] = by_pid_.equal_range(pid);
        for (auto it = b; it != e; ++it) {
            if (auto* w = find(it->second))
                fn(*w);
        }
    }
    std::size_t count_of_pid(std::int64_t pid) const { return by_pid_.count(pid); }
    /// Calls fn(worker_entry&) for every worker (none is added or erased meanwhile).
    template <typename F>
    void for_each(F&& fn) {
        for (auto& [h, w] : by_handle_)
            fn(w);
    }
    template <typename F>
    void for_each(F&& fn) const {
        for (const auto& [h, w] : by_handle_)
            fn(w);
    }

    std::uint32_t ready_count(role_index r) const noexcept { return counts_[r].ready; }
    /// Whether `role` has its target of ready workers.
    bool role_full(std::string_view role) const noexcept;
    bool all_full() const noexcept;
    /// Workers whose process exited but whose last messages may still be on the way.
    bool lingering() const noexcept { return exited_ != 0; }
    std::size_t size() const noexcept { return by_handle_.size(); }

    /// Each worker's line, and each role's ready and joined counts.
    void describe(control::app_status& s, clock::time_point now) const;

  private:
    struct role_counts {
        std::uint32_t ready = 0;
        std::uint32_t joined = 0;  ///< members not started by this kingpin
    };
    void leave_state(worker_entry& w);

    outbox& out_;
    const role_table& roles_;
    const kingpin_config& config_;
    worker_handle next_handle_ = 1;
    std::unordered_map<worker_handle, worker_entry> by_handle_;
    /// By routing id, to the entry itself: one lookup per incoming message (the nodes of
    /// by_handle_ never move).
    std::unordered_map<std::string, worker_entry*, id_hash, std::equal_to<>> by_id_;
    std::unordered_multimap<std::int64_t, worker_handle> by_pid_;
    std::vector<role_counts> counts_;
    std::vector<worker_handle> gone_;
    std::size_t exited_ = 0;
    std::vector<worker_handle> owing_;  ///< workers with fates kept or losses untold
    std::size_t owed_total_ = 0;
    std::uint64_t fates_lost_total_ = 0;
    clock::time_point next_flush_ = clock::time_point::max();
    clock::time_point next_heartbeat_;
    clock::time_point last_tick_;
};

}  // namespace mob::detail
