// The broker's half of RPC: CALL goes to the least-recently-used worker of the role
// with credit to spare, or waits in the role's bounded FIFO; the broker remembers
// every call in flight per worker, so a worker's death fails its calls to their
// callers (or runs an idempotent call once more elsewhere); REPLY returns credit.
// INVOKE and RELEASE carry callbacks back to the process they came from.
#include "mob/log.hpp"
#include "router.hpp"

#include <fmt/format.h>

namespace mob::detail {
namespace proto = mob::protocol;

namespace {
zmq::message_t text_frame(std::string_view s) {
    return zmq::message_t{s.data(), s.size()};
}
std::string call_key(std::string_view caller, std::string_view call_frame) {
    std::string key;
    key.reserve(caller.size() + 1 + call_frame.size());
    key.append(caller).push_back('\0');
    key.append(call_frame);
    return key;
}
}  // namespace

void router::send_call_result(const std::string& caller, std::uint64_t call_id, errc code,
                              std::string_view text, bool known_only) {
    if (known_only && workers_.count(caller) == 0)
        return;  // the caller is gone: nobody to tell
    auto f = proto::make_message(proto::command::result,
                                 {proto::encode_seq(call_id), proto::encode_code(code)});
    f.push_back(zmq::message_t{});
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
    // f: [from][MOB1][CALL][call][role][method][options][types][args]
    auto id = proto::parse_seq(proto::view(f[3]));
    auto opts = proto::call_options::parse(proto::view(f[6]));
    if (!id || !opts) {
        drop(from.id, "bad_call", "call id or options frame malformed");
        send_call_result(from.id, id.value_or(0), errc::bad_frame,
                         "CALL: malformed call id or options frame");
        return;
    }
    std::string role_name{proto::view(f[4])};
    std::string method{proto::view(f[5])};
    auto* role = find_role(role_name);
    if (role == nullptr) {
        send_call_result(from.id, *id, errc::unknown_role,
                         fmt::format("{}.{}: app '{}' has no role '{}'", role_name, method,
                                     config_.app, role_name));
        return;
    }
    if (stopping_) {
        send_call_result(from.id, *id, errc::shutting_down,
                         fmt::format("{}.{}: the kingpin is stopping", role_name, method));
        return;
    }
    // The role's exports are known once one of its workers is ready; before that the
    // call waits, and the worker that takes it answers for an unknown method.
    if (!role->ready.empty() && role->exports.count(method) == 0) {
        ++role->calls_failed;
        std::string names;
        for (const auto& e : role->exports)
            names += (names.empty() ? "" : ", ") + e;
        send_call_result(from.id, *id, errc::unknown_method,
                         fmt::format("role '{}' has no method '{}' (it exports: {})", role_name,
                                     method, names.empty() ? "nothing" : names));
        return;
    }
    held_call call;
    call.caller = from.id;
    call.call_id = *id;
    call.method = method;
    call.options = *opts;
    auto timeout =
        opts->timeout_ms > 0 ? std::chrono::milliseconds{opts->timeout_ms} : config_.queue_timeout;
    call.deadline = clock::now() + timeout;
    call.request.reserve(8);
    call.request.push_back(proto::header_frame());
    call.request.push_back(proto::command_frame(proto::command::request));
    call.request.push_back(std::move(f[0]));
    call.request.push_back(std::move(f[3]));
    call.request.push_back(std::move(f[5]));
    call.request.push_back(std::move(f[6]));
    call.request.push_back(std::move(f[7]));
    call.request.push_back(std::move(f[8]));
    if (role->calls.empty() && !role->free.empty() && dispatch(*role, call))
        return;
    if (role->calls.size() >= config_.max_queued_per_role) {
        ++role->calls_failed;
        send_call_result(call.caller, call.call_id, errc::queue_full,
                         fmt::format("{}.{}: {} calls already wait for a worker of role '{}'",
                                     role_name, method, role->calls.size(), role_name));
        return;
    }
    role->calls.push_back(std::move(call));
}

bool router::dispatch(role_entry& role, held_call& call) {
    while (!role.free.empty()) {
        auto id = *role.free.use_front();
        auto& w = workers_.at(id);
        frames out;
        const bool keep = (call.options.flags & proto::call_idempotent) != 0 && !call.retried;
        if (keep) {
            out.reserve(call.request.size());
            for (auto& m : call.request) {
                zmq::message_t c;
                c.copy(m);
                out.push_back(std::move(c));
            }
        }
        auto r = send_to(id, keep ? out : call.request);
        if (r == send_result::unreachable) {
            forget(id, "unreachable");  // may dispatch other calls: `call` is not in the queue
            continue;
        }
        if (r == send_result::full)
            return false;  // try again on the next tick
        ++role.calls_routed;
        ++stats_.routed;
        auto key = call_key(call.caller, proto::encode_seq(call.call_id));
        if (!keep)
            call.request.clear();
        w.in_flight.emplace(std::move(key), std::move(call));
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
    // f: [from][MOB1][REPLY][caller][call][code][type][body]
    auto key = call_key(proto::view(f[3]), proto::view(f[4]));
    auto it = from.in_flight.find(key);
    if (it == from.in_flight.end()) {
        drop(from.id, "stray_reply", "a REPLY for no call in flight at this worker");
        return;
    }
    const bool oneway = (it->second.options.flags & proto::call_oneway) != 0;
    std::string caller = std::move(it->second.caller);
    from.in_flight.erase(it);
    ++from.served;
    auto* role = find_role(from.role);
    if (from.ready && from.in_flight.size() < from.credit)
        role->free.push_back(from.id);
    auto code = proto::parse_code(proto::view(f[5]));
    if (!code) {
        // The caller must not wait for a result it cannot read.
        drop(from.id, "bad_reply", "REPLY code frame is not 2 bytes");
        f[5].rebuild(proto::encode_code(errc::bad_frame).data(), 2);
        f[6].rebuild(0);
        auto text =
            fmt::format("{}.{}: the worker {} sent a malformed reply", from.role, "?", from.id);
        f[7].rebuild(text.data(), text.size());
        code = errc::bad_frame;
    }
    if (*code != errc::ok)
        ++role->calls_failed;
    if ((!oneway || *code != errc::ok) && workers_.count(caller) != 0) {
        auto out = proto::make_message(proto::command::result, {});
        out.push_back(std::move(f[4]));
        out.push_back(std::move(f[5]));
        out.push_back(std::move(f[6]));
        out.push_back(std::move(f[7]));
        if (send_to(caller, out) == send_result::unreachable)
            forget(caller, "unreachable");
    }
    dispatch_calls(*role);
}

void router::fail_in_flight(worker_entry& w) {
    auto* role = find_role(w.role);
    for (auto& [key, call] : w.in_flight) {
        if (stopping_) {
            // No worker takes anything new now: a re-run would only wait to be failed.
            ++role->calls_failed;
            send_call_result(call.caller, call.call_id, errc::shutting_down,
                             fmt::format("{}.{}: the kingpin is stopping and worker {} ended "
                                         "before it answered",
                                         w.role, call.method, w.id));
            continue;
        }
        if (!call.request.empty() && !call.retried && workers_.count(call.caller) != 0) {
            log::info("{}.{} from {} was in flight at {}: running it again elsewhere", w.role,
                      call.method, call.caller, w.id);
            call.retried = true;
            role->calls.push_front(std::move(call));
            continue;
        }
        ++role->calls_failed;
        send_call_result(call.caller, call.call_id, errc::worker_died,
                         fmt::format("{}.{}: worker {} died with the call in flight", w.role,
                                     call.method, w.id));
    }
    w.in_flight.clear();
}

void router::drop_calls_of(const std::string& caller) {
    for (auto& role : roles_) {
        std::erase_if(role.calls, [&](const held_call& c) { return c.caller == caller; });
    }
}

void router::on_invoke(worker_entry& from, frames& f) {
    // f: [from][MOB1][INVOKE][seq][origin][callback][types][args]
    auto seq = proto::parse_seq(proto::view(f[3])).value_or(0);
    std::string origin{proto::view(f[4])};
    if (workers_.count(origin) == 0) {
        send_error(from.id, seq, errc::origin_gone,
                   fmt::format("the callback's origin {} is gone", origin));
        return;
    }
    auto out = proto::make_message(proto::command::invoked, {});
    out.push_back(std::move(f[0]));
    out.push_back(std::move(f[3]));
    out.push_back(std::move(f[5]));
    out.push_back(std::move(f[6]));
    out.push_back(std::move(f[7]));
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
    // f: [from][MOB1][RELEASE][origin][callback]
    std::string origin{proto::view(f[3])};
    if (workers_.count(origin) == 0)
        return;  // gone: its table went with it
    auto out = proto::make_message(proto::command::released, {});
    out.push_back(std::move(f[0]));
    out.push_back(std::move(f[4]));
    (void)send_to(origin, out);
}

}  // namespace mob::detail
