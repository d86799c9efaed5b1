#include "worker_core.hpp"

#include "mob/codec.hpp"
#include "mob/identity.hpp"
#include "mob/log.hpp"

#include <cxxabi.h>
#include <fmt/format.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace mob::detail {
namespace proto = mob::protocol;
using namespace std::chrono_literals;

worker_core::worker_core(worker_options options)
    : options_(std::move(options)),
      pid_(::getpid()),
      host_(local_hostname()),
      nonce_(random_nonce()),
      id_(make_routing_id(options_.role, pid_, host_, nonce_)),
      parent_pid_(::getppid()),
      context_(1),
      socket_(context_, zmq::socket_type::dealer),
      link_(std::make_shared<core_link>()) {
    link_->core = this;
    if (options_.endpoint.empty())
        throw error("worker: no broker endpoint given");
    if (!valid_role_name(options_.role)) {
        throw error("worker: role name '" + options_.role + "' is not [A-Za-z0-9_.-]+");
    }
    socket_.set(zmq::sockopt::routing_id, id_);
    socket_.set(zmq::sockopt::linger, 1000);
    socket_.set(zmq::sockopt::sndhwm, 100000);
    socket_.set(zmq::sockopt::rcvhwm, 100000);
    // ZeroMQ retries a lost connection after reconnect_ivl, doubling up to the maximum.
    socket_.set(zmq::sockopt::reconnect_ivl, static_cast<int>(options_.reconnect.count()));
    socket_.set(zmq::sockopt::reconnect_ivl_max, static_cast<int>(options_.reconnect_max.count()));
    if (options_.endpoint.rfind("tcp://", 0) == 0) {
        // A TCP broker can vanish without closing the connection (host down, network cut):
        // ZeroMQ's own pings close such a connection, so it reconnects like any other.
        auto ivl = static_cast<int>(options_.heartbeat.count());
        socket_.set(zmq::sockopt::heartbeat_ivl, ivl);
        socket_.set(zmq::sockopt::heartbeat_timeout, ivl * static_cast<int>(options_.liveness));
    }
    if (options_.monitor)
        monitor_.emplace(context_, socket_, "worker");
    socket_.connect(options_.endpoint);
    wake_fd_ = ::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    if (wake_fd_ < 0)
        throw error(std::string{"worker: eventfd: "} + std::strerror(errno));
    last_heard_ = last_sent_ = clock::now();
    heartbeat_ = options_.heartbeat;
    liveness_ = options_.liveness;
    io_thread_ = std::thread([this] { io_loop(); });
}

worker_core::~worker_core() {
    // Finish the calls and messages already here while the I/O thread still sends their
    // replies (and run the shutdown hook if the worker was told to stop); then flush and
    // say goodbye.
    if (stopping_)
        finish();
    dispatcher_.stop();
    {
        // From here on, callbacks and replies the application still holds find no worker.
        std::lock_guard lock{link_->mutex};
        link_->core = nullptr;
    }
    io_stop_ = true;
    wake();
    if (io_thread_.joinable())
        io_thread_.join();
    monitor_.reset();  // stopped before its socket closes
    socket_.close();
    context_.close();
    if (wake_fd_ >= 0)
        ::close(wake_fd_);
    // Calls still waiting learn that they will get no answer.
    std::vector<std::shared_ptr<call_state>> inline_handlers;
    {
        std::lock_guard lock{calls_mutex_};
        for (auto& [id, call] : calls_) {
            std::lock_guard slock{call.state->mutex};
            if (call.state->continuation_inline) {
                inline_handlers.push_back(call.state);  // told below, outside the locks
                continue;
            }
            if (!call.state->result) {
                call.state->result =
                    raw_result{errc::shutting_down, {}, call.state->what + ": the worker stopped"};
                call.state->cv.notify_all();
            }
        }
    }
    // An inline result handler (no I/O thread is left) runs here, so it is not left hanging.
    for (auto& s : inline_handlers)
        complete(s, raw_result{errc::shutting_down, {}, s->what + ": the worker stopped"});
}

std::uint64_t worker_core::send(const proto::target& to, std::string_view topic,
                                std::string_view type, std::string payload) {
    auto seq = next_seq_.fetch_add(1);
    auto f = proto::make_message(proto::command::send,
                                 {proto::encode_seq(seq), to.encode(), topic, type, payload});
    enqueue(std::move(f));
    return seq;
}

