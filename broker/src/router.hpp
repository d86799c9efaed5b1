// The broker half of the kingpin: knows every worker that said hello, keeps a
// least-recently-used queue of ready workers per role, routes SEND to its
// recipients, holds any() messages for a role with no ready worker (bounded, with a
// deadline) and sends every failure back to the sender as ERROR. It owns no socket:
// the kingpin's loop hands it the ROUTER.
#pragma once

#include "config.hpp"
#include "lru_queue.hpp"
#include "mob/protocol.hpp"
#include "mob/scale_result.hpp"

#include <zmq.hpp>

#include <chrono>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <unordered_map>
#include <vector>

namespace mob::detail {

using frames = std::vector<zmq::message_t>;
using clock = std::chrono::steady_clock;

/// A call the broker holds: waiting for a worker, or in flight at one.
struct held_call {
    std::string caller;
    std::uint64_t call_id = 0;
    protocol::call_options options;
    zmq::message_t head;  ///< the CALL's call head; each REQUEST gets a copy with its ticket
    zmq::message_t args;  ///< moved into the REQUEST, copied while the call may be run again
    clock::time_point deadline;
    bool retried = false;

    /// The method called, for messages (read from the call head, which the broker parsed
    /// when the CALL came in).
    std::string_view method() const {
        auto h = protocol::call_head::parse(protocol::view(head));
        return h ? h->method : std::string_view{"?"};
    }
    /// Whether it may run a second time if the worker serving it dies.
    bool retryable() const { return (options.flags & protocol::call_idempotent) != 0 && !retried; }
};

struct worker_entry {
    std::string id;
    std::string role;
    std::int64_t pid = 0;
    std::string host;
    bool local_child = false;  ///< a process this kingpin spawned
    bool ready = false;
    bool stopping = false;  ///< told to STOP: no new calls or messages
    clock::time_point joined;
    clock::time_point last_heard;
    std::uint64_t delivered = 0;
    std::uint32_t credit = 1;
    std::vector<std::string> exports;
    std::unordered_map<std::uint64_t, held_call> in_flight;  ///< by the REQUEST's ticket
    std::uint64_t served = 0;
};

struct role_entry {
    std::string name;
    std::uint32_t target = 0;      ///< workers the kingpin keeps (0 for none spawned)
    lru_queue<std::string> ready;  ///< ready workers, least recently used first
    std::uint32_t members = 0;
    struct waiting {
        frames deliver;  ///< DELIVER frames, without the recipient's id
        std::string sender;
        std::uint64_t seq;
        clock::time_point deadline;
    };
    std::deque<waiting> queue;
    std::uint64_t routed = 0;
    std::uint64_t failed = 0;

    lru_queue<std::string> free;  ///< ready workers with credit to spare, least recently used first
    std::deque<held_call> calls;  ///< calls waiting for a free worker
    std::set<std::string, std::less<>> exports;  ///< what the role's ready workers export
    std::uint64_t calls_routed = 0;
    std::uint64_t calls_failed = 0;
};

/// The kingpin's answer to a worker's SCALE: ok with the outcome, or an error code and text.
struct scale_answer {
    errc code = errc::ok;
    std::string text;
    scale_result result;
};

/// Hashes std::string and std::string_view alike, so a routing id read off the socket
/// is looked up without first being copied into a std::string.
struct id_hash {
    using is_transparent = void;
    std::size_t operator()(std::string_view s) const noexcept {
        return std::hash<std::string_view>{}(s);
    }
};
using worker_map = std::unordered_map<std::string, worker_entry, id_hash, std::equal_to<>>;

struct router_stats {
    std::uint64_t received = 0;
    std::uint64_t routed = 0;
    std::uint64_t errors_sent = 0;
    std::map<std::string, std::uint64_t> dropped;  ///< by reason
};

class router {
  public:
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
    };

    router(zmq::socket_ref socket, const kingpin_config& config, hooks h);

    /// Reads and handles what the socket has (bounded, so timers are never starved).
    /// Whether the socket may hold a message its file descriptor will not signal: the
    /// last handle_incoming() stopped early, or a send since may have taken it in
    /// (the descriptor only signals what arrives after the socket last looked).
    bool maybe_unsignalled() const noexcept { return !drained_ || sends_ != sends_at_drain_; }
    void handle_incoming();
    /// Heartbeats, liveness and queue deadlines; call at least every next_deadline().
    void tick(clock::time_point now);
    clock::time_point next_deadline() const;

