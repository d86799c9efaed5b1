// What a worker asks of the kingpin's supervisor through the broker: SCALE (a role's
// size) and STOP_APP (end the whole app), each answered with one RESULT.
#include "broker.hpp"
#include "config.hpp"
#include "mob/log.hpp"

#include <fmt/format.h>

namespace mob::detail {
namespace proto = mob::protocol;

void broker::on_scale(worker_entry& from, std::span<const zmq::message_t> msg) {
    auto s = proto::parse_scale(msg);
    if (!s) {
        workers_.refuse(from, s.failure(), worker_registry::answer::result);
        return;
    }
    const auto id = s->call_id;
    std::string role{s->role};
    if (!roles_.find(role)) {
        workers_.send_failed_result(
            from, id, errc::unknown_role,
            fmt::format("scale: app '{}' has no role '{}'", config_.app, role));
        return;
    }
    if (stopping_) {
        workers_.send_failed_result(from, id, errc::shutting_down,
                                    fmt::format("scale {}: the kingpin is stopping", role));
        return;
    }
    const auto caller = from.handle;  // the kingpin may stop workers while it scales
    scale_answer answer;
    if (hooks_.on_scale) {
        answer = hooks_.on_scale(role, s->delta);
    } else {
        answer.code = errc::unknown_role;
        answer.text = fmt::format("scale: role '{}' is not run by this broker", role);
    }
    auto* to = workers_.find_alive(caller);
    if (to == nullptr)
        return;
    if (answer.code != errc::ok) {
        workers_.send_failed_result(*to, id, answer.code, answer.text);
        return;
    }
    auto out = proto::make_result(proto::outcome{id, errc::ok, type_name<scale_result>()},
                                  encode_frame(answer.result));
    workers_.send_fate(*to, out);
}

void broker::on_stop_app(worker_entry& from, std::span<const zmq::message_t> msg) {
    auto s = proto::parse_stop_app(msg);
    if (!s) {
        workers_.refuse(from, s.failure(), worker_registry::answer::result);
        return;
    }
    const auto id = s->call_id;
    if (s->exit_code < 0 || s->exit_code > 255) {
        workers_.send_failed_result(
            from, id, errc::bad_frame,
            fmt::format("stop_app: exit code {} is not 0..255", s->exit_code));
        return;
    }
    // Only a process of this kingpin's own may end the app: an external worker is not
    // trusted with it (it joined over the network).
    if (!from.local_child || !hooks_.on_stop_app) {
        workers_.send_failed_result(
            from, id, errc::unknown_pid,
            "stop_app: only a worker this kingpin started may stop the app");
        return;
    }
    if (stopping_) {
        workers_.send_failed_result(from, id, errc::shutting_down,
                                    "stop_app: the kingpin is stopping already");
        return;
    }
    // The answer first: stopping sends STOP to every worker, the caller too.
    auto out = proto::make_result(proto::outcome{id, errc::ok, "void"}, zmq::message_t{});
    workers_.send(from, out);
    hooks_.on_stop_app(from, s->exit_code);
}

}  // namespace mob::detail
