#include "broker.hpp"

#include "config.hpp"
#include "mob/codec.hpp"
#include "mob/identity.hpp"
#include "mob/log.hpp"

#include <fmt/format.h>

#include <algorithm>

namespace mob::detail {
namespace proto = mob::protocol;

broker::broker(zmq::socket_ref socket, const kingpin_config& config, const role_table& roles,
               hooks h, clock::time_point now)
    : config_(config),
      roles_(roles),
      hooks_(std::move(h)),
      host_(local_hostname()),
      out_(socket),
      workers_(out_, roles, config, now),
      messages_(workers_, out_, roles, config),
      calls_(workers_, out_, roles, config),
      callbacks_(workers_) {}

void broker::handle_incoming(clock::time_point now) {
    drained_ = false;
    // One vector for the batch, its frames cleared after each message: not an
    // allocation per message.
    frames f;
    for (int i = 0; i < 1024; ++i) {
        f.clear();
        if (f.capacity() < 8)
            f.reserve(8);  // first, or after a handler moved the frames away
        auto got =
            zmq::recv_multipart(out_.socket(), std::back_inserter(f), zmq::recv_flags::dontwait);
        if (!got) {
            drained_ = true;
            workers_.flush_owed(now);
            settle();
            sends_at_drain_ = out_.sends();
            return;
        }
        ++out_.stats().received;
        busy_ = true;
        try {
            handle(f, now);
        } catch (const std::exception& e) {
            // A bug or an exotic input must cost one message, never the kingpin.
            out_.drop(f.empty() ? std::string_view{} : proto::view(f.front()), "internal_error",
                      e.what());
        }
        busy_ = false;
        settle();
    }
    workers_.flush_owed(now);  // a busy loop still pays what it owes
    settle();
}

void broker::handle(frames& f, clock::time_point now) {
    if (f.empty())
        return;
    auto& from_frame = f.front();
    const auto from_id = proto::view(from_frame);  // no copy on the way of every call
    const auto msg = std::span{f}.subspan(1);
    auto env = proto::check_envelope(msg, /*from_broker=*/false);
    if (!env.ok()) {
        out_.drop(from_id, env.kind, env.reason);  // counted by what was wrong
        // Answer what can be answered, so the sender is not left guessing.
        out_.send_error(from_id, env.seq, env.code, env.reason);
        return;
    }
    if (oversized(from_id, env.cmd, msg))
        return;
    if (env.cmd == proto::command::hello) {
        on_hello(from_frame, msg, now);
        return;
    }
    auto* w = workers_.find(from_id);
    if (w == nullptr) {
        on_unknown(from_id, env.cmd, msg);
        return;
    }
    w->last_heard = now;
    ++w->received;
    switch (env.cmd) {
        case proto::command::ready:
            on_ready(*w, msg);
            return;
        case proto::command::send:
            messages_.on_send(*w, from_frame, msg, now);
            return;
        case proto::command::reject:
            messages_.on_reject(msg);
            return;
        case proto::command::call:
            calls_.on_call(*w, msg, now);
            return;
        case proto::command::reply:
            calls_.on_reply(*w, msg, now);
            return;
        case proto::command::invoke:
            callbacks_.on_invoke(*w, from_frame, msg);
            return;
        case proto::command::release:
            callbacks_.on_release(from_frame, msg);
            return;
        case proto::command::scale:
            on_scale(*w, msg);
            return;
        case proto::command::stop_app:
            on_stop_app(*w, msg);
            return;
        case proto::command::goodbye:
            workers_.mark_gone(*w, "said goodbye");
            return;
        default:  // HEARTBEAT: heard, which is all it says
            return;
    }
}

void broker::on_unknown(std::string_view from, proto::command c,
                        std::span<const zmq::message_t> msg) {
    // Not known (the broker restarted, or we forgot it): ask for a new hello, and fail
    // a SEND or a call explicitly rather than dropping it in silence.
    constexpr std::string_view text = "the broker does not know this worker: say HELLO first";
    const auto id = proto::leading_body_id(msg);
    if (c == proto::command::send || c == proto::command::invoke)
        out_.send_error(from, id, errc::not_registered, std::string{text});
    else if (c == proto::command::call || c == proto::command::scale ||
             c == proto::command::stop_app)
        out_.send_failed_result(from, id, errc::not_registered, text);
    if (c != proto::command::goodbye) {
        auto again = proto::make_signal(proto::command::hello_again);
        out_.send(from, again);
    }
}

bool broker::oversized(std::string_view from, proto::command c,
                       std::span<const zmq::message_t> msg) {
    std::size_t total = 0;
    for (const auto& f : msg)
        total += f.size();
    if (total <= config_.limits.max_message_size)
        return false;
    auto text = fmt::format("a {} of {} bytes; this broker takes at most {} (max_message_size)",
                            proto::to_string(c), total, config_.limits.max_message_size);
    out_.drop(from, "oversized", text);
    const auto id = proto::leading_body_id(msg);
    if (c == proto::command::call || c == proto::command::scale || c == proto::command::stop_app)
        out_.send_failed_result(from, id, errc::too_large, text);
    else
        out_.send_error(from, c == proto::command::send || c == proto::command::invoke ? id : 0,
                        errc::too_large, text);
    return true;
}

bool broker::key_admitted(const std::vector<std::string>& allowed, const std::string& key,
                          const proto::hello& h) const {
    // The kingpin's own children (over ipc, no key) always serve their role.
    if (key.empty())
        return h.spawned && h.host == host_ && hooks_.is_local_child &&
               hooks_.is_local_child(h.pid);
    return std::find(allowed.begin(), allowed.end(), key) != allowed.end();
}

void broker::on_hello(const zmq::message_t& from_frame, std::span<zmq::message_t> msg,
                      clock::time_point now) {
    std::string from{proto::view(from_frame)};
    auto h = proto::parse_hello(msg);
    if (!h) {
        out_.drop(from, h.failure().reason, h.failure().text);
        out_.send_error(from, 0, errc::bad_frame, h.failure().text);
        return;
    }
    // An empty app joins whatever app this broker serves (a worker given only MOB_ENDPOINT).
    if (!h->app.empty() && h->app != config_.app) {
        out_.drop(from, "wrong_app", h->app);
        out_.send_error(from, 0, errc::wrong_app,
                        fmt::format("this broker serves app '{}', not '{}'", config_.app, h->app));
        return;
    }
    auto role = roles_.find(h->role);
    if (!role) {
        out_.drop(from, "unknown_role", h->role);
        out_.send_error(from, 0, errc::unknown_role,
                        fmt::format("app '{}' has no role '{}'", config_.app, h->role));
        return;
    }
    // A peer that came over CURVE carries the name of its key (the ZAP handler's user
    // id) on every frame; one over ipc or NULL carries none.
    std::string key;
    if (const char* user = zmq_msg_gets(msg.front().handle(), "User-Id"); user != nullptr)
        key = user;
    const auto& allowed = roles_[*role].spec->options.keys;
    if (!allowed.empty() && !key_admitted(allowed, key, *h)) {
        auto text =
            fmt::format("role '{}' admits only the CURVE keys {}; this worker's is {}", h->role,
                        fmt::join(allowed, ", "), key.empty() ? "none" : fmt::format("'{}'", key));
        out_.drop(from, "key_not_allowed", text);
        out_.send_error(from, 0, errc::key_not_allowed, text);
        return;
    }
    if (auto* old = workers_.find(from))
        forget(old->handle, "said hello again");
    // Over CURVE a peer is never a local child, whatever its HELLO claims.
    const bool local = key.empty() && h->spawned && h->host == host_ && hooks_.is_local_child &&
                       hooks_.is_local_child(h->pid);
    auto& w = workers_.add(std::move(from), *role, *h, local, now);
    w.key = std::move(key);
    log::debug("hello from {} ({} worker{})", w.id, local ? "local" : "external",
               w.key.empty() ? "" : fmt::format(", CURVE key '{}'", w.key));

    proto::welcome welcome;
    welcome.app = config_.app;
    welcome.worker_id = w.id;
    welcome.heartbeat_ms = static_cast<std::uint32_t>(config_.heartbeat.count());
    welcome.liveness = config_.liveness;
    for (const auto& r : roles_.slots())
        welcome.roles.push_back(r.name());
    if (local && hooks_.last_error)
        welcome.last_error = hooks_.last_error(h->pid);
    auto out = proto::make_welcome(welcome);
    if (out_.send(w.id, out) != send_result::sent) {
        workers_.mark_gone(w, "unreachable after hello");
        return;
    }
    // A worker that joins while the kingpin stops is told to stop at once.
    if (stopping_) {
        workers_.set_stopping(w);
        workers_.send_signal(w, proto::command::stop);
    }
}

void broker::on_ready(worker_entry& w, std::span<const zmq::message_t> msg) {
    auto r = proto::parse_ready(msg);
    if (!r) {
        workers_.refuse(w, r.failure(), worker_registry::answer::error);
        return;
    }
    // At least 1; at most the broker's bound, whatever a peer asks for.
    w.credit = std::clamp<std::uint32_t>(r->credit, 1, config_.limits.max_credit);
    w.exports = std::move(r->exports);
    if (w.state != worker_state::connected && w.state != worker_state::ready)
        return;  // told to stop: a READY does not bring it back
    calls_.worker_ready(w);
    if (w.state == worker_state::connected) {
        workers_.set_ready(w);
        messages_.add_ready(w);
        log::debug("{} is ready", w.id);
        if (hooks_.on_ready)
            hooks_.on_ready(w);
    }
    calls_.refresh_exports(w.role);
    messages_.drain(w.role);
    calls_.dispatch_waiting(w.role);
}

void broker::unroute(worker_entry& w) {
    workers_.set_stopping(w);
    messages_.remove(w);
    calls_.unroute(w);
    calls_.refresh_exports(w.role);
}

void broker::forget(worker_handle h, std::string_view why) {
    auto* w = workers_.find(h);
    if (w == nullptr)
        return;
    calls_.worker_gone(*w);
    callbacks_.holder_gone(*w);
    messages_.remove(*w);
    const auto role = w->role;
    const auto gone = workers_.erase(h);
    calls_.refresh_exports(role);
    calls_.dispatch_waiting(role);  // calls it held may wait again
    log::debug("forgot {}: {}", gone.id, why);
    if (hooks_.on_gone)
        hooks_.on_gone(gone, why);
}

void broker::settle() {
    if (busy_)
        return;
    busy_ = true;
    while (workers_.any_gone()) {
        for (auto h : workers_.take_gone()) {
            if (const auto* w = workers_.find(h))
                forget(h, w->gone);
        }
    }
    busy_ = false;
}

void broker::tick(clock::time_point now) {
    workers_.tick(now, drained_);
    workers_.flush_owed(now);
    calls_.tick(now);
    messages_.tick(now);
    settle();
}

clock::time_point broker::next_deadline() const noexcept {
    return std::min({workers_.next_deadline(), messages_.next_deadline(), calls_.next_deadline()});
}

void broker::process_exited(std::int64_t pid, bool clean, clock::time_point now) {
    workers_.for_each_of_pid(pid, [&](worker_entry& w) {
        if (!w.local_child)
            return;
        if (clean) {
            // What it sent last (REPLYs, a REJECT of a message it refused, SENDs) and its
            // GOODBYE may still be in the pipe, unread: the exit can be seen first. Give
            // them a moment; the GOODBYE, right behind them, ends it.
            unroute(w);
            workers_.set_exited(w, now + exit_grace);
            return;
        }
        workers_.mark_gone(w, "process exited");
    });
    settle();
}

void broker::stop_all() {
    stopping_ = true;
    messages_.stop();
    calls_.stop();
    workers_.for_each([&](worker_entry& w) {
        workers_.set_stopping(w);  // nothing new goes to it, not even a call run again
        messages_.remove(w);
        calls_.unroute(w);
    });
    for (role_index r = 0; r < roles_.size(); ++r)
        calls_.refresh_exports(r);
    workers_.for_each([&](worker_entry& w) { workers_.send_signal(w, proto::command::stop); });
    settle();
}

bool broker::stop_worker(std::int64_t pid) {
    bool told = false;
    workers_.for_each_of_pid(pid, [&](worker_entry& w) {
        if (!w.local_child)
            return;
        unroute(w);
        workers_.send_signal(w, proto::command::stop);
        told = true;
    });
    settle();
    return told;
}

void broker::shutdown() {
    stopping_ = true;
    calls_.shutdown();
}

void broker::describe(control::app_status& s, clock::time_point now) const {
    workers_.describe(s, now);
    messages_.describe(s);
    calls_.describe(s);
    s.dropped = out_.stats().dropped;
}

}  // namespace mob::detail
