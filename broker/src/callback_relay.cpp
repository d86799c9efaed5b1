#include "callback_relay.hpp"

#include <fmt/format.h>

namespace mob::detail {
namespace proto = mob::protocol;

void callback_relay::on_invoke(worker_entry& from, zmq::message_t& from_frame,
                               std::span<zmq::message_t> msg) {
    auto invoke = proto::parse_invoke(msg);
    auto* origin = workers_.find(invoke.origin);
    if (origin == nullptr || !origin->alive()) {
        workers_.send_error(from, invoke.seq, errc::origin_gone,
                            fmt::format("the callback's origin {} is gone", invoke.origin));
        return;
    }
    const auto seq = invoke.seq;
    auto out = proto::make_invoked(std::move(from_frame), invoke);
    auto r = workers_.send(*origin, out);  // an unreachable origin is forgotten after this
    if (r == send_result::full) {
        workers_.send_error(
            from, seq, errc::queue_full,
            fmt::format("the callback's origin {} is not taking messages", origin->id));
    } else if (r == send_result::unreachable) {
        workers_.send_error(from, seq, errc::origin_gone,
                            fmt::format("the callback's origin {} cannot be reached", origin->id));
    }
}

void callback_relay::on_release(zmq::message_t& from_frame, std::span<zmq::message_t> msg) {
    auto release = proto::parse_release(msg);
    auto* origin = workers_.find(release.origin);
    if (origin == nullptr || !origin->alive())
        return;  // gone: its table went with it
    auto out = proto::make_released(std::move(from_frame), release);
    (void)workers_.send_fate(*origin, out);  // its table entry waits for it: kept, like an ERROR
}

void callback_relay::holder_gone(const worker_entry& holder) {
    for (auto h : holder.callback_origins) {
        auto* origin = workers_.find(h);
        if (origin == nullptr || !origin->alive())
            continue;
        auto out = proto::make_holder_gone(holder.id);
        (void)workers_.send_fate(*origin, out);  // its callbacks wait for it: kept, like an ERROR
    }
}

}  // namespace mob::detail
