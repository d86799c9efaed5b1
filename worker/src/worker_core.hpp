// The engine behind mob::worker: the DEALER socket and the I/O thread that alone
// touches it, an outgoing queue other threads fill (woken through an eventfd), the
// handler tables, and the dispatcher that runs handlers.
#pragma once

#include "dispatcher.hpp"
#include "mob/detail/rpc_core.hpp"
#include "mob/detail/socket_monitor.hpp"
#include "mob/message.hpp"
#include "mob/protocol.hpp"
#include "mob/worker.hpp"

#include <zmq.hpp>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

namespace mob::detail {

using frames = std::vector<zmq::message_t>;
using clock = std::chrono::steady_clock;

class worker_core {
  public:
    explicit worker_core(worker_options options);
    ~worker_core();

    const worker_options& options() const { return options_; }
    const std::string& id() const { return id_; }
    std::int64_t pid() const { return pid_; }

    std::uint64_t send(const protocol::target& to, std::string_view topic, std::string_view type,
                       std::string payload);
    void on_raw(std::string topic, std::string type, std::function<void(const message&)> h);
    void on_message(std::function<void(const message&)> h);
    void on_error(std::function<void(const send_error&)> h);

    void ready();
    void request_stop(std::string_view why);
    bool stopping() const noexcept { return stopping_.load(); }
    bool wait_until_stopping(std::chrono::milliseconds timeout);
    bool welcomed() const noexcept { return welcomed_.load(); }
    bool refused() const noexcept { return refused_.load(); }
    bool wait_until_welcomed(std::chrono::milliseconds timeout);
    /// The predecessor's crash report from the first WELCOME.
    std::optional<crash_report> last_error() const;

    // RPC, from any thread.
    const std::shared_ptr<core_link>& link() const { return link_; }
    std::shared_ptr<call_state> start_call(const std::string& role, std::string_view method,
                                           const call_settings& settings, bool oneway,
                                           std::string_view types, std::string args,
                                           std::vector<std::uint64_t> callbacks,
                                           std::function<void(const raw_result&)> inline_fn = {});
    callback_ref register_callback(std::shared_ptr<callback_local> cb);
    std::uint64_t invoke_callback(const callback_ref& ref, std::string_view types,
                                  std::string args);
    void release_callback(const callback_ref& ref);
    void send_reply(std::uint64_t call_id, errc code, std::string_view type, std::string body);
    void post(std::function<void()> task) { dispatcher_.post(std::move(task)); }
    void add_export(std::string name, std::string types,
                    std::function<void(const incoming_call&)> fn, bool on_io_thread = false);
    std::size_t pending_calls() const;
    std::map<std::string, std::uint64_t> monitor_counts() const;
    std::size_t pending_callbacks() const;

    // Supervision (supervision.cpp).
    std::shared_ptr<call_state> start_scale(const std::string& role, std::int32_t delta);
    void on_shutdown(std::function<void()> hook);
    /// Handles what was received (the dispatcher runs its queue out), then runs the
    /// shutdown hook once. The I/O thread goes on, so replies still leave.
    void finish();

  private:
    struct typed_handler {
        std::string type;
        std::function<void(const message&)> fn;
    };

    void enqueue(frames f);
    void wake();
    bool has_outgoing();
    void io_loop();
    void wait_for_io(std::chrono::milliseconds wait, bool sent_since_read);
    void drain_outgoing();
    bool send_now(frames& f);
    void send_or_keep(frames f, bool first = false);
    void send_hello();
    void send_command(protocol::command c);
    void handle(frames& f);
    void handle_deliver(frames& f);
    void handle_error(frames& f);
    void dispatch(message m);
    void reject(const message& m, errc code, std::string text);
    void reject_to(const std::string& to, std::uint64_t seq, errc code, std::string text);
    void handle_request(frames& f);
    void handle_result(frames& f);
    void handle_invoked(frames& f);
    void handle_released(frames& f);
    void complete(const std::shared_ptr<call_state>& state, raw_result r);
    void expire(clock::time_point now);
    void send_ready();
    clock::time_point next_call_deadline();
    void report_error(send_error e);
    void drain_monitor();
    void forget_callbacks(const std::vector<std::uint64_t>& ids);
    void remember_expired(std::uint64_t id);  // callbacks_mutex_ held
    void check_broker(clock::time_point now);
    /// Fails the calls whose CALL has left for a broker that lost them (broker_lost).
    void fail_calls_in_flight(const std::string& why);

