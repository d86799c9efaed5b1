// The broker's share of supervision: a worker's SCALE request (answered with RESULT,
// like a call), taking a worker out of routing, and the last sweep before the kingpin
// exits, which fails whatever is still held so that no caller waits in vain.
#include "mob/codec.hpp"
#include "mob/log.hpp"
#include "router.hpp"

#include <fmt/format.h>

namespace mob::detail {
namespace proto = mob::protocol;

void router::unroute(worker_entry& w) {
    w.ready = false;
    w.stopping = true;
    if (auto* role = find_role(w.role)) {
        role->ready.remove(w.id);
        role->free.remove(w.id);
        refresh_exports(*role);
    }
}

void router::on_scale(worker_entry& from, frames& f) {
    // f: [from][MOB1 SCALE][call][role][delta]
    auto id = proto::parse_seq(proto::view(f[2]));
    auto delta = proto::parse_delta(proto::view(f[4]));
    if (!id || !delta) {
        drop(from.id, "bad_scale", "call id or delta frame malformed");
        send_call_result(from.id, id.value_or(0), errc::bad_frame,
                         "SCALE: malformed call id or delta frame");
        return;
    }
    std::string role{proto::view(f[3])};
    if (find_role(role) == nullptr) {
        send_call_result(from.id, *id, errc::unknown_role,
                         fmt::format("scale: app '{}' has no role '{}'", config_.app, role));
        return;
    }
    if (stopping_) {
        send_call_result(from.id, *id, errc::shutting_down,
                         fmt::format("scale {}: the kingpin is stopping", role));
        return;
    }
    auto caller = from.id;  // `from` may be forgotten while the kingpin scales
    scale_answer answer;
    if (hooks_.on_scale) {
        answer = hooks_.on_scale(role, *delta);
    } else {
        answer.code = errc::unknown_role;
        answer.text = fmt::format("scale: role '{}' is not run by this broker", role);
    }
    if (answer.code != errc::ok) {
        send_call_result(caller, *id, answer.code, answer.text);
        return;
    }
    auto out = proto::make_message(proto::command::result, {});
    out.push_back(proto::outcome{*id, errc::ok, type_name<scale_result>()}.encode());
    auto body = encode(answer.result);
    out.emplace_back(body.data(), body.size());
    if (send_to(caller, out) == send_result::unreachable)
        forget(caller, "unreachable");
}

void router::shutdown() {
    stopping_ = true;
    for (auto& role : roles_) {
        for (auto& c : role.calls) {
            send_call_result(c.caller, c.call_id, errc::shutting_down,
                             fmt::format("{}.{}: the kingpin stopped", role.name, c.method()));
        }
        role.calls.clear();
    }
    for (auto& [id, w] : workers_) {
        for (auto& [ticket, c] : w.in_flight) {
            send_call_result(c.caller, c.call_id, errc::shutting_down,
                             fmt::format("{}.{}: the kingpin stopped before worker {} answered",
                                         w.role, c.method(), id));
        }
        w.in_flight.clear();
    }
    exited_.clear();
}

}  // namespace mob::detail
