// A worker's connection to its broker: the DEALER socket and what only the socket's
// thread may do with it. It sends (what the socket will not take yet waits in a backlog,
// in order), reads, says HELLO first and again when the broker asks (HELLO_AGAIN), keeps
// the handshake's state (welcomed, refused, the broker's heartbeat and liveness), sends
// heartbeats when idle and says when the broker has been silent too long. It knows
// nothing of calls or handlers: the engine reads what comes and reacts.
//
// Time comes from a clock function (steady_clock by default) and `now` arguments, so a
// unit test over inproc sockets drives it (test/worker/connection_test.cpp).
#pragma once

#include "mob/detail/socket_monitor.hpp"
#include "mob/protocol.hpp"
#include "mob/worker.hpp"

#include <zmq.hpp>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <span>
#include <string>

namespace mob::detail {

using frames = protocol::frames;

class connection {
  public:
    using clock = std::chrono::steady_clock;
    using time_point = clock::time_point;
    using clock_fn = std::function<time_point()>;

    /// Connects (the handshake starts with say_hello()). `hello` is what HELLO says.
    connection(zmq::context_t& context, const worker_options& options, const std::string& id,
               protocol::hello hello, clock_fn now = &clock::now);
    connection(const connection&) = delete;
    connection& operator=(const connection&) = delete;

    // ---- sending ----
    /// Sends now, or after what waits before it. `call_id` names the CALL it carries (0
    /// for none): a call still waiting here has not reached any broker (unsent_calls()).
    void send(frames f, std::uint64_t call_id = 0);
    /// HEARTBEAT (only if it can go now: any message counts as one) or GOODBYE.
    void send_signal(protocol::command c);
    /// Sends what waits; true once nothing does.
    bool flush();
    bool backlog_empty() const noexcept { return backlog_.empty(); }
    std::set<std::uint64_t> unsent_calls() const;

    // ---- receiving ----
    /// The next message, if one is there (never waits). Hearing anything counts as the
    /// broker's sign of life, as of the `now` of the next heartbeat_if_idle/broker_lost.
    bool receive(frames& f);
    /// Sleeps until the socket or `wake_fd` has something, or `wait` passes. `held`, if
    /// given, is let go for the sleep in poll(2) only (the direct path's mutex).
    void wait(std::chrono::milliseconds wait, int wake_fd,
              std::unique_lock<std::mutex>* held = nullptr);
    /// Whether a message waits to be read. It is how a thread other than the reader, after
    /// using the socket, tells whether its use took in the news the descriptor signalled
    /// (the descriptor is edge-triggered: the sleeping reader would not hear it again).
    bool readable();

    // ---- the handshake ----
    /// HELLO, before anything that waits to be sent.
    void say_hello();
    enum class welcome_outcome { welcomed, wrong_app, malformed };
    /// Takes the broker's heartbeat and liveness from a WELCOME; `w` gets its body.
    welcome_outcome on_welcome(std::span<const zmq::message_t> msg, protocol::welcome& w);
    /// Answers the first HELLO_AGAIN since the last HELLO: runs `before_hello` (what is
    /// queued goes first, and the calls the broker lost are failed), then says HELLO.
    /// False if it was not answered (a refused worker, or one of a burst).
    bool on_hello_again(const std::function<void()>& before_hello);
    /// True if `e` is the broker's refusal of our HELLO (then refused()).
    bool on_error(const protocol::error_view& e);
    bool welcomed() const noexcept { return welcomed_.load(); }
    bool refused() const noexcept { return refused_.load(); }

    // ---- liveness ----
    /// Sends a HEARTBEAT if nothing was sent for a heartbeat interval (what was sent and
    /// heard since the last turn counts as of `now`).
    void heartbeat_if_idle(time_point now);
    /// True once, when the broker has been silent for heartbeat x liveness (it is logged;
    /// the worker keeps trying). Hearing from it again rearms it.
    bool broker_lost(time_point now);
    time_point next_heartbeat() const noexcept { return last_sent_ + heartbeat_; }
    /// When retry_if_refused() connects again (max: no retry planned).
    time_point next_retry() const noexcept { return retry_at_; }
    std::chrono::milliseconds heartbeat() const noexcept { return heartbeat_; }
    std::uint32_t liveness() const noexcept { return liveness_; }

    // ---- the socket monitor (options.monitor, and always over TCP) ----
    void drain_monitor();
    /// libzmq 4.3.4 gives up on an endpoint for good once its handshake was refused
    /// (ZAP said no, or the mechanisms differ): connects again, after the reconnect
    /// back-off, so a key admitted later, or a broker restarted with other keys, is
    /// joined without restarting the worker.
    void retry_if_refused(time_point now);
    /// Any thread.
    std::map<std::string, std::uint64_t> monitor_counts() const;

    /// Stops the monitor, then closes the socket (before the context is closed).
    void close();

  private:
    struct waiting {
        frames f;
        std::uint64_t call_id = 0;
    };
    bool send_now(frames& f);
    /// What was heard and sent since the last call happened `now` (the loop's time of
    /// the batch): one clock read per turn of the loop, not one per message.
    void note_activity(time_point now) noexcept;

    const worker_options& options_;
    clock_fn now_;
    protocol::hello hello_;
    zmq::socket_t socket_;
    std::optional<socket_monitor> monitor_;  // made before connect(), so it sees it
    mutable std::mutex monitor_mutex_;
    std::map<std::string, std::uint64_t> monitor_counts_;

    std::deque<waiting> backlog_;       // what the socket would not take yet, in order
    std::uint64_t sends_ = 0;           // messages sent, ever
    std::uint64_t sends_timed_ = 0;     // sends_ when last_sent_ was set
    std::uint64_t sends_at_drain_ = 0;  // sends_ when a read last found nothing
    time_point last_heard_;
    time_point last_sent_;
    time_point hello_sent_;
    std::chrono::milliseconds heartbeat_;  // the broker's, once welcomed
    std::uint32_t liveness_;
    bool heard_ = false;  // a message came since last_heard_ was set
    bool lost_logged_ = false;
    bool refusal_logged_ = false;  // the broker's refusal of our CURVE handshake, said once
    time_point retry_at_ = time_point::max();  // connect again then (after a refusal)
    std::chrono::milliseconds retry_backoff_{0};
    std::string curve_key_;  // the name of our CURVE key, "" without CURVE
    std::atomic<bool> welcomed_{false};
    std::atomic<bool> refused_{false};
};

}  // namespace mob::detail
