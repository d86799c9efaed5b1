// The worker's share of supervision: asking the kingpin to scale a role (SCALE,
// answered with RESULT like a call, so it shares the pending-call table and its
// timeouts), and the shutdown hook.
#include "mob/codec.hpp"
#include "mob/log.hpp"
#include "worker_core.hpp"

#include <fmt/format.h>

namespace mob::detail {
namespace proto = mob::protocol;

std::shared_ptr<call_state> worker_core::start_scale(const std::string& role, std::int32_t delta) {
    auto id = next_seq_.fetch_add(1);
    auto state = std::make_shared<call_state>();
    state->what = fmt::format("scale {}{:+}", role, delta);
    state->link = link_;
    auto f = proto::make_message(proto::command::scale,
                                 {proto::encode_seq(id), role, proto::encode_delta(delta)});
    send_tracked(id, std::move(f), {state, clock::now() + options_.call_timeout, {}});
    return state;
}

void worker_core::on_shutdown(std::function<void()> hook) {
    std::lock_guard lock{shutdown_mutex_};
    shutdown_hook_ = std::move(hook);
}

void worker_core::finish() {
    dispatcher_.stop();  // runs what was received, then joins
    std::function<void()> hook;
    {
        std::lock_guard lock{shutdown_mutex_};
        if (shutdown_done_)
            return;
        shutdown_done_ = true;
        hook = std::move(shutdown_hook_);
    }
    if (!hook)
        return;
    try {
        hook();
    } catch (...) {
        log::error("the shutdown hook threw: {}", describe_current_exception());
    }
}

}  // namespace mob::detail
