#include "connection.hpp"

#include "curve_client.hpp"
#include "mob/log.hpp"

#include <poll.h>
#include <unistd.h>
#include <iterator>

namespace mob::detail {
namespace proto = mob::protocol;

connection::connection(zmq::context_t& context, const worker_options& options,
                       const std::string& id, proto::hello hello, clock_fn now)
    : options_(options),
      now_(std::move(now)),
      hello_(std::move(hello)),
      socket_(context, zmq::socket_type::dealer),
      heartbeat_(options.heartbeat),
      liveness_(options.liveness) {
    socket_.set(zmq::sockopt::routing_id, id);
    socket_.set(zmq::sockopt::linger, 1000);
    socket_.set(zmq::sockopt::sndhwm, 100000);
    socket_.set(zmq::sockopt::rcvhwm, 100000);
    // ZeroMQ retries a lost connection after reconnect_ivl, doubling up to the maximum.
    socket_.set(zmq::sockopt::reconnect_ivl, static_cast<int>(options.reconnect.count()));
    socket_.set(zmq::sockopt::reconnect_ivl_max, static_cast<int>(options.reconnect_max.count()));
    const bool tcp = options.endpoint.rfind("tcp://", 0) == 0;
    if (tcp) {
        // A TCP broker can vanish without closing the connection (host down, network cut):
        // ZeroMQ's own pings close such a connection, so it reconnects like any other.
        auto ivl = static_cast<int>(options.heartbeat.count());
        socket_.set(zmq::sockopt::heartbeat_ivl, ivl);
        socket_.set(zmq::sockopt::heartbeat_timeout, ivl * static_cast<int>(options.liveness));
        socket_.set(zmq::sockopt::handshake_ivl,
                    static_cast<int>(options.handshake_timeout.count()));
        if (auto keys = load_client_keys(options)) {
            set_curve_client(socket_, *keys);
            curve_key_ = keys->name;
            log::debug("CURVE to {} with key '{}'", options.endpoint, keys->name);
        } else {
            log::info(
                "connecting to {} without CURVE keys: only a broker started insecure "
                "admits this worker (MOB_CURVE_SECRET_FILE, MOB_CURVE_SERVER_KEY_FILE: "
                "docs/security.md)",
                options.endpoint);
        }
    }
    // Over TCP the monitor is what tells that the broker refused our handshake: the
    // broker says nothing else (the connection never gets past it), and libzmq does not
    // try again by itself (retry_if_refused).
    if (options.monitor || tcp)
        monitor_.emplace(context, socket_, "worker");
    socket_.connect(options.endpoint);
    last_heard_ = last_sent_ = hello_sent_ = now_();
}

void connection::close() {
    monitor_.reset();  // stopped before its socket closes
    socket_.close();
}

// ---- sending --------------------------------------------------------------------

bool connection::send_now(frames& f) {
    for (auto it = f.begin(); it != f.end(); ++it) {
        auto flags = zmq::send_flags::dontwait;
        if (std::next(it) != f.end())
            flags = flags | zmq::send_flags::sndmore;
        if (!socket_.send(*it, flags))
            return false;  // only the first frame can would-block
    }
    ++sends_;  // timed like what is heard (note_activity): no clock read per message
    return true;
}

void connection::send(frames f, std::uint64_t call_id) {
    if (backlog_.empty() && send_now(f))
        return;
    backlog_.push_back({std::move(f), call_id});
}

void connection::send_signal(proto::command c) {
    auto f = proto::make_signal(c);
    if (c != proto::command::heartbeat) {
        send(std::move(f));
    } else if (backlog_.empty()) {
        send_now(f);  // a heartbeat that cannot go now is not worth keeping
    }
}

bool connection::flush() {
    while (!backlog_.empty()) {
        if (!send_now(backlog_.front().f))
            return false;
        backlog_.pop_front();
    }
    return true;
}

std::set<std::uint64_t> connection::unsent_calls() const {
    std::set<std::uint64_t> ids;
    for (const auto& w : backlog_) {
        if (w.call_id != 0)
            ids.insert(w.call_id);
    }
    return ids;
}

// ---- receiving ------------------------------------------------------------------

bool connection::receive(frames& f) {
    f.clear();
    if (!zmq::recv_multipart(socket_, std::back_inserter(f), zmq::recv_flags::dontwait)) {
        sends_at_drain_ = sends_;
        return false;
    }
    heard_ = true;  // timed by note_activity: no clock read per message
    return true;
}

void connection::note_activity(time_point now) noexcept {
    if (heard_) {
        last_heard_ = now;
        heard_ = false;
    }
    if (sends_ != sends_timed_) {
        last_sent_ = now;
        sends_timed_ = sends_;
    }
}

bool connection::readable() {
    return (socket_.get(zmq::sockopt::events) & ZMQ_POLLIN) != 0;
}

void connection::wait(std::chrono::milliseconds wait, int wake_fd,
                      std::unique_lock<std::mutex>* held) {
    // A ZeroMQ socket's descriptor only says that something changed since the socket
    // last looked at its commands (edge-triggered). The loop sleeps only after a read
    // that found nothing, which looked; a send since may have taken in new messages
    // on its way, and a wait to send needs the socket's word: then ask once more. One
    // poll(2) of the descriptors, not zmq_poll(), which asks each socket for its events
    // before and after sleeping (two system calls each; a worker sleeps once per call).
    if (sends_ != sends_at_drain_ || !backlog_.empty()) {
        auto events = socket_.get(zmq::sockopt::events);
        if ((events & ZMQ_POLLIN) != 0 || (!backlog_.empty() && (events & ZMQ_POLLOUT) != 0))
            return;
    }
    pollfd fds[] = {
        {socket_.get(zmq::sockopt::fd), POLLIN, 0},
        {wake_fd, POLLIN, 0},
        {monitor_ ? monitor_->pair().get(zmq::sockopt::fd) : -1, POLLIN, 0},
    };
    if (held != nullptr)
        held->unlock();
    ::poll(fds, monitor_ ? 3 : 2, static_cast<int>(wait.count()));
    if (held != nullptr)
        held->lock();
    if ((fds[1].revents & POLLIN) != 0) {
        std::uint64_t n = 0;
        [[maybe_unused]] auto r = ::read(wake_fd, &n, sizeof n);
    }
}

// ---- the handshake ----------------------------------------------------------------

void connection::say_hello() {
    hello_sent_ = now_();
    auto f = proto::make_hello(hello_);
    if (backlog_.empty() && send_now(f))
        return;
    backlog_.push_front({std::move(f), 0});  // before anything that waits
}

connection::welcome_outcome connection::on_welcome(std::span<const zmq::message_t> msg,
                                                   proto::welcome& w) {
    auto parsed = proto::parse_welcome(msg);
    if (!parsed) {
        log::warn("dropped a WELCOME: {}", parsed.failure().text);
        return welcome_outcome::malformed;
    }
    w = std::move(*parsed);
    if (!options_.app.empty() && w.app != options_.app) {
        log::error("broker serves app '{}', not '{}': leaving", w.app, options_.app);
        return welcome_outcome::wrong_app;
    }
    lost_logged_ = false;
    refusal_logged_ = false;
    retry_backoff_ = std::chrono::milliseconds{0};
    heartbeat_ = std::chrono::milliseconds{w.heartbeat_ms > 0 ? w.heartbeat_ms : 1000};
    liveness_ = w.liveness > 0 ? w.liveness : 3;
    welcomed_ = true;
    log::debug("welcomed by app '{}' as {}", w.app, w.worker_id);
    return welcome_outcome::welcomed;
}

bool connection::on_hello_again(const std::function<void()>& before_hello) {
    if (refused_)
        return false;
    // Every message that reached the broker before our new HELLO gets a HELLO_AGAIN
    // (heartbeats queued while it was away, for one): answer the first only.
    if (!welcomed_ && now_() - hello_sent_ < heartbeat_ * liveness_)
        return false;
    log::info("broker does not know us (restarted?): saying hello again");
    welcomed_ = false;  // so that a refusal of the new HELLO is recognised
    before_hello();
    say_hello();
    return true;
}

bool connection::on_error(const proto::error_view& e) {
    // The broker refused our HELLO: saying it again would only loop.
    const auto code = e.error.code;
    if (e.seq != 0 || welcomed_ ||
        (code != errc::wrong_app && code != errc::unknown_role && code != errc::bad_version &&
         code != errc::key_not_allowed)) {
        return false;
    }
    refused_ = true;
    log::error("the broker refused this worker: {}", e.error.message);
    return true;
}

// ---- liveness -----------------------------------------------------------------------

void connection::heartbeat_if_idle(time_point now) {
    const bool heard_now = heard_;
    note_activity(now);
    // Also in answer to what the broker sent, once half an interval has passed since
    // this worker's last send: the broker heartbeats every worker in one batch, so the
    // answers of a thousand idle workers reach it together, read in a few wake-ups
    // instead of a thousand spread over each second.
    if (now - last_sent_ >= heartbeat_ || (heard_now && now - last_sent_ >= heartbeat_ / 2)) {
        send_signal(proto::command::heartbeat);
        note_activity(now);
    }
}

bool connection::broker_lost(time_point now) {
    note_activity(now);
    if (now - last_heard_ <= heartbeat_ * liveness_) {
        lost_logged_ = false;
        return false;
    }
    if (lost_logged_)
        return false;
    lost_logged_ = true;
    if (!welcomed_) {
        // libzmq never hands the broker a second connection with a routing id in use
        // (the first keeps its place), so no refusal can come back: say it here.
        log::warn(
            "broker at {} has not answered this worker's HELLO for {} heartbeats; "
            "still trying. If it is up, another peer may be connected with this "
            "worker's routing id '{}'",
            options_.endpoint, liveness_, socket_.get(zmq::sockopt::routing_id));
        return true;
    }
    log::warn("broker at {} silent for {} heartbeats; still trying", options_.endpoint, liveness_);
    return true;
}

// ---- the socket monitor ---------------------------------------------------------------

void connection::drain_monitor() {
    if (!monitor_)
        return;
    while (auto e = monitor_->next()) {
        log::debug("monitor: {} {} ({})", e->kind, e->endpoint, e->value);
        const std::string_view kind = e->kind;
        if (kind == "handshake_failed_auth" || kind == "handshake_failed_protocol") {
            if (!refusal_logged_) {
                refusal_logged_ = true;  // it is refused at every try: once is enough
                log::error(
                    "the broker at {} refused this worker's handshake ({}{}): {}; still trying",
                    options_.endpoint, kind,
                    kind == "handshake_failed_auth" ? fmt::format(" {}", e->value) : "",
                    curve_key_.empty()
                        ? std::string{"this worker has no CURVE keys (MOB_CURVE_SECRET_FILE, "
                                      "MOB_CURVE_SERVER_KEY_FILE), and the broker wants them"}
                        : fmt::format("is key '{}' in its allow-list, and is the broker's key "
                                      "the right one?",
                                      curve_key_));
            }
            retry_backoff_ = retry_backoff_.count() == 0
                                 ? options_.reconnect
                                 : std::min(retry_backoff_ * 2, options_.reconnect_max);
            retry_at_ = now_() + retry_backoff_;
        }
        std::lock_guard lock{monitor_mutex_};
        ++monitor_counts_[e->kind];
    }
}

void connection::retry_if_refused(time_point now) {
    if (now < retry_at_)
        return;
    retry_at_ = time_point::max();
    try {
        socket_.disconnect(options_.endpoint);  // what is left of the refused session
    } catch (const zmq::error_t&) {
        // Already gone: nothing to take down.
    }
    socket_.connect(options_.endpoint);
}

std::map<std::string, std::uint64_t> connection::monitor_counts() const {
    std::lock_guard lock{monitor_mutex_};
    return monitor_counts_;
}

}  // namespace mob::detail