void worker_core::enqueue(frames f) {
    {
        std::lock_guard lock{out_mutex_};
        if (outgoing_.size() >= options_.max_outgoing) {
            throw error("worker: outgoing queue is full (" + std::to_string(options_.max_outgoing) +
                            " messages): the broker is not taking them",
                        errc::queue_full);
        }
        outgoing_.push_back(std::move(f));
        outgoing_size_.store(outgoing_.size());
    }
    wake();
}

void worker_core::wake() {
    // Only a sleeping I/O thread needs the syscall; a busy one looks at the queue before
    // it sleeps (both sides use sequentially consistent atomics: see io_loop).
    if (io_sleeping_.load()) {
        std::uint64_t one = 1;
        [[maybe_unused]] auto n = ::write(wake_fd_, &one, sizeof one);
    }
}

void worker_core::drain_monitor() {
    while (auto e = monitor_->next()) {
        log::debug("monitor: {} {} ({})", e->kind, e->endpoint, e->value);
        std::lock_guard lock{monitor_mutex_};
        ++monitor_counts_[e->kind];
    }
}

std::map<std::string, std::uint64_t> worker_core::monitor_counts() const {
    std::lock_guard lock{monitor_mutex_};
    return monitor_counts_;
}

bool worker_core::has_outgoing() {
    return outgoing_size_.load() != 0;
}

void worker_core::on_raw(std::string topic, std::string type,
                         std::function<void(const message&)> h) {
    std::lock_guard lock{handlers_mutex_};
    handlers_[std::move(topic)] =
        std::make_shared<typed_handler>(typed_handler{std::move(type), std::move(h)});
}

void worker_core::on_message(std::function<void(const message&)> h) {
    std::lock_guard lock{handlers_mutex_};
    catch_all_ = std::make_shared<std::function<void(const message&)>>(std::move(h));
}

void worker_core::on_error(std::function<void(const send_error&)> h) {
    std::lock_guard lock{handlers_mutex_};
    error_handler_ = std::make_shared<std::function<void(const send_error&)>>(std::move(h));
}

void worker_core::ready() {
    if (!want_ready_.exchange(true))
        wake();
}

void worker_core::request_stop(std::string_view why) {
    {
        std::lock_guard lock{state_mutex_};
        if (stopping_)
            return;
        stopping_ = true;
    }
    log::debug("stopping: {}", why);
    state_cv_.notify_all();
}

bool worker_core::wait_until_stopping(std::chrono::milliseconds timeout) {
    std::unique_lock lock{state_mutex_};
    if (timeout == std::chrono::milliseconds::max()) {
        state_cv_.wait(lock, [this] { return stopping_.load(); });
        return true;
    }
    return state_cv_.wait_for(lock, timeout, [this] { return stopping_.load(); });
}

std::optional<crash_report> worker_core::last_error() const {
    std::lock_guard lock{state_mutex_};
    return last_error_;
}

bool worker_core::wait_until_welcomed(std::chrono::milliseconds timeout) {
    std::unique_lock lock{state_mutex_};
    return state_cv_.wait_for(lock, timeout, [this] { return welcomed_.load(); });
}

// ---- I/O thread ----------------------------------------------------------------

