// The broker's half of RPC: CALL goes to the least-recently-used worker of the role
// with credit to spare, or waits in the role's bounded FIFO. Each REQUEST carries a
// ticket (a number of the broker's in place of the caller's call id) under which the
// call is held in flight at its worker: REPLY names the ticket and returns credit, and
// a worker's death fails its calls to their callers (or runs an idempotent call once
// more elsewhere, under a new ticket).
// INVOKE and RELEASE carry callbacks back to the process they came from.
#include "mob/log.hpp"
#include "router.hpp"

#include <fmt/format.h>

#include <random>

namespace mob::detail {
namespace proto = mob::protocol;

namespace {
zmq::message_t text_frame(std::string_view s) {
    return zmq::message_t{s.data(), s.size()};
}
}  // namespace

std::uint64_t router::random_ticket_start() {
    std::random_device rd;
    return (std::uint64_t{rd()} << 32) | rd();
}

void router::send_call_result(const std::string& caller, std::uint64_t call_id, errc code,
                              std::string_view text, bool known_only) {
    if (known_only && workers_.count(caller) == 0)
        return;  // the caller is gone: nobody to tell
    auto f = proto::make_message(proto::command::result, {});
    f.push_back(proto::outcome{call_id, code, {}}.encode());
    f.push_back(text_frame(text));
    if (send_to(caller, f) == send_result::sent)
        ++stats_.errors_sent;
}

void router::refresh_exports(role_entry& role) {
    role.exports.clear();
    for (const auto& id : role.ready.in_order()) {
        const auto& w = workers_.at(id);
        role.exports.insert(w.exports.begin(), w.exports.end());
    }
}

void router::on_call(worker_entry& from, frames& f) {
    // f: [from][MOB1 CALL][call head][args]
    auto head = proto::call_head::parse(proto::view(f[2]));
    if (!head) {
        drop(from.id, "bad_call", "malformed call head");
        auto id =
            f[2].size() >= 8 ? proto::parse_seq(proto::view(f[2]).substr(0, 8)) : std::nullopt;
        send_call_result(from.id, id.value_or(0), errc::bad_frame, "CALL: malformed call head");
        return;
    }
    auto* role = find_role(head->role);
    if (role == nullptr) {
        send_call_result(from.id, head->id, errc::unknown_role,
                         fmt::format("{}.{}: app '{}' has no role '{}'", head->role, head->method,
                                     config_.app, head->role));
        return;
    }
    if (stopping_) {
        send_call_result(from.id, head->id, errc::shutting_down,
                         fmt::format("{}.{}: the kingpin is stopping", head->role, head->method));
        return;
    }
    // The role's exports are known once one of its workers is ready; before that the
    // call waits, and the worker that takes it answers for an unknown method.
    if (!role->ready.empty() && role->exports.find(head->method) == role->exports.end()) {
        ++role->calls_failed;
        std::string names;
        for (const auto& e : role->exports)
            names += (names.empty() ? "" : ", ") + e;
        send_call_result(from.id, head->id, errc::unknown_method,
                         fmt::format("role '{}' has no method '{}' (it exports: {})", head->role,
                                     head->method, names.empty() ? "nothing" : names));
        return;
    }
    held_call call;
    call.caller = from.id;
    call.call_id = head->id;
    call.options = head->options;
    auto timeout = head->options.timeout_ms > 0
                       ? std::chrono::milliseconds{head->options.timeout_ms}
                       : config_.queue_timeout;
    call.deadline = clock::now() + timeout;
    call.head = std::move(f[2]);  // `head`'s views are not used past here
    call.args = std::move(f[3]);
    if (role->calls.empty() && !role->free.empty() && dispatch(*role, call))
        return;
    if (role->calls.size() >= config_.max_queued_per_role) {
        ++role->calls_failed;
        send_call_result(call.caller, call.call_id, errc::queue_full,
                         fmt::format("{}.{}: {} calls already wait for a worker of role '{}'",
                                     role->name, call.method(), role->calls.size(), role->name));
        return;
    }
    role->calls.push_back(std::move(call));
}

bool router::dispatch(role_entry& role, held_call& call) {
    while (!role.free.empty()) {
        auto id = *role.free.use_front();
        auto& w = workers_.at(id);
        const auto ticket = next_ticket_;
        auto out = proto::make_message(proto::command::request, {});
        out.push_back(proto::call_head::with_id(proto::view(call.head), ticket));
        const bool keep = call.retryable();
        if (keep)
            out.emplace_back().copy(call.args);
        else
            out.push_back(std::move(call.args));
        auto r = send_to(id, out);
        if (r != send_result::sent && !keep)
            call.args = std::move(out.back());  // not taken: still the call's
        if (r == send_result::unreachable) {
            forget(id, "unreachable");  // may dispatch other calls: `call` is not in the queue
            continue;
        }
        if (r == send_result::full)
            return false;  // try again on the next tick
        ++next_ticket_;
        ++role.calls_routed;
        ++stats_.routed;
        w.in_flight.emplace(ticket, std::move(call));
        if (w.in_flight.size() >= w.credit)
            role.free.remove(id);
        return true;
    }
    return false;
}

void router::dispatch_calls(role_entry& role) {
    while (!role.calls.empty() && !role.free.empty()) {
        // Out of the queue while it is dispatched: dispatch() may re-enter this function.
        auto call = std::move(role.calls.front());
        role.calls.pop_front();
        if (!dispatch(role, call)) {
            role.calls.push_front(std::move(call));
            return;
        }
    }
}

void router::on_reply(worker_entry& from, frames& f) {
    // f: [from][MOB1 REPLY][outcome][body]
    auto reply = proto::outcome::parse(proto::view(f[2]));
    const auto ticket =
        f[2].size() >= 8 ? proto::parse_seq(proto::view(f[2]).substr(0, 8)) : std::nullopt;
    auto it = ticket ? from.in_flight.find(*ticket) : from.in_flight.end();
    if (it == from.in_flight.end()) {
        if (reply)
            drop(from.id, "stray_reply", "a REPLY for no call in flight at this worker");
        else
            drop(from.id, "bad_reply", "REPLY outcome frame shorter than 10 bytes");
        return;
    }
    std::string text;
    if (!reply) {
        // The caller must not wait for a result it cannot read.
        drop(from.id, "bad_reply", "REPLY outcome frame shorter than 10 bytes");
        text = fmt::format("{}.{}: the worker {} sent a malformed reply", from.role,
                           it->second.method(), from.id);
        reply = proto::outcome{*ticket, errc::bad_frame, {}};
        f[3].rebuild(text.data(), text.size());
    }
    auto call = std::move(it->second);
    from.in_flight.erase(it);
    ++from.served;
    auto* role = find_role(from.role);
    if (from.ready && from.in_flight.size() < from.credit)
        role->free.push_back(from.id);
    if (reply->code != errc::ok)
        ++role->calls_failed;
    const bool oneway = (call.options.flags & proto::call_oneway) != 0;
    if ((!oneway || reply->code != errc::ok) && workers_.count(call.caller) != 0) {
        auto out = proto::make_message(proto::command::result, {});
        out.push_back(proto::outcome{call.call_id, reply->code, reply->type}.encode());
        out.push_back(std::move(f[3]));
        if (send_to(call.caller, out) == send_result::unreachable)
            forget(call.caller, "unreachable");
    }
    dispatch_calls(*role);
}

void router::fail_in_flight(worker_entry& w) {
    auto* role = find_role(w.role);
    for (auto& [ticket, call] : w.in_flight) {
        if (stopping_) {
            // No worker takes anything new now: a re-run would only wait to be failed.
            ++role->calls_failed;
            send_call_result(call.caller, call.call_id, errc::shutting_down,
                             fmt::format("{}.{}: the kingpin is stopping and worker {} ended "
                                         "before it answered",
                                         w.role, call.method(), w.id));
            continue;
        }
        if (call.retryable() && workers_.count(call.caller) != 0) {
            log::info("{}.{} from {} was in flight at {}: running it again elsewhere", w.role,
                      call.method(), call.caller, w.id);
            call.retried = true;
            role->calls.push_front(std::move(call));
            continue;
        }
        ++role->calls_failed;
        send_call_result(call.caller, call.call_id, errc::worker_died,
                         fmt::format("{}.{}: worker {} died with the call in flight", w.role,
                                     call.method(), w.id));
    }
    w.in_flight.clear();
}

void router::drop_calls_of(const std::string& caller) {
    for (auto& role : roles_) {
        std::erase_if(role.calls, [&](const held_call& c) { return c.caller == caller; });
    }
}

void router::on_invoke(worker_entry& from, frames& f) {
    // f: [from][MOB1 INVOKE][seq][origin][callback][types][args]
    auto seq = proto::parse_seq(proto::view(f[2])).value_or(0);
    std::string origin{proto::view(f[3])};
    if (workers_.count(origin) == 0) {
        send_error(from.id, seq, errc::origin_gone,
                   fmt::format("the callback's origin {} is gone", origin));
        return;
    }
    auto out = proto::make_message(proto::command::invoked, {});
    out.push_back(std::move(f[0]));
    out.push_back(std::move(f[2]));
    out.push_back(std::move(f[4]));
    out.push_back(std::move(f[5]));
    out.push_back(std::move(f[6]));
    auto r = send_to(origin, out);
    if (r == send_result::full) {
        send_error(from.id, seq, errc::queue_full,
                   fmt::format("the callback's origin {} is not taking messages", origin));
    } else if (r == send_result::unreachable) {
        send_error(from.id, seq, errc::origin_gone,
                   fmt::format("the callback's origin {} cannot be reached", origin));
        forget(origin, "unreachable");
    }
}

void router::on_release(worker_entry&, frames& f) {
    // f: [from][MOB1 RELEASE][origin][callback]
    std::string origin{proto::view(f[2])};
    if (workers_.count(origin) == 0)
        return;  // gone: its table went with it
    auto out = proto::make_message(proto::command::released, {});
    out.push_back(std::move(f[0]));
    out.push_back(std::move(f[3]));
    (void)send_to(origin, out);
}

}  // namespace mob::detail
