// The engine behind mob::worker: the DEALER socket and the I/O thread that alone
// touches it, an outgoing queue other threads fill (woken through an eventfd), the
// handler tables, and the dispatcher that runs handlers.
#pragma once

#include "dispatcher.hpp"
#include "mob/message.hpp"
#include "mob/protocol.hpp"
#include "mob/worker.hpp"

#include <zmq.hpp>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
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

private:
    struct typed_handler {
        std::string type;
        std::function<void(const message&)> fn;
    };

    void enqueue(frames f);
    void wake();
    void io_loop();
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
    void check_broker(clock::time_point now);

    worker_options options_;
    std::int64_t pid_;
    std::string host_;
    std::uint64_t nonce_;
    std::string id_;
    pid_t parent_pid_;

    zmq::context_t context_;
    zmq::socket_t socket_;
    int wake_fd_ = -1;

    std::mutex out_mutex_;
    std::deque<frames> outgoing_;
    std::atomic<std::uint64_t> next_seq_{1};
    std::atomic<bool> want_ready_{false};
    std::atomic<bool> io_stop_{false};

    std::mutex handlers_mutex_;
    std::unordered_map<std::string, std::shared_ptr<typed_handler>> handlers_;
    std::shared_ptr<std::function<void(const message&)>> catch_all_;
    std::shared_ptr<std::function<void(const send_error&)>> error_handler_;

    std::mutex state_mutex_;
    std::condition_variable state_cv_;
    std::atomic<bool> stopping_{false};
    std::atomic<bool> welcomed_{false};
    std::atomic<bool> refused_{false};

    // I/O thread only.
    bool ready_sent_ = false;
    bool broker_lost_logged_ = false;
    clock::time_point last_heard_;
    clock::time_point last_sent_;
    std::deque<frames> backlog_;  // what the socket would not take yet, in order
    std::chrono::milliseconds heartbeat_;  // the broker's, once welcomed
    std::uint32_t liveness_;

    dispatcher dispatcher_;
    std::thread io_thread_;  // last: starts once everything above exists
};

}  // namespace mob::detail