    worker_options options_;
    std::int64_t pid_;
    std::string host_;
    std::uint64_t nonce_;
    std::string id_;
    pid_t parent_pid_;

    zmq::context_t context_;
    zmq::socket_t socket_;
    std::optional<socket_monitor> monitor_;  // before connect(), so it sees it
    mutable std::mutex monitor_mutex_;
    std::map<std::string, std::uint64_t> monitor_counts_;
    int wake_fd_ = -1;

    std::mutex out_mutex_;
    std::deque<frames> outgoing_;
    std::atomic<std::uint64_t> next_seq_{1};
    std::atomic<bool> want_ready_{false};
    std::atomic<bool> io_stop_{false};
    std::atomic<bool> io_sleeping_{true};        ///< the I/O thread is in (or going into) poll
    std::atomic<std::size_t> outgoing_size_{0};  ///< outgoing_.size(), readable without the lock

    std::mutex handlers_mutex_;
    std::unordered_map<std::string, std::shared_ptr<typed_handler>> handlers_;
    std::shared_ptr<std::function<void(const message&)>> catch_all_;
    std::shared_ptr<std::function<void(const send_error&)>> error_handler_;

    struct export_entry {
        std::string types;
        std::function<void(const incoming_call&)> fn;
        bool on_io_thread = false;  ///< export_options::inline_call
    };
    std::shared_ptr<export_entry> find_export(std::string_view name);
    void serve_request(frames& f, const protocol::call_head& head,
                       std::shared_ptr<export_entry> entry);
    mutable std::mutex exports_mutex_;
    std::map<std::string, std::shared_ptr<export_entry>> exports_;
    std::atomic<bool> exports_changed_{false};

    struct pending_call {
        std::shared_ptr<call_state> state;
        clock::time_point deadline;
        std::vector<std::uint64_t> callbacks;  ///< made for this call's arguments
    };
    /// Sends a CALL or SCALE whose RESULT completes `call.state`, tracked (for its
    /// result and deadline) before it leaves; untracked again if it cannot be queued.
    void send_tracked(std::uint64_t id, frames f, pending_call call);
    mutable std::mutex calls_mutex_;
    std::unordered_map<std::uint64_t, pending_call> calls_;
    std::set<std::pair<clock::time_point, std::uint64_t>> call_deadlines_;

    struct origin_callback {
        std::shared_ptr<callback_local> cb;
        clock::time_point deadline;
    };
    mutable std::mutex callbacks_mutex_;
    std::unordered_map<std::uint64_t, origin_callback> callbacks_;
    std::uint64_t next_callback_id_ = 1;
    std::set<std::uint64_t> expired_callbacks_;
    std::deque<std::uint64_t> expired_order_;

    std::shared_ptr<core_link> link_;

    mutable std::mutex state_mutex_;
    std::condition_variable state_cv_;
    std::atomic<bool> stopping_{false};
    std::atomic<bool> welcomed_{false};
    std::atomic<bool> refused_{false};
    std::optional<crash_report> last_error_;  // state_mutex_; set by the first WELCOME
    bool first_welcome_ = true;               // I/O thread only

    // I/O thread only.
    bool ready_sent_ = false;
    bool broker_lost_logged_ = false;
    clock::time_point last_heard_;
    clock::time_point last_sent_;
    clock::time_point hello_sent_;  ///< when the last HELLO was sent
    clock::time_point next_callback_sweep_;
    std::deque<frames> backlog_;           // what the socket would not take yet, in order
    std::uint64_t sends_ = 0;              // messages sent, ever
    std::uint64_t sends_at_drain_ = 0;     // sends_ when a read last found nothing
    std::chrono::milliseconds heartbeat_;  // the broker's, once welcomed
    std::uint32_t liveness_;

    std::mutex shutdown_mutex_;
    std::function<void()> shutdown_hook_;
    bool shutdown_done_ = false;

    dispatcher dispatcher_;
    std::thread io_thread_;  // last: starts once everything above exists
};

}  // namespace mob::detail
