// The broker's half of RPC: a CALL goes to a worker of its role with credit to spare
// (see dispatch_policy: an idle one, least recently used first, or, once enough are
// busy and the method's calls are fast, the busy one that is awake), or waits in the
// role's bounded FIFO until one is free or the call's deadline passes. Each REQUEST
// carries a ticket (a number of the broker's in place of the caller's call id) under
// which the call is held in flight: its REPLY names the ticket, goes on as the
// caller's RESULT and returns the worker's credit. A worker's death fails its calls to
// their callers, or runs an idempotent call once more elsewhere. A call's head is read
// once, when the CALL comes in, and kept.
#pragma once

#include "broker_types.hpp"
#include "call_timing.hpp"
#include "lru_queue.hpp"
#include "mob/detail/pending_table.hpp"
#include "worker_registry.hpp"

#include <cstdint>
#include <set>
#include <span>
#include <string>
#include <unordered_map>
#include <vector>

namespace mob::detail {

struct kingpin_config;

/// A call the broker holds: waiting for a worker, or in flight at one.
struct held_call {
    worker_handle caller = 0;
    std::uint64_t call_id = 0;       ///< the caller's id (the head carries tickets)
    protocol::call_head_frame head;  ///< as the CALL brought it; each REQUEST's head
    zmq::message_t args;             ///< moved into the REQUEST, shared while it may run again
    std::uint8_t flags = 0;          ///< the head's, read once (asked at every dispatch and REPLY)
    bool retried = false;

    std::string_view method() const noexcept { return head.method(); }
    bool has(protocol::call_flags f) const noexcept { return (flags & f) != 0; }
    /// Whether it may run a second time if the worker serving it dies.
    bool retryable() const noexcept { return has(protocol::call_idempotent) && !retried; }
};

class call_dispatcher {
  public:
    call_dispatcher(worker_registry& workers, outbox& out, const role_table& roles,
                    const kingpin_config& config);

    void on_call(worker_entry& from, std::span<zmq::message_t> msg, clock::time_point now);
    void on_reply(worker_entry& from, std::span<zmq::message_t> msg, clock::time_point now);

    /// `w` is ready (again): its credit and exports may have changed.
    void worker_ready(worker_entry& w);
    /// `w` takes no new call (stopping, exited or gone); its calls in flight stay.
    void unroute(const worker_entry& w);
    /// `w` is gone: its calls in flight fail or, idempotent, wait to run again; the
    /// calls it made that still wait are dropped.
    void worker_gone(const worker_entry& w);
    /// What a role's ready workers export changed (one became ready, or left).
    void refresh_exports(role_index role);
    /// Hands waiting calls of `role` to its free workers.
    void dispatch_waiting(role_index role);

    /// Retries what a full pipe held back and fails the waiting calls past their deadline.
    void tick(clock::time_point now);
    clock::time_point next_deadline() const noexcept;
    /// Refuses new calls, and fails the waiting ones (shutting_down).
    void stop();
    /// The kingpin exits: fails what still waits and what is in flight.
    void shutdown();

    std::size_t in_flight() const noexcept { return in_flight_.size(); }
    /// Each role's waiting calls and counts.
    void describe(control::app_status& s) const;

  private:
    struct in_flight_call {
        worker_handle worker;
        role_index role;
        clock::time_point deadline;  ///< the call's, kept should it wait again
        clock::time_point sent;      ///< when its REQUEST went
        bool behind = false;         ///< the worker had other calls then (it is timed)
        call_timing* timing;         ///< its method's (nullptr: not timed)
        held_call call;
    };
    struct role_calls {
        /// Ready workers with no call at all, least recently used first.
        lru_queue<worker_handle> idle;
        /// Ready workers with calls at them and credit to spare; at the back the one
        /// that took or answered a call last (the one surely awake).
        lru_queue<worker_handle> warm;
        /// Each method's time per call, by name: a role's fast and slow methods are
        /// told apart (at most max_timed_methods; the nodes stay where they are).
        std::unordered_map<std::string, call_timing, id_hash, std::equal_to<>> timing;
        /// The entry of `timing` used last (its nodes never move nor go).
        std::pair<const std::string, call_timing>* last_timed = nullptr;
        /// Calls waiting for a free worker, by a growing id (a FIFO); a call to run again
        /// takes an id below every other, so it goes first.
        pending_table<std::uint64_t, held_call> waiting;
        std::set<std::string, std::less<>> exports;  ///< what the role's ready workers export
        std::uint64_t routed = 0;
        std::uint64_t failed = 0;
    };

    bool dispatch(role_index role, held_call& call, clock::time_point deadline);
    /// The next worker to try: the least recently used idle one; else, for fast calls,
    /// the least recently used busy one with credit to spare, and for slow ones a busy
    /// one with fewer than dispatch_policy::slow_call_depth (none: the call waits); but
    /// the busy one awake when pipelining (spread_ busy already, and fast calls, or a
    /// probe to time them).
    std::optional<worker_handle> next_free(role_index role, role_calls& r, call_timing* timing);
    /// `method`'s timing in `r`, made on first use; nullptr past max_timed_methods.
    call_timing* timing_of(role_calls& r, std::string_view method);
    static constexpr std::size_t max_timed_methods = 256;
    static bool has_free(const role_calls& r) noexcept {
        return !r.idle.empty() || !r.warm.empty();
    }
    static void drop_free(role_calls& r, worker_handle h);
    void fail(role_calls& r, const held_call& call, errc code, std::string_view text);
    void fail_waiting(std::string_view why);

    worker_registry& workers_;
    outbox& out_;
    const role_table& roles_;
    const kingpin_config& config_;
    std::vector<role_calls> by_role_;
    std::uint32_t spread_;     ///< dispatch_policy::spread_workers, 0 resolved to the CPUs
    clock::time_point now_{};  ///< the latest time a message or tick brought
    pending_table<std::uint64_t, in_flight_call> in_flight_;  ///< by ticket
    /// Names each REQUEST, so its REPLY finds the call. It starts at a random number:
    /// a worker may still answer a REQUEST of a broker that restarted since, and its
    /// ticket must not name another call of this one.
    std::uint64_t next_ticket_;
    std::uint64_t next_back_ = std::uint64_t{1} << 63;         ///< ids of calls queued last
    std::uint64_t next_front_ = (std::uint64_t{1} << 63) - 1;  ///< ids of calls to run again
    bool stopping_ = false;
};

}  // namespace mob::detail
