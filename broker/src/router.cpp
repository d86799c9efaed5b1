#include "router.hpp"

#include "mob/codec.hpp"
#include "mob/identity.hpp"
#include "mob/log.hpp"

#include <fmt/format.h>

#include <algorithm>

namespace mob::detail {
namespace proto = mob::protocol;

namespace {
zmq::message_t copy_of(const zmq::message_t& m) {
    zmq::message_t c;
    c.copy(const_cast<zmq::message_t&>(m));  // shares the buffer of large messages
    return c;
}
// Log the 1st..10th, then every 10th..100th, ... occurrence: a flood never floods the log.
bool worth_logging(std::uint64_t n) {
    std::uint64_t step = 1;
    while (n > step * 10)
        step *= 10;
    return n % step == 0;
}
}  // namespace

router::router(zmq::socket_ref socket, const kingpin_config& config, hooks h)
    : socket_(socket),
      config_(config),
      hooks_(std::move(h)),
      host_(local_hostname()),
      next_heartbeat_(clock::now() + config.heartbeat) {
    for (const auto& spec : config.roles) {
        auto& r = roles_.emplace_back();
        r.name = spec.name;
        r.target = spec.min;
    }
}

role_entry* router::find_role(std::string_view name) {
    // A handful of roles: a scan compares in place, where a hash map would first copy
    // the name into a std::string on every message.
    for (auto& r : roles_) {
        if (r.name == name)
            return &r;
    }
    return nullptr;
}

void router::handle_incoming() {
    drained_ = false;
    for (int i = 0; i < 1024; ++i) {
        frames f;
        f.reserve(8);
        auto got = zmq::recv_multipart(socket_, std::back_inserter(f), zmq::recv_flags::dontwait);
        if (!got) {
            drained_ = true;
            sends_at_drain_ = sends_;
            return;
        }
        ++stats_.received;
        try {
            handle(f);
        } catch (const std::exception& e) {
            // A bug or an exotic input must cost one message, never the kingpin.
            drop(f.empty() ? std::string{} : std::string{proto::view(f[0])}, "internal_error",
                 e.what());
        }
    }
}

void router::handle(frames& f) {
    if (f.empty())
        return;
    const auto from_id = proto::view(f[0]);  // no copy on the way of every call
    auto env = proto::check_envelope(std::span{f}.subspan(1), /*from_broker=*/false);
    if (!env.ok()) {
        std::string from{from_id};
        drop(from, to_string(env.code), env.reason);
        // Answer what can be answered, so the sender is not left guessing.
        std::uint64_t seq = 0;
        if (f.size() > 2 && proto::command_of(f[1]) == proto::command::send)
            seq = proto::parse_seq(proto::view(f[2])).value_or(0);
        send_error(from, seq, env.code, env.reason);
        return;
    }
    if (env.cmd == proto::command::hello) {
        on_hello(f);
        return;
    }
    auto it = workers_.find(from_id);
    if (it == workers_.end()) {
        std::string from{from_id};
        // Not known (the broker restarted, or we forgot it): ask for a new hello, and
        // fail a SEND explicitly rather than dropping it in silence.
        // A CALL's call head and a SCALE's call frame both start with the call id.
        const auto first = f.size() > 2 && f[2].size() >= 8
                               ? proto::parse_seq(proto::view(f[2]).substr(0, 8)).value_or(0)
                               : 0;
        if (env.cmd == proto::command::send || env.cmd == proto::command::invoke) {
            send_error(from, first, errc::not_registered,
                       "the broker does not know this worker: say HELLO first");
        } else if (env.cmd == proto::command::call || env.cmd == proto::command::scale) {
            send_call_result(from, first, errc::not_registered,
                             "the broker does not know this worker: say HELLO first",
                             /*known_only=*/false);
        }
        if (env.cmd != proto::command::goodbye)
            send_command(from, proto::command::hello_again);
        return;
    }
    auto& w = it->second;
    const std::string& from = w.id;
    w.last_heard = clock::now();
    switch (env.cmd) {
        case proto::command::ready: {
            try {
                auto r = decode<proto::ready>(proto::bytes(f[2]));
                w.credit = std::max<std::uint32_t>(r.credit, 1);
                w.exports = std::move(r.exports);
            } catch (const std::exception& e) {
                drop(from, "bad_ready", e.what());
                send_error(from, 0, errc::bad_frame, std::string{"undecodable READY: "} + e.what());
                return;
            }
            on_ready(w);
            return;
        }
        case proto::command::heartbeat:
            return;
        case proto::command::send:
            on_send(w, f);
            return;
        case proto::command::reject:
            on_reject(f);
            return;
        case proto::command::call:
            on_call(w, f);
            return;
        case proto::command::reply:
            on_reply(w, f);
            return;
        case proto::command::invoke:
            on_invoke(w, f);
            return;
        case proto::command::release:
            on_release(w, f);
            return;
        case proto::command::scale:
            on_scale(w, f);
            return;
        case proto::command::goodbye:
            forget(from, "said goodbye");
            return;
        default:
            return;
    }
}

void router::on_hello(frames& f) {
    std::string from{proto::view(f[0])};
    proto::hello h;
    try {
        h = decode<proto::hello>(proto::bytes(f[2]));
    } catch (const std::exception& e) {
        drop(from, "bad_hello", e.what());
        send_error(from, 0, errc::bad_frame, std::string{"undecodable HELLO: "} + e.what());
        return;
    }
    // An empty app joins whatever app this broker serves (a worker given only MOB_ENDPOINT).
    if (!h.app.empty() && h.app != config_.app) {
        drop(from, "wrong_app", h.app);
        send_error(from, 0, errc::wrong_app,
                   fmt::format("this broker serves app '{}', not '{}'", config_.app, h.app));
        return;
    }
    auto* role = find_role(h.role);
    if (role == nullptr) {
        drop(from, "unknown_role", h.role);
        send_error(from, 0, errc::unknown_role,
                   fmt::format("app '{}' has no role '{}'", config_.app, h.role));
        return;
    }
    if (workers_.count(from) != 0)
        forget(from, "said hello again");
    auto now = clock::now();
    worker_entry w;
    w.id = from;
    w.role = h.role;
    w.pid = h.pid;
    w.host = h.host;
    w.local_child =
        h.spawned && h.host == host_ && hooks_.is_local_child && hooks_.is_local_child(h.pid);
    const bool local_child = w.local_child;
    w.joined = w.last_heard = now;
    by_pid_.emplace(w.pid, from);
    ++role->members;
    log::debug("hello from {} ({} worker)", from, w.local_child ? "local" : "external");
    workers_.emplace(from, std::move(w));

    proto::welcome wel;
    wel.app = config_.app;
    wel.worker_id = from;
    wel.heartbeat_ms = static_cast<std::uint32_t>(config_.heartbeat.count());
    wel.liveness = config_.liveness;
    for (const auto& r : roles_)
        wel.roles.push_back(r.name);
    if (local_child && hooks_.last_error)
        wel.last_error = hooks_.last_error(h.pid);
    auto out = proto::make_message(proto::command::welcome, {});
    auto body = encode(wel);
    out.emplace_back(body.data(), body.size());
    if (send_to(from, out) != send_result::sent) {
        forget(from, "unreachable after hello");
        return;
    }
    // A worker that joins while the kingpin stops is told to stop at once.
    if (stopping_)
        send_command(from, proto::command::stop);
}

void router::on_ready(worker_entry& w) {
    if (w.stopping)
        return;
    auto* role = find_role(w.role);
    // A READY again updates credit and exports.
    if (w.in_flight.size() < w.credit) {
        role->free.push_back(w.id);
    } else {
        role->free.remove(w.id);
    }
    if (!w.ready) {
        w.ready = true;
        role->ready.push_back(w.id);
        log::debug("{} is ready", w.id);
        if (hooks_.on_ready) {
            worker_entry summary;  // hooks get what they log, not the call tables
            summary.id = w.id;
            summary.role = w.role;
            summary.pid = w.pid;
            summary.host = w.host;
            summary.local_child = w.local_child;
            hooks_.on_ready(summary);
        }
    }
    refresh_exports(*role);
    drain_queue(*role);
    dispatch_calls(*role);
}

frames router::make_deliver(const zmq::message_t& sender, const zmq::message_t& seq,
                            const zmq::message_t& topic, const zmq::message_t& type,
                            const zmq::message_t& payload) {
    auto out = proto::make_message(proto::command::deliver, {});
    out.push_back(copy_of(sender));
    out.push_back(copy_of(seq));
    out.push_back(copy_of(topic));
    out.push_back(copy_of(type));
    out.push_back(copy_of(payload));
    return out;
}

void router::on_send(worker_entry& from, frames& f) {
    // f: [from][MOB1 SEND][seq][target][topic][type][payload]
    auto seq = proto::parse_seq(proto::view(f[2]));
    if (!seq) {
        drop(from.id, "bad_seq", "sequence frame is not 8 bytes");
        send_error(from.id, 0, errc::bad_frame, "SEND: sequence frame is not 8 bytes");
        return;
    }
    auto to = proto::target::parse(proto::view(f[3]));
    if (!to) {
        drop(from.id, "bad_target", proto::view(f[3]));
        send_error(from.id, *seq, errc::bad_frame,
                   fmt::format("SEND: malformed target frame '{}'", proto::view(f[3])));
        return;
    }
    if (stopping_) {
        send_error(from.id, *seq, errc::shutting_down, "the kingpin is stopping");
        return;
    }
    std::string sender = from.id;  // `from` may be forgotten while we route
    auto deliver_to = [&](const std::vector<std::string>& ids) {
        for (const auto& id : ids) {
            auto out = make_deliver(f[0], f[2], f[4], f[5], f[6]);
            auto r = send_to(id, out);
            if (r == send_result::sent) {
                ++stats_.routed;
                if (auto it = workers_.find(id); it != workers_.end())
                    ++it->second.delivered;
            } else {
                send_error(sender, *seq,
                           r == send_result::full ? errc::queue_full : errc::no_ready_worker,
                           fmt::format("{} could not take a message for {}", id, to->describe()));
                if (r == send_result::unreachable)
                    forget(id, "unreachable");
            }
        }
    };
    auto ready_of = [](const role_entry& r) {
        return std::vector<std::string>{r.ready.in_order().begin(), r.ready.in_order().end()};
    };

    switch (to->kind) {
        case proto::target_kind::all: {
            std::vector<std::string> ids;
            for (const auto& r : roles_) {
                auto some = ready_of(r);
                ids.insert(ids.end(), some.begin(), some.end());
            }
            if (ids.empty()) {
                send_error(sender, *seq, errc::no_ready_worker,
                           fmt::format("app '{}' has no ready worker", config_.app));
                return;
            }
            deliver_to(ids);
            return;
        }
        case proto::target_kind::role: {
            auto* role = find_role(to->value);
            if (role == nullptr) {
                send_error(sender, *seq, errc::unknown_role,
                           fmt::format("app '{}' has no role '{}'", config_.app, to->value));
                return;
            }
            if (role->ready.empty()) {
                ++role->failed;
                send_error(sender, *seq, errc::no_ready_worker,
                           fmt::format("role '{}' has no ready worker", to->value));
                return;
            }
            role->routed += role->ready.size();
            deliver_to(ready_of(*role));
            return;
        }
        case proto::target_kind::any: {
            auto* role = find_role(to->value);
            if (role == nullptr) {
                send_error(sender, *seq, errc::unknown_role,
                           fmt::format("app '{}' has no role '{}'", config_.app, to->value));
                return;
            }
            role_entry::waiting m{make_deliver(f[0], f[2], f[4], f[5], f[6]), sender, *seq,
                                  clock::now() + config_.queue_timeout};
            if (!role->ready.empty() && role->queue.empty()) {
                route_to_one(*role, m);
                return;
            }
            if (role->queue.size() >= config_.max_queued_per_role) {
                ++role->failed;
                send_error(sender, *seq, errc::queue_full,
                           fmt::format("role '{}' has {} messages waiting for a ready worker",
                                       role->name, role->queue.size()));
                return;
            }
            role->queue.push_back(std::move(m));
            drain_queue(*role);
            return;
        }
        case proto::target_kind::pid: {
            auto pid = std::stoll(to->value);
            auto [b, e] = by_pid_.equal_range(pid);
            std::vector<std::string> ids;
            for (auto it = b; it != e; ++it)
                ids.push_back(it->second);
            if (ids.empty()) {
                send_error(sender, *seq, errc::unknown_pid,
                           fmt::format("no worker of app '{}' has pid {}", config_.app, pid));
            } else if (ids.size() > 1) {
                send_error(sender, *seq, errc::ambiguous_pid,
                           fmt::format("{} workers have pid {} (on different hosts): send to an id",
                                       ids.size(), pid));
            } else {
                deliver_to(ids);
            }
            return;
        }
        case proto::target_kind::id: {
            if (workers_.count(to->value) == 0) {
                send_error(
                    sender, *seq, errc::unknown_worker,
                    fmt::format("no worker of app '{}' has id '{}'", config_.app, to->value));
                return;
            }
            deliver_to({to->value});
            return;
        }
    }
}

void router::route_to_one(role_entry& role, role_entry::waiting& m) {
    // Try ready workers in LRU order; one that cannot take it is skipped.
    for (std::size_t tries = role.ready.size(); tries > 0; --tries) {
        auto id = role.ready.use_front();
        if (!id)
            break;
        auto r = send_to(*id, m.deliver);
        if (r == send_result::sent) {
            ++role.routed;
            ++stats_.routed;
            ++workers_[*id].delivered;
            return;
        }
        if (r == send_result::unreachable)
            forget(*id, "unreachable");
    }
    ++role.failed;
    send_error(m.sender, m.seq, errc::queue_full,
               fmt::format("no ready worker of role '{}' could take the message", role.name));
}

void router::drain_queue(role_entry& role) {
    while (!role.queue.empty() && !role.ready.empty()) {
        auto m = std::move(role.queue.front());
        role.queue.pop_front();
        route_to_one(role, m);
    }
}

void router::on_reject(frames& f) {
    // f: [from][MOB1 REJECT][original sender][seq][error]
    std::string to{proto::view(f[2])};
    auto seq = proto::parse_seq(proto::view(f[3])).value_or(0);
    if (workers_.count(to) == 0) {
        log::debug("REJECT for {} who is gone", to);
        return;
    }
    auto out = proto::make_message(proto::command::error, {proto::encode_seq(seq)});
    out.push_back(std::move(f[4]));
    if (send_to(to, out) == send_result::sent)
        ++stats_.errors_sent;
}

void router::process_exited(std::int64_t pid, bool clean) {
    auto [b, e] = by_pid_.equal_range(pid);
    std::vector<std::string> ids;
    for (auto it = b; it != e; ++it) {
        auto w = workers_.find(it->second);
        if (w != workers_.end() && w->second.local_child)
            ids.push_back(it->second);
    }
    for (const auto& id : ids) {
        auto& w = workers_.at(id);
        if (clean && !w.in_flight.empty()) {
            // Its REPLYs and GOODBYE may still be in the pipe: give them a moment.
            unroute(w);
            exited_.emplace_back(id, clock::now() + exit_grace);
            continue;
        }
        forget(id, "process exited");
    }
}

void router::forget(std::string id, std::string_view why) {
    // `id` by value: callers pass a worker entry's own id, which goes with the entry.
    auto it = workers_.find(id);
    if (it == workers_.end())
        return;
    fail_in_flight(it->second);
    auto w = std::move(it->second);
    workers_.erase(it);
    auto [b, e] = by_pid_.equal_range(w.pid);
    for (auto p = b; p != e; ++p) {
        if (p->second == id) {
            by_pid_.erase(p);
            break;
        }
    }
    drop_calls_of(id);
    if (auto* role = find_role(w.role)) {
        role->ready.remove(id);
        role->free.remove(id);
        --role->members;
        refresh_exports(*role);
        dispatch_calls(*role);  // calls it held may have been put back in the queue
    }
    log::debug("forgot {}: {}", id, why);
    if (hooks_.on_gone)
        hooks_.on_gone(w, why);
}

void router::tick(clock::time_point now) {
    if (last_tick_ != clock::time_point{} && now - last_tick_ > config_.heartbeat * 2) {
        // The kingpin itself did not run (stopped, starved): its workers' silence is its
        // own doing, so it gives them a fresh start rather than forgetting them all.
        log::warn("the kingpin was stalled for {} ms",
                  std::chrono::duration_cast<std::chrono::milliseconds>(now - last_tick_).count());
        for (auto& [id, w] : workers_)
            w.last_heard = now;
    }
    last_tick_ = now;
    std::erase_if(exited_, [&](const auto& e) {
        if (workers_.count(e.first) == 0)
            return true;  // it said goodbye
        if (e.second > now)
            return false;
        forget(e.first, "process exited");
        return true;
    });
    bool sweep = now >= next_heartbeat_;
    if (now >= next_heartbeat_) {
        next_heartbeat_ = now + config_.heartbeat;
        std::vector<std::string> silent;
        std::vector<std::string> ids;
        for (const auto& [id, w] : workers_) {
            // Judge silence only with every waiting message read: a backlog is not silence.
            if (drained_ && now - w.last_heard > config_.heartbeat * config_.liveness) {
                silent.push_back(id);
            } else {
                ids.push_back(id);
            }
        }
        for (const auto& id : silent)
            forget(id, "missed heartbeats");
        for (const auto& id : ids)
            send_command(id, proto::command::heartbeat);
    }
    for (auto& role : roles_) {
        dispatch_calls(role);  // in case a full pipe held some back
        // Calls wait in FIFO order but may carry different timeouts: the whole queue is
        // swept once a heartbeat, the front whenever it is due.
        bool due = !role.calls.empty() && (sweep || role.calls.front().deadline <= now);
        for (auto it = role.calls.begin(); due && it != role.calls.end();) {
            if (it->deadline > now) {
                ++it;
                continue;
            }
            ++role.calls_failed;
            send_call_result(
                it->caller, it->call_id, errc::timeout,
                fmt::format("{}.{}: no worker of role '{}' was free before the call's timeout",
                            role.name, it->method(), role.name));
            it = role.calls.erase(it);
        }
        while (!role.queue.empty() && role.queue.front().deadline <= now) {
            auto m = std::move(role.queue.front());
            role.queue.pop_front();
            ++role.failed;
            send_error(m.sender, m.seq, errc::expired,
                       fmt::format("no worker of role '{}' was ready within {} ms", role.name,
                                   config_.queue_timeout.count()));
        }
    }
}

clock::time_point router::next_deadline() const {
    auto next = next_heartbeat_;
    for (const auto& e : exited_)
        next = std::min(next, e.second);
    for (const auto& role : roles_) {
        if (!role.queue.empty())
            next = std::min(next, role.queue.front().deadline);
        if (!role.calls.empty())
            next = std::min(next, role.calls.front().deadline);
    }
    return next;
}

void router::stop_all() {
    stopping_ = true;
    for (auto& role : roles_) {
        for (auto& m : role.queue) {
            send_error(
                m.sender, m.seq, errc::shutting_down,
                fmt::format("the kingpin is stopping; role '{}' had no ready worker", role.name));
        }
        role.queue.clear();
        for (auto& c : role.calls) {
            send_call_result(c.caller, c.call_id, errc::shutting_down,
                             fmt::format("{}.{}: the kingpin is stopping", role.name, c.method()));
        }
        role.calls.clear();
    }
    std::vector<std::string> ids;
    for (auto& [id, w] : workers_) {
        unroute(w);  // nothing new goes to it, not even a call re-run after a death
        ids.push_back(id);
    }
    for (const auto& id : ids)
        send_command(id, proto::command::stop);
}

bool router::stop_worker(std::int64_t pid) {
    auto [b, e] = by_pid_.equal_range(pid);
    std::vector<std::string> ids;
    for (auto it = b; it != e; ++it)
        ids.push_back(it->second);
    bool told = false;
    for (const auto& id : ids) {
        auto& w = workers_.at(id);
        if (!w.local_child)
            continue;
        unroute(w);
        send_command(id, proto::command::stop);
        told = true;
    }
    return told;
}

void router::set_target(const std::string& role, std::uint32_t target) {
    if (auto* r = find_role(role))
        r->target = target;
}

bool router::role_full(const std::string& name) const {
    for (const auto& r : roles_) {
        if (r.name == name)
            return r.ready.size() >= r.target;
    }
    return false;
}

bool router::all_full() const {
    return std::all_of(roles_.begin(), roles_.end(),
                       [](const role_entry& r) { return r.ready.size() >= r.target; });
}

router::send_result router::send_to(const std::string& id, frames& body) {
    zmq::message_t address{id.data(), id.size()};
    ++sends_;
    try {
        if (!socket_.send(address, zmq::send_flags::sndmore | zmq::send_flags::dontwait)) {
            return send_result::full;
        }
    } catch (const zmq::error_t& e) {
        if (e.num() == EHOSTUNREACH)
            return send_result::unreachable;
        log::error("send to {} failed: {}", id, e.what());
        return send_result::unreachable;
    }
    for (std::size_t i = 0; i < body.size(); ++i) {
        auto flags = zmq::send_flags::dontwait;
        if (i + 1 < body.size())
            flags = flags | zmq::send_flags::sndmore;
        // After the first frame the message is committed to that peer's pipe.
        (void)socket_.send(body[i], flags);
    }
    return send_result::sent;
}

void router::send_command(const std::string& id, proto::command c) {
    auto f = proto::make_message(c, {});
    if (send_to(id, f) == send_result::unreachable)
        forget(id, "unreachable");
}

void router::send_error(const std::string& id, std::uint64_t seq, errc code, std::string text) {
    auto f = proto::make_message(proto::command::error, {proto::encode_seq(seq)});
    auto body = encode(proto::error_body{code, std::move(text)});
    f.emplace_back(body.data(), body.size());
    if (send_to(id, f) == send_result::sent)
        ++stats_.errors_sent;
}

void router::drop(const std::string& from, std::string_view reason, std::string_view detail) {
    auto n = ++stats_.dropped[std::string{reason}];
    if (worth_logging(n)) {
        log::warn("dropped a message from '{}': {}: {} ({} so far)", from, reason, detail, n);
    }
}

}  // namespace mob::detail
