#include "call_table.hpp"

#include "mob/log.hpp"

#include <string>

namespace mob::detail {

bool complete_call(const std::shared_ptr<call_state>& state, raw_result r,
                   const std::function<void(unique_task)>& post) {
    std::function<void(const raw_result&)> continuation;
    bool here = false;
    {
        std::lock_guard lock{state->mutex};
        if (state->result)
            return false;
        state->result = std::move(r);
        continuation = std::move(state->continuation);
        here = state->continuation_inline;
    }
    // After unlocking: a woken waiter does not then block on the mutex still held here.
    state->cv.notify_all();
    if (!continuation)
        return true;
    if (here) {
        // call_settings::inline_result: on this (the I/O) thread, like an inline export;
        // nothing may escape into the loop.
        try {
            continuation(*state->result);
        } catch (...) {
            log::error("{}: an inline result handler threw: {}", state->what,
                       describe_current_exception());
        }
    } else if (post) {
        // The result is written once and never again: the task reads it in place.
        post([continuation = std::move(continuation), state] { continuation(*state->result); });
    }
    return true;
}

call_table::call_table(std::function<void(const std::shared_ptr<call_state>&, raw_result)> complete,
                       std::function<void(const std::vector<std::uint64_t>&)> forget,
                       std::atomic<std::size_t>& outstanding)
    : complete_(std::move(complete)), forget_(std::move(forget)), outstanding_(outstanding) {}

void call_table::add(std::uint64_t id, entry e, time_point deadline) {
    table_.insert(id, std::move(e), deadline);
}

void call_table::drop(std::uint64_t, entry& e, raw_result r, bool forget_callbacks) {
    outstanding_.fetch_sub(1);  // before completing: its waiter sees it gone
    if (forget_callbacks && !e.callbacks.empty() && forget_)
        forget_(e.callbacks);
    complete_(e.state, std::move(r));
}

bool call_table::on_result(std::uint64_t id, raw_result&& r) {
    auto e = table_.take(id);
    if (!e)
        return false;
    // A call that never ran (or whose worker died) will never call its callbacks back.
    bool ran =
        r.code == errc::ok || r.code == errc::remote_exception || r.code == errc::handler_failed;
    drop(id, *e, std::move(r), !ran);
    return true;
}

namespace {
raw_result failure(errc code, const call_state& s, std::string_view why) {
    auto text = s.what + ": " + std::string{why};
    return raw_result{code, {}, zmq::message_t{text.data(), text.size()}, {}};
}
}  // namespace

std::size_t call_table::expire(time_point now) {
    return table_.expire(now, [&](std::uint64_t id, entry&& e) {
        if (given_up_order_.size() == given_up_kept) {
            given_up_.erase(given_up_order_.front());
            given_up_order_.pop_front();
        }
        given_up_order_.push_back(id);
        given_up_.insert(id);
        // The caller gave up: a late call of its callbacks is refused.
        drop(id, e, failure(errc::timeout, *e.state, "no result before the call's timeout"), true);
    });
}

std::size_t call_table::fail_all_but(const std::set<std::uint64_t>& keep, errc code,
                                     std::string_view why) {
    return table_.take_if(
        [&](std::uint64_t id, const entry&) { return keep.count(id) == 0; },
        [&](std::uint64_t id, entry&& e) { drop(id, e, failure(code, *e.state, why), true); });
}

}  // namespace mob::detail
