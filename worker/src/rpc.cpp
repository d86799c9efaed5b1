// The worker's half of RPC: calls it makes (pending table, timeouts), calls it serves
// (exports, REQUEST -> REPLY), and callbacks (the origin's table, INVOKE, RELEASE).
#include "mob/codec.hpp"
#include "mob/log.hpp"
#include "worker_core.hpp"

#include <cxxabi.h>
#include <fmt/format.h>

namespace mob::detail {
namespace proto = mob::protocol;

namespace {

thread_local std::shared_ptr<core_link> current_codec_link;
thread_local codec_scope* current_scope = nullptr;
/// The worker whose inline export runs on this thread (its I/O thread), or null.
thread_local const core_link* serving_inline_for = nullptr;

/// Runs `fn(core)` if the worker behind `link` still exists.
template <typename F>
bool with_core(const std::shared_ptr<core_link>& link, F&& fn) {
    if (!link)
        return false;
    std::lock_guard lock{link->mutex};
    if (link->core == nullptr)
        return false;
    fn(*link->core);
    return true;
}
}  // namespace

// ---- free entry points for the templates ---------------------------------------

bool waiting_would_deadlock(const core_link* link) noexcept {
    return link != nullptr && link == serving_inline_for;
}

const std::shared_ptr<core_link>& codec_link() {
    return current_codec_link;
}

codec_scope::codec_scope(std::shared_ptr<core_link> link)
    : previous_(std::exchange(current_codec_link, std::move(link))),
      outer_(std::exchange(current_scope, this)) {}
codec_scope::~codec_scope() {
    current_codec_link = std::move(previous_);
    current_scope = outer_;
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

callback_ref register_callback(const std::shared_ptr<core_link>& link,
                               std::shared_ptr<callback_local> cb) {
    callback_ref ref;
    if (!with_core(link, [&](worker_core& c) { ref = c.register_callback(std::move(cb)); })) {
        throw mob::error("the worker is gone: a callback cannot be made", errc::shutting_down);
    }
    if (current_scope != nullptr)
        current_scope->registered.push_back(ref.id);
    return ref;
}

std::uint64_t invoke_callback(const std::shared_ptr<core_link>& link, const callback_ref& ref,
                              std::string_view types, std::string args) {
    std::uint64_t seq = 0;
    if (!with_core(link,
                   [&](worker_core& c) { seq = c.invoke_callback(ref, types, std::move(args)); })) {
        throw mob::error("the worker is gone: the callback cannot be called", errc::shutting_down);
    }
    return seq;
}

void release_callback(const std::shared_ptr<core_link>& link, const callback_ref& ref) noexcept {
    try {
        with_core(link, [&](worker_core& c) { c.release_callback(ref); });
    } catch (...) {  // a destructor's helper: never throws
    }
}

void send_reply(const std::shared_ptr<core_link>& link, std::uint64_t call_id, errc code,
                std::string_view type, std::string body) noexcept {
    try {
        if (!with_core(link, [&](worker_core& c) {
                c.send_reply(call_id, code, type, std::move(body));
            })) {
            log::warn("reply to request {} lost: the worker is gone", call_id);
        }
    } catch (const std::exception& e) {
        log::error("reply to request {} lost: {}", call_id, e.what());
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

void post_to_dispatcher(const std::shared_ptr<core_link>& link, std::function<void()> task) {
    with_core(link, [&](worker_core& c) { c.post(std::move(task)); });
}

std::shared_ptr<call_state> start_call(const std::shared_ptr<core_link>& link,
                                       const std::string& role, std::string_view method,
                                       const call_settings& settings, bool oneway,
                                       std::string_view types, std::string args,
                                       std::vector<std::uint64_t> callbacks,
                                       std::function<void(const raw_result&)> on_io_thread) {
    std::shared_ptr<call_state> state;
    if (!with_core(link, [&](worker_core& c) {
            state = c.start_call(role, method, settings, oneway, types, std::move(args),
                                 std::move(callbacks), std::move(on_io_thread));
        })) {
        throw mob::error("the worker is gone: no call can be made", errc::shutting_down);
    }
    return state;
}

// ---- calls this worker makes ----------------------------------------------------

std::shared_ptr<call_state> worker_core::start_call(
    const std::string& role, std::string_view method, const call_settings& settings, bool oneway,
    std::string_view types, std::string args, std::vector<std::uint64_t> callbacks,
    std::function<void(const raw_result&)> inline_fn) {
    auto id = next_seq_.fetch_add(1);
    auto state = std::make_shared<call_state>();
    state->id = id;
    state->what = fmt::format("{}.{}", role, method);
    state->link = link_;
    if (inline_fn) {
        state->continuation = std::move(inline_fn);
        state->continuation_inline = true;
    }
    auto timeout = settings.timeout.count() > 0 ? settings.timeout : options_.call_timeout;
    proto::call_options opts;
    opts.flags = static_cast<std::uint8_t>((settings.idempotent ? proto::call_idempotent : 0) |
                                           (oneway ? proto::call_oneway : 0));
    opts.timeout_ms = static_cast<std::uint32_t>(timeout.count());
    auto f = proto::make_message(proto::command::call, {});
    f.push_back(proto::call_head{id, opts, role, method, types}.encode());
    f.emplace_back(args.data(), args.size());
    if (oneway)
        enqueue(std::move(f));
    else
        send_tracked(id, std::move(f), {state, clock::now() + timeout, std::move(callbacks)});
    return state;
}

void worker_core::send_tracked(std::uint64_t id, frames f, pending_call call) {
    {
        std::lock_guard lock{calls_mutex_};
        call_deadlines_.emplace(call.deadline, id);
        calls_.emplace(id, std::move(call));
    }
    try {
        enqueue(std::move(f));
    } catch (...) {
        std::lock_guard lock{calls_mutex_};
        if (auto it = calls_.find(id); it != calls_.end()) {
            call_deadlines_.erase({it->second.deadline, id});
            calls_.erase(it);
        }
        throw;
    }
}

void worker_core::complete(const std::shared_ptr<call_state>& state, raw_result r) {
    std::function<void(const raw_result&)> continuation;
    bool here = false;
    {
        std::lock_guard lock{state->mutex};
        if (state->result)
            return;
        state->result = std::move(r);
        continuation = std::move(state->continuation);
        here = state->continuation_inline;
    }
    // After unlocking: a woken waiter does not then block on the mutex still held here.
    state->cv.notify_all();
    if (continuation && here) {
        // call_settings::inline_result: on this (the I/O) thread, like an inline export;
        // nothing may escape into the loop, and a get() here must fail, not hang.
        auto outer = std::exchange(serving_inline_for, link_.get());
        try {
            continuation(*state->result);
        } catch (...) {
            log::error("{}: an inline result handler threw: {}", state->what,
                       describe_current_exception());
        }
        serving_inline_for = outer;
    } else if (continuation) {
        dispatcher_.post(
            [continuation = std::move(continuation), state] { continuation(*state->result); });
    }
}

void worker_core::handle_result(frames& f) {
    // f: [MOB1 RESULT][outcome][body]
    auto out = proto::outcome::parse(proto::view(f[1]));
    if (!out) {
        log::warn("dropped a malformed RESULT");
        return;
    }
    const auto id = out->id;
    std::shared_ptr<call_state> state;
    std::vector<std::uint64_t> callbacks;
    {
        std::lock_guard lock{calls_mutex_};
        if (auto it = calls_.find(id); it != calls_.end()) {
            state = std::move(it->second.state);
            callbacks = std::move(it->second.callbacks);
            call_deadlines_.erase({it->second.deadline, id});
            calls_.erase(it);
        }
    }
    raw_result r{out->code, std::string{out->type}, std::string{proto::view(f[2])}};
    // A call that never ran (or whose worker died) will never call its callbacks back.
    if (r.code != errc::ok && r.code != errc::remote_exception && r.code != errc::handler_failed) {
        forget_callbacks(callbacks);
    }
    if (state) {
        complete(state, std::move(r));
    } else if (r.code != errc::ok) {
        // A cast's failure, or a call we stopped waiting for: still not silent.
        report_error(send_error{id, r.code, std::move(r.body)});
    }
}

clock::time_point worker_core::next_call_deadline() {
    std::lock_guard lock{calls_mutex_};
    return call_deadlines_.empty() ? clock::time_point::max() : call_deadlines_.begin()->first;
}

void worker_core::expire(clock::time_point now) {
    std::vector<std::shared_ptr<call_state>> expired;
    std::vector<std::uint64_t> callbacks;
    if (next_call_deadline() <= now) {
        std::lock_guard lock{calls_mutex_};
        while (!call_deadlines_.empty() && call_deadlines_.begin()->first <= now) {
            auto id = call_deadlines_.begin()->second;
            call_deadlines_.erase(call_deadlines_.begin());
            if (auto it = calls_.find(id); it != calls_.end()) {
                expired.push_back(std::move(it->second.state));
                callbacks.insert(callbacks.end(), it->second.callbacks.begin(),
                                 it->second.callbacks.end());
                calls_.erase(it);
            }
        }
    }
    for (auto& s : expired)
        complete(s,
                 raw_result{errc::timeout, {}, s->what + ": no result before the call's timeout"});
    forget_callbacks(callbacks);  // the caller gave up: a late call back is refused
    if (now < next_callback_sweep_)
        return;
    next_callback_sweep_ = now + std::chrono::milliseconds{50};
    std::lock_guard lock{callbacks_mutex_};
    for (auto it = callbacks_.begin(); it != callbacks_.end();) {
        if (it->second.deadline <= now) {
            remember_expired(it->first);
            it = callbacks_.erase(it);
        } else {
            ++it;
        }
    }
}

void worker_core::forget_callbacks(const std::vector<std::uint64_t>& ids) {
    if (ids.empty())
        return;
    std::lock_guard lock{callbacks_mutex_};
    for (auto id : ids) {
        if (callbacks_.erase(id) != 0)
            remember_expired(id);
    }
}

void worker_core::remember_expired(std::uint64_t id) {
    // Bounded: enough to tell "expired" from "already called" for recent callbacks.
    expired_callbacks_.insert(id);
    expired_order_.push_back(id);
    if (expired_order_.size() > 4096) {
        expired_callbacks_.erase(expired_order_.front());
        expired_order_.pop_front();
    }
}

std::size_t worker_core::pending_calls() const {
    std::lock_guard lock{calls_mutex_};
    return calls_.size();
}

// ---- calls this worker serves ---------------------------------------------------

void worker_core::add_export(std::string name, std::string types,
                             std::function<void(const incoming_call&)> fn, bool on_io_thread) {
    check_method_name(name);  // a longer name could be exported but never called
    {
        std::lock_guard lock{exports_mutex_};
        exports_[std::move(name)] = std::make_shared<export_entry>(
            export_entry{std::move(types), std::move(fn), on_io_thread});
    }
    exports_changed_ = true;
    wake();
}

void worker_core::send_ready() {
    proto::ready r;
    r.credit = options_.credit;
    {
        std::lock_guard lock{exports_mutex_};
        for (const auto& [name, e] : exports_)
            r.exports.push_back(name);
    }
    auto f = proto::make_message(proto::command::ready, {});
    auto body = encode(r);
    f.emplace_back(body.data(), body.size());
    send_or_keep(std::move(f));
}

std::shared_ptr<worker_core::export_entry> worker_core::find_export(std::string_view name) {
    std::lock_guard lock{exports_mutex_};
    if (auto it = exports_.find(std::string{name}); it != exports_.end())
        return it->second;
    return nullptr;
}

void worker_core::handle_request(frames& f) {
    // f: [MOB1 REQUEST][call head][args]
    auto head = proto::call_head::parse(proto::view(f[1]));
    if (!head) {
        // Answered when it names a ticket, so the call does not hold our credit.
        if (auto ticket = f[1].size() >= 8 ? proto::parse_seq(proto::view(f[1]).substr(0, 8))
                                           : std::nullopt) {
            send_reply(*ticket, errc::bad_frame, {}, "REQUEST: malformed call head");
        } else {
            log::warn("dropped a REQUEST with a malformed call head");
        }
        return;
    }
    auto entry = find_export(head->method);
    if (entry && entry->on_io_thread) {
        // An inline export: served here; its reply leaves with the batch's (io_loop).
        serve_request(f, *head, std::move(entry));
        return;
    }
    auto call = std::make_shared<frames>(std::move(f));
    dispatcher_.post([this, call, entry = std::move(entry)]() mutable {
        // The views of a call head point into the frame, which moved with the message.
        serve_request(*call, *proto::call_head::parse(proto::view((*call)[1])), std::move(entry));
    });
}

void worker_core::serve_request(frames& fr, const proto::call_head& head,
                                std::shared_ptr<export_entry> entry) {
    const auto id = head.id;
    auto method = head.method;
    std::string what = fmt::format("{}.{}", options_.role, method);
    if (!entry) {
        std::string names;
        {
            std::lock_guard lock{exports_mutex_};
            for (const auto& [n, e] : exports_)
                names += (names.empty() ? "" : ", ") + n;
        }
        send_reply(id, errc::unknown_method, {},
                   fmt::format("role '{}' has no method '{}' (worker {} exports: {})",
                               options_.role, method, id_, names.empty() ? "nothing" : names));
        return;
    }
    auto types = head.types;
    if (!types.empty() && types != entry->types) {
        send_reply(id, errc::bad_type, {},
                   fmt::format("{} takes {}, not {}", what, entry->types, types));
        return;
    }
    incoming_call in{link_, id, what, proto::bytes(fr[2])};
    codec_scope scope{link_};
    if (!entry->on_io_thread) {
        entry->fn(in);
        return;
    }
    // On the I/O thread: nothing may escape into the loop, and a wait for a result of
    // this worker's would never end (this thread is the one that delivers it).
    serving_inline_for = link_.get();
    try {
        entry->fn(in);
    } catch (...) {
        send_reply(id, errc::handler_failed, {}, what + ": " + describe_current_exception());
    }
    serving_inline_for = nullptr;
}

void worker_core::send_reply(std::uint64_t call_id, errc code, std::string_view type,
                             std::string body) {
    auto f = proto::make_message(proto::command::reply, {});
    f.push_back(proto::outcome{call_id, code, type}.encode());
    f.emplace_back(body.data(), body.size());
    enqueue(std::move(f));
}

// ---- callbacks ----------------------------------------------------------------

callback_ref worker_core::register_callback(std::shared_ptr<callback_local> cb) {
    std::lock_guard lock{callbacks_mutex_};
    auto id = next_callback_id_++;
    auto deadline = cb->timeout.count() > 0 ? clock::now() + cb->timeout : clock::time_point::max();
    callbacks_.emplace(id, origin_callback{std::move(cb), deadline});
    return callback_ref{id_, id};
}

std::size_t worker_core::pending_callbacks() const {
    std::lock_guard lock{callbacks_mutex_};
    return callbacks_.size();
}

std::uint64_t worker_core::invoke_callback(const callback_ref& ref, std::string_view types,
                                           std::string args) {
    auto seq = next_seq_.fetch_add(1);
    auto f = proto::make_message(proto::command::invoke, {proto::encode_seq(seq), ref.origin,
                                                          proto::encode_seq(ref.id), types, args});
    enqueue(std::move(f));
    return seq;
}

void worker_core::release_callback(const callback_ref& ref) {
    if (ref.origin == id_) {  // made and dropped here
        std::lock_guard lock{callbacks_mutex_};
        callbacks_.erase(ref.id);
        return;
    }
    auto f = proto::make_message(proto::command::release, {ref.origin, proto::encode_seq(ref.id)});
    enqueue(std::move(f));
}

void worker_core::handle_invoked(frames& f) {
    // f: [MOB1 INVOKED][invoker][seq][callback][types][args]
    std::string invoker{proto::view(f[1])};
    auto seq = proto::parse_seq(proto::view(f[2])).value_or(0);
    auto id = proto::parse_seq(proto::view(f[3]));
    if (!id) {
        log::warn("dropped a malformed INVOKED from {}", invoker);
        return;
    }
    origin_callback entry;
    bool found = false;
    {
        std::lock_guard lock{callbacks_mutex_};
        if (auto it = callbacks_.find(*id); it != callbacks_.end()) {
            entry = std::move(it->second);
            callbacks_.erase(it);
            found = true;
        }
    }
    if (!found) {
        bool expired = false;
        {
            std::lock_guard lock{callbacks_mutex_};
            expired = expired_callbacks_.count(*id) != 0;
        }
        if (expired) {
            reject_to(invoker, seq, errc::callback_expired,
                      fmt::format("callback {} of {} has expired (or its call failed)", *id, id_));
        } else {
            reject_to(invoker, seq, errc::callback_used,
                      fmt::format("callback {} of {} was already called or released", *id, id_));
        }
        return;
    }
    if (entry.deadline <= clock::now()) {
        reject_to(invoker, seq, errc::callback_expired,
                  fmt::format("callback {} of {} has expired", *id, id_));
        return;
    }
    auto types = proto::view(f[4]);
    if (types != entry.cb->types) {
        reject_to(
            invoker, seq, errc::bad_type,
            fmt::format("callback {} of {} takes {}, not {}", *id, id_, entry.cb->types, types));
        return;
    }
    auto call = std::make_shared<frames>(std::move(f));
    dispatcher_.post([this, call, cb = std::move(entry.cb), invoker, seq] {
        try {
            codec_scope scope{link_};
            cb->run(proto::bytes((*call)[5]));
        } catch (...) {
            auto why = describe_current_exception();
            log::warn("callback called by {} threw: {}", invoker, why);
            reject_to(invoker, seq, errc::handler_failed, "callback threw: " + why);
        }
    });
}

void worker_core::handle_released(frames& f) {
    // f: [MOB1 RELEASED][holder][callback]
    auto id = proto::parse_seq(proto::view(f[2]));
    if (!id)
        return;
    std::lock_guard lock{callbacks_mutex_};
    callbacks_.erase(*id);
}

}  // namespace mob::detail
