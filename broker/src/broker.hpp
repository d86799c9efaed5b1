// The broker half of the kingpin, thin: it reads the ROUTER, runs the envelope check on
// every message and hands each command to the part whose job it is (the worker
// registry, the message router, the call dispatcher, the callback relay). Workers
// found unreachable while a message is handled are forgotten once it is done, here and
// nowhere else, so no part ever sees a worker vanish under it. It owns no socket: the
// kingpin's loop hands it the ROUTER, and the time.
#pragma once

#include "broker_types.hpp"
#include "call_dispatcher.hpp"
#include "callback_relay.hpp"
#include "message_router.hpp"
#include "mob/crash_report.hpp"
#include "mob/scale_result.hpp"
#include "outbox.hpp"
#include "role_table.hpp"
#include "worker_registry.hpp"

#include <zmq.hpp>

#include <functional>
#include <optional>
#include <string>

namespace mob::detail {

struct kingpin_config;

/// The kingpin's answer to a worker's SCALE: ok with the outcome, or an error code and text.
struct scale_answer {
    errc code = errc::ok;
    std::string text;
    scale_result result;
};

class broker {
  public:
    /// What the kingpin is told, or asked, about workers (once per event, never per message).
    struct hooks {
        /// Whether `pid` is a child this kingpin spawned (for a hello from this host).
        std::function<bool(std::int64_t pid)> is_local_child;
        /// A worker became ready, or is gone (disconnected, silent, or its process died).
        std::function<void(const worker_entry&)> on_ready;
        std::function<void(const worker_entry&, std::string_view why)> on_gone;
        /// A worker asked to grow or shrink `role` by `delta` (SCALE).
        std::function<scale_answer(const std::string& role, std::int32_t delta)> on_scale;
        /// The crash report a local child gets in WELCOME (its predecessor's); may be empty.
        std::function<std::optional<crash_report>(std::int64_t pid)> last_error;
        /// A local worker asked to stop the whole app and exit with `code` (STOP_APP).
        std::function<void(const worker_entry&, int code)> on_stop_app;
    };

    broker(zmq::socket_ref socket, const kingpin_config& config, const role_table& roles, hooks h,
           clock::time_point now);

    /// Reads and handles what the socket has (bounded, so timers are never starved).
    void handle_incoming(clock::time_point now);
    /// Whether the socket may hold a message its file descriptor will not signal: the
    /// last handle_incoming() stopped early, or a send since may have taken it in
    /// (the descriptor only signals what arrives after the socket last looked).
    bool maybe_unsignalled() const noexcept { return !drained_ || out_.sends() != sends_at_drain_; }
    /// Heartbeats, liveness and queue deadlines; call at least every next_deadline().
    void tick(clock::time_point now);
    clock::time_point next_deadline() const noexcept;

    /// The local process `pid` has exited: forget its worker. After a clean exit (`clean`:
    /// exit code 0) the worker is kept a short while, unrouted (until its GOODBYE, or
    /// exit_grace), so what it sent just before it exited still goes through: replies,
    /// the REJECT of a message it refused, messages. A crash forgets it at once.
    void process_exited(std::int64_t pid, bool clean, clock::time_point now);
    /// Workers whose process exited but whose last messages may still be on the way.
    bool lingering() const noexcept { return workers_.lingering(); }
    /// Stop routing, fail what waits, and tell every worker to STOP.
    void stop_all();
    /// The kingpin is about to exit: fail every call still held or in flight
    /// (shutting_down), so no caller is left waiting.
    void shutdown();
    /// Tell the local worker `pid` to STOP; it gets nothing new and finishes its calls.
    /// False if no worker of that pid has said hello (there is nobody to tell).
    bool stop_worker(std::int64_t pid);

    /// Whether a worker of process `pid` has said hello.
    bool knows_pid(std::int64_t pid) const { return workers_.count_of_pid(pid) != 0; }
    bool role_full(std::string_view role) const noexcept { return workers_.role_full(role); }
    bool all_full() const noexcept { return workers_.all_full(); }
    std::uint32_t ready_count(role_index r) const noexcept { return workers_.ready_count(r); }
    const worker_registry& workers() const noexcept { return workers_; }
    const broker_stats& stats() const noexcept { return out_.stats(); }
    /// Its workers, its roles' queues and counts, and what it dropped (after the role
    /// table has described the roles).
    void describe(control::app_status& s, clock::time_point now) const;

    /// How long an exited worker with calls in flight is kept for its last REPLYs.
    static constexpr std::chrono::milliseconds exit_grace{500};

  private:
    void handle(frames& f, clock::time_point now);
    /// A message over max_message_size: dropped, counted and answered (true), or not.
    bool oversized(std::string_view from, protocol::command c, std::span<const zmq::message_t> msg);
    void on_hello(const zmq::message_t& from_frame, std::span<zmq::message_t> msg,
                  clock::time_point now);
    void on_ready(worker_entry& w, std::span<const zmq::message_t> msg);
    /// Whether a worker with CURVE key `key` ("" for none) may serve a role restricted to
    /// the keys `allowed`.
    bool key_admitted(const std::vector<std::string>& allowed, const std::string& key,
                      const protocol::hello& h) const;
    void on_unknown(std::string_view from, protocol::command c,
                    std::span<const zmq::message_t> msg);
    void on_scale(worker_entry& from, std::span<const zmq::message_t> msg);
    void on_stop_app(worker_entry& from, std::span<const zmq::message_t> msg);
    /// Nothing new goes to `w`; what it has in flight stays.
    void unroute(worker_entry& w);
    void forget(worker_handle h, std::string_view why);
    /// Forgets the workers marked gone (unless a message is being handled: then at its end).
    void settle();

    const kingpin_config& config_;
    const role_table& roles_;
    hooks hooks_;
    std::string host_;
    outbox out_;
    worker_registry workers_;
    message_router messages_;
    call_dispatcher calls_;
    callback_relay callbacks_;
    bool stopping_ = false;
    bool busy_ = false;                 ///< handling a message, or settling: removals wait
    bool drained_ = true;               ///< the last handle_incoming() read everything there was
    std::uint64_t sends_at_drain_ = 0;  ///< out_.sends() when a read last found nothing
};

}  // namespace mob::detail
