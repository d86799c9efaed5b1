// What the broker owes a worker whose pipe is full: the ERRORs and RESULTs that tell it
// what became of its messages and calls. ZeroMQ would drop them in silence (a ROUTER
// sending with DONTWAIT to a full pipe gets EAGAIN), so they are kept, in order and up
// to max_owed_per_worker for each worker, and sent as its pipe drains. One past the
// bound is lost, but not in silence: it is counted (status), logged once per interval,
// and the worker is sent a LOST with the count once what was kept has gone out.
#include "config.hpp"
#include "mob/log.hpp"
#include "worker_registry.hpp"

#include <algorithm>

namespace mob::detail {
namespace proto = mob::protocol;
using namespace std::chrono_literals;

namespace {
// How soon a full pipe is tried again (ZeroMQ signals no "writable again" to a ROUTER).
constexpr auto retry_after = 5ms;
constexpr auto log_interval = 10s;
}  // namespace

send_result worker_registry::send_fate(worker_entry& w, frames& body, clock::time_point now) {
    if (!w.alive())
        return send_result::unreachable;
    // Behind what it is owed already, so it learns the fates in the order they fell.
    if (w.owed.empty() && w.lost_unreported == 0) {
        auto r = send(w, body);
        if (r != send_result::full)
            return r;
        owing_.push_back(w.handle);  // owes it from now on
    }
    next_flush_ = std::min(next_flush_, now + retry_after);
    if (w.owed.size() < config_.max_owed_per_worker) {
        w.owed.push_back(std::move(body));
        ++owed_total_;
        return send_result::full;
    }
    ++w.fates_lost;
    ++w.lost_unreported;
    ++fates_lost_total_;
    if (w.lost_logged == clock::time_point{} || now - w.lost_logged >= log_interval) {
        w.lost_logged = now;
        log::warn(
            "{} reads too slowly: {} ERRORs/RESULTs kept for it, {} lost so far (it will "
            "be told how many)",
            w.id, w.owed.size(), w.fates_lost);
    }
    return send_result::full;
}

void worker_registry::flush_owed(clock::time_point now) {
    if (owing_.empty())
        return;
    next_flush_ = clock::time_point::max();
    std::erase_if(owing_, [&](worker_handle h) {
        auto* w = find(h);
        if (w == nullptr || !w->alive())
            return true;
        while (!w->owed.empty()) {
            auto r = send(*w, w->owed.front());
            if (r == send_result::unreachable)
                return true;  // forgotten, with what it was owed, after this message
            if (r == send_result::full) {
                next_flush_ = now + retry_after;
                return false;
            }
            w->owed.pop_front();
            --owed_total_;
        }
        if (w->lost_unreported != 0) {
            auto lost = proto::make_lost(w->lost_unreported);
            auto r = send(*w, lost);
            if (r == send_result::full) {
                next_flush_ = now + retry_after;
                return false;
            }
            w->lost_unreported = 0;
        }
        return true;
    });
}

}  // namespace mob::detail
