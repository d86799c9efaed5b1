// The worker's share of supervision: asking the kingpin to scale a role (SCALE) or to
// stop the whole app (STOP_APP), each answered with RESULT like a call, so they share
// the call table and its timeouts; and the shutdown hook.
#include "link_ops.hpp"
#include "mob/log.hpp"
#include "worker_core.hpp"

#include <fmt/format.h>

namespace mob::detail {
namespace proto = mob::protocol;

std::shared_ptr<call_state> worker_core::start_scale(const std::string& role, std::int32_t delta) {
    auto id = link_->next_seq.fetch_add(1);
    auto state = new_call_state(link_, id, fmt::format("scale {}{:+}", role, delta));
    push_call(*link_, outgoing_call{id,
                                    proto::make_scale(id, role, delta),
                                    state,
                                    clock::now() + options_.call_timeout,
                                    {}});
    return state;
}

std::shared_ptr<call_state> worker_core::start_stop_app(std::int32_t exit_code) {
    auto id = link_->next_seq.fetch_add(1);
    auto state = new_call_state(link_, id, fmt::format("stop_app({})", exit_code));
    push_call(*link_, outgoing_call{id,
                                    proto::make_stop_app(id, exit_code),
                                    state,
                                    clock::now() + options_.call_timeout,
                                    {}});
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