void worker_core::io_loop() {
    send_hello();
    auto next_check = clock::now();
    while (!io_stop_) {
        const auto heartbeat = heartbeat_;
        if (want_ready_ && (!ready_sent_ || exports_changed_.exchange(false))) {
            send_ready();
            ready_sent_ = true;
        }
        drain_outgoing();

        // Read what is there before sleeping: a busy worker needs no poll per message.
        bool got_any = false;
        bool drained = false;
        for (int i = 0; i < 256; ++i) {
            frames f;
            f.reserve(8);
            auto got =
                zmq::recv_multipart(socket_, std::back_inserter(f), zmq::recv_flags::dontwait);
            if (!got) {
                drained = true;
                sends_at_drain_ = sends_;
                break;
            }
            got_any = true;
            handle(f);
        }
        if (got_any)
            last_heard_ = clock::now();
        // What the batch's handling queued (replies of inline exports, calls made by
        // inline result handlers) leaves together: ZeroMQ's I/O thread is woken once
        // for all of it, not once per message.
        if (has_outgoing())
            drain_outgoing();

        if (monitor_)
            drain_monitor();
        auto now = clock::now();
        if (now - last_sent_ >= heartbeat)
            send_command(proto::command::heartbeat);
        if (now >= next_check) {
            check_broker(now);
            next_check = now + 100ms;
        }
        expire(now);
        // Another read now would only find nothing again (two system calls in libzmq):
        // what came in since the last one is signalled on the socket's descriptor.
        if (got_any && !drained)
            continue;

        // Going to sleep: say so, then look once more, so a wake() is never missed.
        io_sleeping_.store(true);
        if (has_outgoing() || (want_ready_ && !ready_sent_) || exports_changed_ || io_stop_) {
            io_sleeping_.store(false);
            continue;
        }
        auto next_beat = std::min({last_sent_ + heartbeat, next_call_deadline(), next_check});
        auto wait = std::chrono::duration_cast<std::chrono::milliseconds>(next_beat - now);
        if (wait < 0ms)
            wait = 0ms;
        wait_for_io(wait, /*sent_since_read=*/sends_ != sends_at_drain_);
        io_sleeping_.store(false);
    }
    // Leaving: flush what the application sent, then say goodbye.
    drain_outgoing();
    send_command(proto::command::goodbye);
}

void worker_core::check_broker(clock::time_point now) {
    // A spawned worker leaves when its kingpin is gone (it is reparented; PDEATHSIG
    // does the same). Silence alone may be a stalled kingpin, which comes back.
    if (options_.spawned && ::getppid() != parent_pid_) {
        request_stop("the kingpin is gone (reparented)");
        return;
    }
    if (now - last_heard_ > heartbeat_ * liveness_) {
        if (!broker_lost_logged_) {
            log::warn("broker at {} silent for {} heartbeats; still trying", options_.endpoint,
                      liveness_);
            broker_lost_logged_ = true;
            // An external worker's broker may be gone for good: its answers are not coming.
            if (!options_.spawned) {
                fail_calls_in_flight(
                    fmt::format("the broker at {} fell silent with the call in "
                                "flight; it may or may not have run",
                                options_.endpoint));
            }
        }
    } else {
        broker_lost_logged_ = false;
    }
}

void worker_core::fail_calls_in_flight(const std::string& why) {
    // CALLs still in the backlog go after the new HELLO and will be answered: keep them.
    std::set<std::uint64_t> unsent;
    for (const auto& f : backlog_) {
        if (f.size() > 1 && proto::command_of(f[0]) == proto::command::call) {
            if (auto head = proto::call_head::parse(proto::view(f[1])))
                unsent.insert(head->id);
        }
    }
    std::vector<std::shared_ptr<call_state>> lost;
    std::vector<std::uint64_t> callbacks;
    {
        std::lock_guard lock{calls_mutex_};
        for (auto it = calls_.begin(); it != calls_.end();) {
            if (unsent.count(it->first) != 0) {
                ++it;
                continue;
            }
            call_deadlines_.erase({it->second.deadline, it->first});
            lost.push_back(std::move(it->second.state));
            callbacks.insert(callbacks.end(), it->second.callbacks.begin(),
                             it->second.callbacks.end());
            it = calls_.erase(it);
        }
    }
    if (!lost.empty())
        log::warn("{} call{} lost with the broker", lost.size(), lost.size() == 1 ? "" : "s");
    for (auto& s : lost)
        complete(s, raw_result{errc::broker_lost, {}, s->what + ": " + why});
    forget_callbacks(callbacks);
}

void worker_core::drain_outgoing() {
    while (!backlog_.empty()) {
        if (!send_now(backlog_.front()))
            return;
        backlog_.pop_front();
    }
    for (;;) {
        std::deque<frames> batch;
        {
            std::lock_guard lock{out_mutex_};
            if (outgoing_.empty())
                return;
            batch.swap(outgoing_);
            outgoing_size_.store(0);
        }
        while (!batch.empty()) {
            if (!send_now(batch.front())) {
                // The socket is full: keep this one aside and put the rest back in order.
                backlog_.push_back(std::move(batch.front()));
                batch.pop_front();
                std::lock_guard lock{out_mutex_};
                for (auto it = batch.rbegin(); it != batch.rend(); ++it) {
                    outgoing_.push_front(std::move(*it));
                }
                outgoing_size_.store(outgoing_.size());
                return;
            }
            batch.pop_front();
        }
    }
}

