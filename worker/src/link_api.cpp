// The entry points the RPC templates (proxy, call_future, callback, reply) call: each
// turns into work for the I/O thread, through the core_link they hold. A message, a call
// or a reply goes out at once on the direct path when the I/O thread sleeps
// (direct_sink.hpp); everything else, and everything while it is busy, is pushed into
// the outbox. Neither waits for a lock (the direct path only tries one), and a worker
// that is gone has no sink and a closed outbox.
#include "link_ops.hpp"
#include "mob/log.hpp"
#include "mob/proxy.hpp"

#include <cxxabi.h>
#include <fmt/format.h>

namespace mob::detail {
namespace proto = mob::protocol;
using clock = std::chrono::steady_clock;

namespace {
core_link& live(const std::shared_ptr<core_link>& link, std::string_view gone) {
    if (!link)
        throw error(std::string{gone}, errc::shutting_down);
    return *link;
}
}  // namespace

// ---- pushing --------------------------------------------------------------------

namespace {
/// Sends `w` on the direct path if it is a message or a call and the I/O thread sleeps;
/// false if it must go through the outbox.
bool sent_direct(core_link& link, work& w) {
    if (!std::holds_alternative<outgoing_message>(w.item) &&
        !std::holds_alternative<outgoing_call>(w.item)) {
        return false;  // registrations and tasks: the I/O thread's turn reacts to them
    }
    // The I/O thread holds the mutex already (an inline export or result handler sends):
    // what it queues leaves with its batch.
    if (link.io_thread.load() == std::this_thread::get_id())
        return false;
    std::unique_lock lock{link.io_mutex, std::try_to_lock};
    if (!lock.owns_lock() || link.sink == nullptr || link.box.closed())
        return false;
    return link.sink->send_direct(w);
}

/// Sends `item` on the direct path, else queues it: the outbox's node is allocated only
/// then (a direct send's work lives on this stack).
outbox::push_result deliver(core_link& link, work::item_type&& item) {
    work w{std::move(item)};
    if (sent_direct(link, w))
        return outbox::push_result::queued;
    auto node = std::make_unique<work>(std::move(w.item));
    return link.box.push(node);
}
}  // namespace

void push_or_throw(core_link& link, work::item_type item, std::string_view gone) {
    switch (deliver(link, std::move(item))) {
        case outbox::push_result::queued:
            return;
        case outbox::push_result::full:
            throw error(fmt::format("worker: outgoing queue is full ({} messages): the broker "
                                    "is not taking them",
                                    link.box.max_items()),
                        errc::queue_full);
        case outbox::push_result::closed:
            throw error(std::string{gone}, errc::shutting_down);
    }
}

namespace {
std::size_t size_of(const proto::frames& f) noexcept {
    std::size_t n = 0;
    for (const auto& m : f)
        n += m.size();
    return n;
}

/// The broker would refuse it (or libzmq close the connection): refuse it here, at once.
void check_size(const core_link& link, const proto::frames& f, std::string_view what) {
    if (auto n = size_of(f); n > link.max_message_size) {
        throw error(fmt::format("worker: {} of {} bytes is over max_message_size ({})", what, n,
                                link.max_message_size),
                    errc::too_large);
    }
}
}  // namespace

void push_message(core_link& link, proto::frames f, std::string_view gone) {
    check_size(link, f, "a message");
    push_or_throw(link, outgoing_message{std::move(f)}, gone);
}

void push_call(core_link& link, outgoing_call call) {
    // Counted before the I/O thread can drop it; over the bound, taken back at once.
    if (link.pending_calls.fetch_add(1) >= link.max_pending_calls) {
        link.pending_calls.fetch_sub(1);
        throw error(fmt::format("worker: {} calls already wait for their results "
                                "(worker_options::max_pending_calls): no more until some end",
                                link.max_pending_calls),
                    errc::queue_full);
    }
    try {
        push_or_throw(link, std::move(call), "the worker is gone: no call can be made");
    } catch (...) {
        link.pending_calls.fetch_sub(1);
        throw;
    }
}

bool push_work(core_link& link, std::unique_ptr<work> w) {
    return link.box.push(w) == outbox::push_result::queued;
}

std::shared_ptr<call_state> new_call_state(const std::shared_ptr<core_link>& link, std::uint64_t id,
                                           std::string what) {
    auto state = std::make_shared<call_state>();
    state->what = std::move(what);
    state->link = link;
    state->id = id;
    return state;
}

// ---- for the templates ------------------------------------------------------------

bool waiting_would_deadlock(const core_link* link) noexcept {
    return link != nullptr && link->io_thread.load() == std::this_thread::get_id();
}

std::string describe_current_exception() {
    auto* t = abi::__cxa_current_exception_type();
    std::string type = t != nullptr ? demangle(t->name()) : "unknown";
    try {
        throw;
    } catch (const std::exception& e) {
        return type + ": " + e.what();
    } catch (...) {
        return type;
    }
}

void check_method_name(std::string_view method) {
    if (method.size() > proto::call_head::max_name) {
        throw mob::error(
            fmt::format("method names are at most {} bytes; this one has {}: '{}...'",
                        proto::call_head::max_name, method.size(), method.substr(0, 32)),
            errc::unknown_method);
    }
}

std::shared_ptr<call_state> start_call(const std::shared_ptr<core_link>& link,
                                       const std::string& role, std::string_view method,
                                       const call_settings& settings, bool oneway,
                                       std::string_view types, zmq::message_t args,
                                       std::vector<std::uint64_t> callbacks,
                                       std::function<void(const raw_result&)> on_io_thread) {
    constexpr std::string_view gone = "the worker is gone: no call can be made";
    auto& l = live(link, gone);
    auto id = l.next_seq.fetch_add(1);
    auto state = new_call_state(link, id, qualified_name(role, method));
    if (on_io_thread) {
        state->continuation = std::move(on_io_thread);
        state->continuation_inline = true;
    }
    auto timeout = settings.timeout.count() > 0 ? settings.timeout : l.call_timeout;
    proto::call_options opts;
    opts.flags = static_cast<std::uint8_t>(
        (settings.idempotent ? proto::call_idempotent : 0) | (oneway ? proto::call_oneway : 0) |
        // Callbacks among the arguments: ask who serves it, to hear if that worker goes.
        (settings.report_server || !callbacks.empty() ? proto::call_report_server : 0));
    opts.timeout_ms = static_cast<std::uint32_t>(timeout.count());
    auto f = proto::make_call(proto::call_head{id, opts, role, method, types}, std::move(args));
    check_size(l, f, "a call");
    if (oneway) {
        push_message(l, std::move(f), gone);
    } else {
        push_call(l, outgoing_call{id, std::move(f), state, clock::now() + timeout,
                                   std::move(callbacks)});
    }
    return state;
}

callback_ref register_callback(const std::shared_ptr<core_link>& link,
                               std::shared_ptr<callback_local> cb) {
    constexpr std::string_view gone = "the worker is gone: a callback cannot be made";
    auto& l = live(link, gone);
    if (l.pending_callbacks.fetch_add(1) >= l.max_callbacks) {  // as for calls
        l.pending_callbacks.fetch_sub(1);
        throw error(fmt::format("worker: {} callbacks made here may still be called "
                                "(worker_options::max_callbacks): release some, or give them "
                                "a timeout",
                                l.max_callbacks),
                    errc::queue_full);
    }
    auto id = l.next_callback_id.fetch_add(1);
    auto deadline = cb->timeout.count() > 0 ? clock::now() + cb->timeout : clock::time_point::max();
    try {
        push_or_throw(l, new_callback{id, std::move(cb), deadline}, gone);
    } catch (...) {
        l.pending_callbacks.fetch_sub(1);
        throw;
    }
    return callback_ref{l.worker_id, id};
}

std::uint64_t invoke_callback(const std::shared_ptr<core_link>& link, const callback_ref& ref,
                              std::string_view types, zmq::message_t args) {
    constexpr std::string_view gone = "the worker is gone: the callback cannot be called";
    auto& l = live(link, gone);
    auto seq = l.next_seq.fetch_add(1);
    push_message(l, proto::make_invoke(seq, ref.origin, ref.id, types, std::move(args)), gone);
    return seq;
}

void release_callback(const std::shared_ptr<core_link>& link, const callback_ref& ref) noexcept {
    if (!link)
        return;
    try {
        if (ref.origin == link->worker_id) {  // made and dropped here
            push_work(*link, std::make_unique<work>(dropped_callback{ref.id}));
        } else {
            // A worker gone, or a full queue: the origin expires it.
            (void)deliver(*link, outgoing_message{proto::make_release(ref.origin, ref.id)});
        }
    } catch (...) {  // a destructor's helper: never throws
    }
}

void send_reply(const std::shared_ptr<core_link>& link, std::uint64_t call_id, errc code,
                std::string_view type, zmq::message_t body) noexcept {
    try {
        if (!link) {
            log::warn("reply to request {} lost: the worker is gone", call_id);
            return;
        }
        if (body.size() + 64 > link->max_message_size) {  // 64: the outcome frame, at most
            log::error(
                "result of request {} is {} bytes, over max_message_size ({}): sent "
                "as a too_large error",
                call_id, body.size(), link->max_message_size);
            auto text = fmt::format(
                "the result is {} bytes; this worker sends at most {} "
                "(max_message_size)",
                body.size(), link->max_message_size);
            body = zmq::message_t{text.data(), text.size()};
            code = errc::too_large;
            type = "";
        }
        switch (deliver(*link, outgoing_message{proto::make_reply(
                                   proto::outcome{call_id, code, type}, std::move(body))})) {
            case outbox::push_result::queued:
                return;
            case outbox::push_result::closed:
                log::warn("reply to request {} lost: the worker is gone", call_id);
                return;
            case outbox::push_result::full:
                log::error("reply to request {} lost: the outgoing queue is full", call_id);
                return;
        }
    } catch (const std::exception& e) {
        log::error("reply to request {} lost: {}", call_id, e.what());
    }
}

void send_reply(const std::shared_ptr<core_link>& link, std::uint64_t call_id, errc code,
                std::string_view type, std::string_view text) noexcept {
    try {
        send_reply(link, call_id, code, type, zmq::message_t{text.data(), text.size()});
    } catch (const std::exception& e) {
        log::error("reply to request {} lost: {}", call_id, e.what());
    }
}

void post_to_dispatcher(const std::shared_ptr<core_link>& link, std::function<void()> task) {
    if (link)
        push_work(*link, std::make_unique<work>(dispatcher_task{std::move(task)}));
}

}  // namespace mob::detail
