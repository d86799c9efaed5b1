// Which worker takes a call (docs/design.md, "Dispatch"): idle ones first, least
// recently used; fast calls pipelined on the busy worker that is awake; slow ones no
// deeper than dispatch_policy::slow_call_depth at a busy worker. And each method's
// timing, which tells fast from slow.
#include "call_dispatcher.hpp"

#include "config.hpp"

namespace mob::detail {

call_timing* call_dispatcher::timing_of(role_calls& r, std::string_view method) {
    // Most calls of a role are of the method before: a compare, not a hash of the name.
    if (r.last_timed != nullptr && r.last_timed->first == method)
        return &r.last_timed->second;
    if (auto it = r.timing.find(method); it != r.timing.end()) {
        r.last_timed = &*it;
        return &it->second;
    }
    if (r.timing.size() >= max_timed_methods)
        return nullptr;
    r.last_timed =
        &*r.timing.emplace(std::string{method}, call_timing{config_.dispatch.fast_call}).first;
    return &r.last_timed->second;
}

std::optional<worker_handle> call_dispatcher::next_free(role_index role, role_calls& r,
                                                        call_timing* timing) {
    if (!r.warm.empty()) {
        const auto idle = static_cast<std::uint32_t>(r.idle.size());
        const auto ready = workers_.ready_count(role);
        const bool pipeline = timing != nullptr && ready > idle && ready - idle >= spread_ &&
                              (timing->fast() || timing->probe());
        if (pipeline)
            return r.warm.back();
        if (r.idle.empty()) {
            const auto depth = config_.dispatch.slow_call_depth;
            if (depth == 0 || (timing != nullptr && timing->fast()))
                return r.warm.use_front();  // every worker busy: pipelined, LRU first
            // A slow call (or one not timed yet) goes no deeper than slow_call_depth at
            // a worker: behind a long call in one worker's queue it could wait while
            // another worker goes idle. It waits here instead, for the first worker that
            // answers one (LRU fairness). Looked at: the least recently used busy worker,
            // then the one that took or answered a call last (a worker that answers one
            // comes to the back, with room for the call that waits).
            for (const auto h : {*r.warm.front(), *r.warm.back()}) {
                const auto* w = workers_.find(h);
                if (w == nullptr || w->in_flight < depth) {
                    r.warm.push_back(h);  // now the most recently used
                    return h;
                }
            }
            return std::nullopt;
        }
    }
    return r.idle.use_front();
}

void call_dispatcher::drop_free(role_calls& r, worker_handle h) {
    r.warm.remove(h);
    r.idle.remove(h);
}

}  // namespace mob::detail