bool worker_core::send_now(frames& f) {
    for (std::size_t i = 0; i < f.size(); ++i) {
        auto flags = zmq::send_flags::dontwait;
        if (i + 1 < f.size())
            flags = flags | zmq::send_flags::sndmore;
        auto sent = socket_.send(f[i], flags);
        if (!sent)
            return false;  // only the first frame can would-block
    }
    last_sent_ = clock::now();
    ++sends_;
    return true;
}

void worker_core::send_or_keep(frames f, bool first) {
    if (backlog_.empty() && send_now(f))
        return;
    if (first) {
        backlog_.push_front(std::move(f));
    } else {
        backlog_.push_back(std::move(f));
    }
}

void worker_core::send_command(proto::command c) {
    auto f = proto::make_message(c, {});
    if (c == proto::command::heartbeat) {
        // A heartbeat that cannot go now is not worth keeping: anything sent counts.
        if (backlog_.empty())
            send_now(f);
        return;
    }
    send_or_keep(std::move(f));
}

void worker_core::send_hello() {
    proto::hello h;
    h.app = options_.app;
    h.role = options_.role;
    h.pid = pid_;
    h.host = host_;
    h.nonce = nonce_;
    h.spawned = options_.spawned;
    h.credit = options_.credit;
    auto f = proto::make_message(proto::command::hello, {});
    auto body = encode(h);
    f.emplace_back(body.data(), body.size());
    hello_sent_ = clock::now();
    send_or_keep(std::move(f), /*first=*/true);  // before anything that waits
}

void worker_core::handle(frames& f) {
    auto env = proto::check_envelope(f, /*from_broker=*/true);
    if (!env.ok()) {
        log::warn("dropped a message from the broker: {}", env.reason);
        return;
    }
    switch (env.cmd) {
        case proto::command::welcome: {
            try {
                auto w = decode<proto::welcome>(proto::bytes(f[1]));
                if (!options_.app.empty() && w.app != options_.app) {
                    log::error("broker serves app '{}', not '{}': leaving", w.app, options_.app);
                    request_stop("wrong app");
                    return;
                }
                broker_lost_logged_ = false;
                heartbeat_ = std::chrono::milliseconds{w.heartbeat_ms > 0 ? w.heartbeat_ms : 1000};
                liveness_ = w.liveness > 0 ? w.liveness : 3;
                {
                    std::lock_guard lock{state_mutex_};
                    welcomed_ = true;
                    // A later WELCOME (after HELLO_AGAIN) comes from a broker that may
                    // not know our predecessor: the first one says why we are here.
                    if (first_welcome_)
                        last_error_ = std::move(w.last_error);
                    first_welcome_ = false;
                }
                state_cv_.notify_all();
                log::debug("welcomed by app '{}' as {}", w.app, w.worker_id);
            } catch (const std::exception& e) {
                log::warn("dropped a WELCOME: {}", e.what());
            }
            return;
        }
        case proto::command::hello_again: {
            if (refused_)
                return;
            // Every message that reached the broker before our new HELLO gets a HELLO_AGAIN
            // (heartbeats queued while it was away, for one): answer the first only.
            auto now = clock::now();
            if (!welcomed_ && now - hello_sent_ < heartbeat_ * liveness_)
                return;
            log::info("broker does not know us (restarted?): saying hello again");
            welcomed_ = false;  // so that a refusal of the new HELLO is recognised
            drain_outgoing();   // what is queued goes before the HELLO, and is answered
            fail_calls_in_flight(
                fmt::format("the broker at {} no longer knows this worker (it restarted?): the "
                            "call was lost; it may or may not have run",
                            options_.endpoint));
            send_hello();
            if (ready_sent_)
                send_ready();
            return;
        }
        case proto::command::heartbeat:
            return;
        case proto::command::stop:
            request_stop("the kingpin said STOP");
            return;
        case proto::command::deliver:
            handle_deliver(f);
            return;
        case proto::command::error:
            handle_error(f);
            return;
        case proto::command::request:
            handle_request(f);
            return;
        case proto::command::result:
            handle_result(f);
            return;
        case proto::command::invoked:
            handle_invoked(f);
            return;
        case proto::command::released:
            handle_released(f);
            return;
        default:
            return;
    }
}