    /// The local process `pid` has exited: forget its worker. After a clean exit (`clean`:
    /// exit code 0) with calls in flight, the worker is kept a short while (until its
    /// GOODBYE, or exit_grace), so replies it sent just before it exited still go through.
    void process_exited(std::int64_t pid, bool clean = false);
    /// Workers whose process exited but whose last messages may still be on the way.
    bool lingering() const { return !exited_.empty(); }
    /// The kingpin is about to exit: fail every call still held or in flight
    /// (shutting_down), so no caller is left waiting.
    void shutdown();
    /// Stop routing, fail what waits, and tell every worker to STOP.
    void stop_all();
    /// Tell the local worker `pid` to STOP; it gets nothing new and finishes its calls.
    /// False if no worker of that pid has said hello (there is nobody to tell).
    bool stop_worker(std::int64_t pid);
    /// The count of ready workers that makes `role` full.
    void set_target(const std::string& role, std::uint32_t target);

    /// Whether a worker of process `pid` has said hello.
    bool knows_pid(std::int64_t pid) const { return by_pid_.count(pid) != 0; }
    bool role_full(const std::string& role) const;
    bool all_full() const;
    const worker_map& workers() const { return workers_; }
    const std::deque<role_entry>& roles() const { return roles_; }
    const router_stats& stats() const { return stats_; }

  private:
    enum class send_result { sent, unreachable, full };

    void handle(frames& f);
    void on_hello(frames& f);
    void on_ready(worker_entry& w);
    void on_send(worker_entry& from, frames& f);
    void on_reject(frames& f);
    void on_call(worker_entry& from, frames& f);
    void on_reply(worker_entry& from, frames& f);
    void on_invoke(worker_entry& from, frames& f);
    void on_release(worker_entry&, frames& f);
    void on_scale(worker_entry& from, frames& f);
    void unroute(worker_entry& w);
    void dispatch_calls(role_entry& role);
    bool dispatch(role_entry& role, held_call& call);
    void send_call_result(const std::string& caller, std::uint64_t call_id, errc code,
                          std::string_view text, bool known_only = true);
    void fail_in_flight(worker_entry& w);
    void drop_calls_of(const std::string& caller);
    void refresh_exports(role_entry& role);
    void forget(std::string id, std::string_view why);
    void route_to_one(role_entry& role, role_entry::waiting& m);
    void drain_queue(role_entry& role);

    send_result send_to(const std::string& id, frames& body);
    void send_command(const std::string& id, protocol::command c);
    void send_error(const std::string& id, std::uint64_t seq, errc code, std::string text);
    void drop(const std::string& from, std::string_view reason, std::string_view detail);
    frames make_deliver(const zmq::message_t& sender, const zmq::message_t& seq,
                        const zmq::message_t& topic, const zmq::message_t& type,
                        const zmq::message_t& payload);
    role_entry* find_role(std::string_view name);

    zmq::socket_ref socket_;
    const kingpin_config& config_;
    hooks hooks_;
    std::string host_;
    bool stopping_ = false;
    /// Names each REQUEST, so its REPLY finds the call. It starts at a random number:
    /// a worker may still answer a REQUEST of a broker that restarted since, and its
    /// ticket must not name another call of this one.
    std::uint64_t next_ticket_ = random_ticket_start();
    static std::uint64_t random_ticket_start();
    worker_map workers_;
    std::unordered_multimap<std::int64_t, std::string> by_pid_;
    std::deque<role_entry> roles_;  // a deque: entries never move
    router_stats stats_;
    clock::time_point next_heartbeat_;
    clock::time_point last_tick_;
    bool drained_ = true;               ///< the last handle_incoming() read everything there was
    std::uint64_t sends_ = 0;           ///< messages the socket was given, ever
    std::uint64_t sends_at_drain_ = 0;  ///< sends_ when a read last found nothing
    /// Exited workers kept until their GOODBYE or the deadline (see process_exited).
    std::vector<std::pair<std::string, clock::time_point>> exited_;
    /// How long an exited worker with calls in flight is kept for its last REPLYs.
    static constexpr std::chrono::milliseconds exit_grace{500};
};

}  // namespace mob::detail
