// SEND, to every ready worker, a role's, one of a role's (any(): the least recently
// used ready worker, or a bounded queue with a deadline while none is ready), a pid or
// a worker id, as DELIVER; and a recipient's REJECT back to the sender as ERROR. Every
// failure goes back to the sender as ERROR, with the texts docs/protocol.md gives.
#pragma once

#include "broker_types.hpp"
#include "lru_queue.hpp"
#include "worker_registry.hpp"

#include <deque>
#include <span>
#include <vector>

namespace mob::detail {

struct kingpin_config;

class message_router {
  public:
    message_router(worker_registry& workers, outbox& out, const role_table& roles,
                   const kingpin_config& config);

    /// SEND from `from`, whose routing id frame is `from_frame`; `msg` from the header.
    void on_send(worker_entry& from, const zmq::message_t& from_frame,
                 std::span<zmq::message_t> msg, clock::time_point now);
    void on_reject(std::span<zmq::message_t> msg);

    /// `w` became ready: it takes any() messages, the waiting ones first.
    void add_ready(worker_entry& w);
    /// Nothing more goes to `w` (stopping, exited or gone).
    void remove(const worker_entry& w);
    /// Sends what waits for `role` while it has ready workers.
    void drain(role_index role);

    /// Fails the any() messages past their deadline (ERROR expired).
    void tick(clock::time_point now);
    clock::time_point next_deadline() const noexcept;
    /// Refuses every SEND from now on, and fails what waits (shutting_down).
    void stop();

    /// Each role's waiting messages and counts.
    void describe(control::app_status& s) const;

  private:
    struct waiting {
        frames deliver;  ///< DELIVER frames, without the recipient's id
        worker_handle sender;
        std::uint64_t seq;
        clock::time_point deadline;
    };
    struct role_messages {
        lru_queue<worker_handle> ready;  ///< ready workers, least recently used first
        std::deque<waiting> queue;       ///< any() messages waiting for a ready worker
        std::uint64_t routed = 0;
        std::uint64_t failed = 0;
    };

    void deliver_to(worker_entry& from, const zmq::message_t& from_frame, protocol::send_view& send,
                    std::span<const worker_handle> to);
    void send_any(worker_entry& from, const zmq::message_t& from_frame, protocol::send_view& send,
                  clock::time_point now);
    void route_to_one(role_index role, waiting& m);
    void tell_sender(worker_handle sender, std::uint64_t seq, errc code, std::string text);

    worker_registry& workers_;
    outbox& out_;
    const role_table& roles_;
    const kingpin_config& config_;
    std::vector<role_messages> by_role_;
    bool stopping_ = false;
};

}  // namespace mob::detail