void worker_core::handle_deliver(frames& f) {
    auto seq = proto::parse_seq(proto::view(f[2]));
    if (!seq) {
        log::warn("dropped a DELIVER with a bad sequence frame");
        return;
    }
    message m;
    m.sender = std::string{proto::view(f[1])};
    m.seq = *seq;
    m.topic = std::string{proto::view(f[3])};
    m.type = std::string{proto::view(f[4])};
    m.payload = std::string{proto::view(f[5])};
    dispatcher_.post([this, m = std::move(m)]() mutable { dispatch(std::move(m)); });
}

void worker_core::handle_error(frames& f) {
    send_error e;
    auto seq = proto::parse_seq(proto::view(f[1]));
    e.seq = seq.value_or(0);
    try {
        auto body = decode<proto::error_body>(proto::bytes(f[2]));
        e.code = body.code;
        e.message = std::move(body.message);
    } catch (const std::exception& ex) {
        e.code = errc::bad_frame;
        e.message = std::string{"undecodable ERROR from the broker: "} + ex.what();
    }
    // The broker refused our HELLO: saying it again would only loop.
    if (e.seq == 0 && !welcomed_ &&
        (e.code == errc::wrong_app || e.code == errc::unknown_role ||
         e.code == errc::bad_version)) {
        refused_ = true;
        log::error("the broker refused this worker: {}", e.message);
        request_stop("refused by the broker");
        return;
    }
    report_error(std::move(e));
}

void worker_core::report_error(send_error e) {
    dispatcher_.post([this, e = std::move(e)] {
        std::shared_ptr<std::function<void(const send_error&)>> h;
        {
            std::lock_guard lock{handlers_mutex_};
            h = error_handler_;
        }
        if (h) {
            try {
                (*h)(e);
            } catch (const std::exception& ex) {
                log::error("on_error handler threw: {}", ex.what());
            }
        } else {
            log::warn("message {} came back: {}: {}", e.seq, to_string(e.code), e.message);
        }
    });
}

// ---- dispatcher thread ----------------------------------------------------------

void worker_core::dispatch(message m) {
    std::shared_ptr<typed_handler> typed;
    std::shared_ptr<std::function<void(const message&)>> any;
    {
        std::lock_guard lock{handlers_mutex_};
        if (auto it = handlers_.find(m.topic); it != handlers_.end())
            typed = it->second;
        any = catch_all_;
    }
    try {
        if (typed) {
            if (!m.type.empty() && m.type != typed->type) {
                reject(m, errc::bad_type,
                       "topic '" + m.topic + "' on " + id_ + " takes " + typed->type + ", not " +
                           m.type);
                return;
            }
            typed->fn(m);
        } else if (any) {
            (*any)(m);
        } else {
            log::debug("no handler for topic '{}' from {}: dropped", m.topic, m.sender);
        }
    } catch (const mob::error& e) {
        if (e.code() == errc::bad_type) {
            reject(m, errc::bad_type, "topic '" + m.topic + "' on " + id_ + ": " + e.what());
        } else {
            reject(m, errc::handler_failed,
                   "handler for '" + m.topic + "' on " + id_ + " threw: " + e.what());
        }
    } catch (const std::exception& e) {
        reject(m, errc::handler_failed,
               "handler for '" + m.topic + "' on " + id_ + " threw: " + e.what());
    } catch (...) {
        reject(m, errc::handler_failed,
               "handler for '" + m.topic + "' on " + id_ + " threw a non-standard exception");
    }
}

void worker_core::reject(const message& m, errc code, std::string text) {
    log::warn("{}", text);
    reject_to(m.sender, m.seq, code, std::move(text));
}

void worker_core::reject_to(const std::string& to, std::uint64_t seq, errc code, std::string text) {
    auto f = proto::make_message(proto::command::reject, {to, proto::encode_seq(seq)});
    auto body = encode(proto::error_body{code, std::move(text)});
    f.emplace_back(body.data(), body.size());
    try {
        enqueue(std::move(f));
    } catch (const std::exception& e) {
        log::error("could not report an error to {}: {}", to, e.what());
    }
}

}  // namespace mob::detail
