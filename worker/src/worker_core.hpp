// The engine behind mob::worker: it wires the parts and runs the I/O loop. The parts:
// the connection (socket, backlog, handshake, heartbeats), the outbox through which any
// thread hands it work without a lock (core_link), the tables the I/O thread owns
// (exports, the calls it waits for, the callbacks it made; a direct sender uses them
// while it holds the I/O mutex: direct_sink.hpp), and the dispatcher thread that runs
// handlers. Its code: worker_core.cpp (the public API), io_loop.cpp (the loop
// and the work it takes from the outbox), rpc_handlers.cpp (REQUEST, RESULT, INVOKED,
// RELEASED), message_handlers.cpp (the handshake, DELIVER, ERROR and the handlers of
// messages), supervision.cpp (SCALE, the shutdown hook).
#pragma once

#include "call_table.hpp"
#include "callback_table.hpp"
#include "connection.hpp"
#include "core_link.hpp"
#include "dispatcher.hpp"
#include "export_table.hpp"
#include "mob/detail/rpc_core.hpp"
#include "mob/message.hpp"
#include "mob/protocol.hpp"
#include "mob/worker.hpp"

#include <zmq.hpp>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <thread>
#include <unordered_map>

namespace mob::detail {

using clock = std::chrono::steady_clock;

class worker_core final : private direct_sink {
  public:
    explicit worker_core(worker_options options);
    ~worker_core();

    const worker_options& options() const { return options_; }
    const std::string& id() const { return id_; }
    std::int64_t pid() const { return pid_; }

    // Any thread.
    std::uint64_t send(const protocol::target& to, std::string_view topic, std::string_view type,
                       std::string payload);
    void on_raw(std::string topic, std::string type,
                std::function<void(const message&, std::span<const std::byte>)> h,
                bool with_payload);
    void on_message(std::function<void(const message&)> h);
    void on_error(std::function<void(const send_error&)> h);
    void add_export(std::string name, std::string types,
                    std::function<void(const incoming_call&)> fn, bool on_io_thread = false);
    const std::shared_ptr<core_link>& link() const { return link_; }
    std::size_t pending_calls() const { return link_->pending_calls.load(); }
    std::size_t pending_callbacks() const { return link_->pending_callbacks.load(); }
    std::map<std::string, std::uint64_t> monitor_counts() const { return conn_.monitor_counts(); }

    void ready();
    void request_stop(std::string_view why);
    bool stopping() const noexcept { return stopping_.load(); }
    bool wait_until_stopping(std::chrono::milliseconds timeout);
    bool welcomed() const noexcept { return conn_.welcomed(); }
    bool refused() const noexcept { return conn_.refused(); }
    bool wait_until_welcomed(std::chrono::milliseconds timeout);
    /// The predecessor's crash report from the first WELCOME.
    std::optional<crash_report> last_error() const;

    // Supervision (supervision.cpp).
    std::shared_ptr<call_state> start_scale(const std::string& role, std::int32_t delta);
    std::shared_ptr<call_state> start_stop_app(std::int32_t exit_code);
    void on_shutdown(std::function<void()> hook);
    /// Handles what was received (the dispatcher runs its queue out), then runs the
    /// shutdown hook once. The I/O thread goes on, so replies still leave.
    void finish();

  private:
    // io_loop.cpp (the I/O thread)
    void io_loop();
    void take_work();
    void apply(work& w);
    bool send_direct(work& w) override;
    void send_ready();
    void check_broker(clock::time_point now);
    /// Fails the calls whose CALL has left for a broker that lost them (broker_lost).
    void fail_calls_in_flight(const std::string& why);

    // message_handlers.cpp
    void handle(protocol::frames& f);
    void handle_welcome(protocol::frames& f);
    void handle_hello_again(protocol::frames& f);
    void handle_stop(protocol::frames& f);
    void handle_deliver(protocol::frames& f);
    void handle_error(protocol::frames& f);
    void handle_lost(protocol::frames& f);
    void dispatch(message m, const zmq::message_t& payload);  // the dispatcher thread
    void reject(const message& m, errc code, std::string text);
    void reject_to(std::string_view to, std::uint64_t seq, errc code, std::string text);
    void report_error(send_error e);

    // rpc_handlers.cpp
    void handle_request(protocol::frames& f);
    void serve(protocol::call_message& call, const export_entry& entry);
    void handle_result(protocol::frames& f);
    void handle_invoked(protocol::frames& f);
    void handle_released(protocol::frames& f);
    void handle_holder_gone(protocol::frames& f);
    void complete(const std::shared_ptr<call_state>& state, raw_result r);

    worker_options options_;
    std::int64_t pid_;
    std::string host_;
    std::uint64_t nonce_;
    std::string id_;
    pid_t parent_pid_;

    std::shared_ptr<core_link> link_;
    zmq::context_t context_;
    connection conn_;

    // The I/O thread's, and a direct sender's while it holds link_->io_mutex.
    export_table exports_;
    call_table calls_;
    callback_table callbacks_;
    clock::time_point sleep_until_ =
        clock::time_point::min();  ///< the I/O thread's planned wake-up
    bool want_ready_ = false;
    bool ready_sent_ = false;
    std::atomic<bool> ready_requested_{false};
    std::atomic<bool> io_stop_{false};

    // Handlers of messages: set from any thread, read by the dispatcher (not the call path).
    struct typed_handler {
        std::string type;
        std::function<void(const message&, std::span<const std::byte>)> fn;
        bool with_payload = false;  ///< it reads message::payload (a copy of the frame)
    };
    std::mutex handlers_mutex_;
    std::unordered_map<std::string, std::shared_ptr<typed_handler>> handlers_;
    std::shared_ptr<std::function<void(const message&)>> catch_all_;
    std::shared_ptr<std::function<void(const send_error&)>> error_handler_;

    mutable std::mutex state_mutex_;
    std::condition_variable state_cv_;
    std::atomic<bool> stopping_{false};
    std::optional<crash_report> last_error_;  // state_mutex_; set by the first WELCOME
    bool first_welcome_ = true;               // state_mutex_

    std::mutex shutdown_mutex_;
    std::function<void()> shutdown_hook_;
    bool shutdown_done_ = false;

    dispatcher dispatcher_;
    std::thread io_thread_;  // last: starts once everything above exists
};

}  // namespace mob::detail
