// The I/O thread's side of RPC: a REQUEST finds its export and runs it (here for an
// inline export, else on the dispatcher, its arguments in the frame they came in); a
// RESULT completes the call waiting for it; INVOKED runs a callback made here; RELEASED
// forgets one. Replies leave through the outbox like everyone else's.
#include "link_ops.hpp"
#include "mob/log.hpp"
#include "worker_core.hpp"

#include <fmt/format.h>

namespace mob::detail {
namespace proto = mob::protocol;

// ---- calls this worker serves ------------------------------------------------------

void worker_core::handle_request(proto::frames& f) {
    auto call = proto::parse_request(f);
    if (!call) {
        // Answered when it names a ticket, so the call does not hold our credit.
        if (auto ticket = call.failure().id; ticket != 0) {
            send_reply(link_, ticket, errc::bad_frame, {}, "REQUEST: malformed call head");
        } else {
            log::warn("dropped a REQUEST with a malformed call head");
        }
        return;
    }
    const auto& head = call->head;
    auto entry = exports_.find(head.method());
    if (!entry) {
        auto names = fmt::format("{}", fmt::join(exports_.names(), ", "));
        send_reply(
            link_, head.id(), errc::unknown_method, {},
            fmt::format("role '{}' has no method '{}' (worker {} exports: {})", options_.role,
                        head.method(), id_, names.empty() ? "nothing" : names));
        return;
    }
    if (auto types = head.types(); !types.empty() && types != entry->types) {
        send_reply(link_, head.id(), errc::bad_type, {},
                   fmt::format("{}.{} takes {}, not {}", options_.role, head.method(), entry->types,
                               types));
        return;
    }
    if (entry->on_io_thread) {
        // An inline export: served here; its reply leaves with the batch's (io_loop).
        serve(*call, *entry);
        return;
    }
    dispatcher_.post([this, c = std::move(*call), entry = std::move(entry)]() mutable {
        serve(c, *entry);  // the head parsed once, the arguments in their frame
    });
}

void worker_core::serve(proto::call_message& call, const export_entry& entry) {
    const auto id = call.head.id();
    incoming_call in{link_, id, qualified_name(options_.role, call.head.method()),
                     proto::bytes(call.args)};
    if (!entry.on_io_thread) {
        entry.fn(in);
        return;
    }
    // On the I/O thread nothing may escape into the loop (and a wait there for a result
    // of this worker's fails at once: waiting_would_deadlock).
    try {
        entry.fn(in);
    } catch (...) {
        send_reply(link_, id, errc::handler_failed, {},
                   in.what + ": " + describe_current_exception());
    }
}

// ---- calls this worker made ---------------------------------------------------------

void worker_core::handle_result(proto::frames& f) {
    auto out = proto::parse_result(f);
    if (!out.result) {
        log::warn("dropped a malformed RESULT");
        return;
    }
    const auto id = out.result->id;
    raw_result r{out.result->code, std::string{out.result->type}, std::move(*out.body),
                 std::string{out.served_by}};
    // The worker that ran it holds its callbacks now: told HOLDER_GONE if it goes.
    if (!r.served_by.empty()) {
        if (const auto* ids = calls_.callbacks_of(id))
            callbacks_.held_by(*ids, r.served_by);
    }
    if (calls_.on_result(id, std::move(r)))
        return;
    if (calls_.gave_up(id)) {
        // Its caller was told already (errc::timeout, here): once is enough.
        log::debug("a late RESULT for call {} ({}), which timed out here", id, to_string(r.code));
        return;
    }
    if (r.code != errc::ok) {
        // A cast's failure, or a call we stopped waiting for: still not silent.
        report_error(send_error{id, r.code, r.text()});
    }
}

// ---- callbacks made here ---------------------------------------------------------------

void worker_core::handle_invoked(proto::frames& f) {
    auto v = proto::parse_invoked(f);
    if (!v.callback) {
        log::warn("dropped a malformed INVOKED from {}", v.invoker);
        return;
    }
    const auto id = *v.callback;
    auto found = callbacks_.take_for_invoke(id, clock::now());
    if (auto* refused = std::get_if<errc>(&found)) {
        reject_to(v.invoker, v.seq, *refused,
                  *refused == errc::callback_expired
                      ? fmt::format("callback {} of {} has expired (or its call failed)", id, id_)
                      : fmt::format("callback {} of {} was already called or released", id, id_));
        return;
    }
    auto cb = std::move(std::get<0>(found));
    if (v.types != cb->types) {
        reject_to(v.invoker, v.seq, errc::bad_type,
                  fmt::format("callback {} of {} takes {}, not {}", id, id_, cb->types, v.types));
        return;
    }
    dispatcher_.post([this, cb = std::move(cb), args = std::move(*v.args),
                      invoker = std::string{v.invoker}, seq = v.seq] {
        try {
            cb->run(proto::bytes(args), link_);  // callbacks among its arguments call back here
        } catch (...) {
            auto why = describe_current_exception();
            log::warn("callback called by {} threw: {}", invoker, why);
            reject_to(invoker, seq, errc::handler_failed, "callback threw: " + why);
        }
    });
}

void worker_core::handle_released(proto::frames& f) {
    if (auto id = proto::parse_released(f).callback)
        callbacks_.release(*id);
}

void worker_core::handle_holder_gone(proto::frames& f) {
    const std::string holder{proto::parse_holder_gone(f)};
    if (auto n = callbacks_.holder_gone(holder); n > 0)
        log::debug("{} callback(s) held by {} freed: it is gone", n, holder);
}

}  // namespace mob::detail
