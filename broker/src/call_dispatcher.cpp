#include "call_dispatcher.hpp"

#include "config.hpp"
#include "mob/log.hpp"

#include <fmt/format.h>

#include <sched.h>

#include <algorithm>
#include <random>
#include <thread>
#include <tuple>

namespace mob::detail {
namespace proto = mob::protocol;

namespace {
std::uint64_t random_ticket_start() {
    std::random_device rd;
    return (std::uint64_t{rd()} << 32) | rd();
}

/// The CPUs this process may run on (its affinity mask: taskset, cpusets).
std::uint32_t usable_cpus() {
    cpu_set_t set;
    if (sched_getaffinity(0, sizeof set, &set) == 0)
        return static_cast<std::uint32_t>(std::max(1, CPU_COUNT(&set)));
    return std::max(1u, std::thread::hardware_concurrency());
}

zmq::message_t shared(zmq::message_t& m) {
    zmq::message_t c;
    c.copy(m);  // shares the buffer of large messages
    return c;
}
}  // namespace

call_dispatcher::call_dispatcher(worker_registry& workers, outbox& out, const role_table& roles,
                                 const kingpin_config& config)
    : workers_(workers),
      out_(out),
      roles_(roles),
      config_(config),
      by_role_(roles.size()),
      spread_(config.dispatch.spread_workers != 0 ? config.dispatch.spread_workers : usable_cpus()),
      next_ticket_(random_ticket_start()) {}

void call_dispatcher::fail(role_calls& r, const held_call& call, errc code, std::string_view text) {
    ++r.failed;
    if (auto* caller = workers_.find_alive(call.caller))
        workers_.send_failed_result(*caller, call.call_id, code, text);
}

void call_dispatcher::on_call(worker_entry& from, std::span<zmq::message_t> msg,
                              clock::time_point now) {
    now_ = now;
    auto call = proto::parse_call(msg);
    if (!call) {
        workers_.refuse(from, call.failure(), worker_registry::answer::result);
        return;
    }
    auto& head = call->head;
    auto role = roles_.find(head.role());
    if (!role) {
        workers_.send_failed_result(from, head.id(), errc::unknown_role,
                                    fmt::format("{}.{}: app '{}' has no role '{}'", head.role(),
                                                head.method(), config_.app, head.role()));
        return;
    }
    if (stopping_) {
        workers_.send_failed_result(
            from, head.id(), errc::shutting_down,
            fmt::format("{}.{}: the kingpin is stopping", head.role(), head.method()));
        return;
    }
    auto& r = by_role_[*role];
    // The role's exports are known once one of its workers is ready; before that the
    // call waits, and the worker that takes it answers for an unknown method.
    if (workers_.ready_count(*role) != 0 && r.exports.find(head.method()) == r.exports.end()) {
        ++r.failed;
        std::string names;
        for (const auto& e : r.exports)
            names += (names.empty() ? "" : ", ") + e;
        workers_.send_failed_result(
            from, head.id(), errc::unknown_method,
            fmt::format("role '{}' has no method '{}' (it exports: {})", head.role(), head.method(),
                        names.empty() ? "nothing" : names));
        return;
    }
    const auto options = head.options();
    const auto timeout = options.timeout_ms > 0 ? std::chrono::milliseconds{options.timeout_ms}
                                                : config_.queue_timeout;
    held_call c{from.handle, head.id(), std::move(head), std::move(call->args), options.flags};
    if (r.waiting.empty() && has_free(r) && dispatch(*role, c, now + timeout))
        return;
    if (r.waiting.size() >= config_.max_queued_per_role) {
        fail(r, c, errc::queue_full,
             fmt::format("{}.{}: {} calls already wait for a worker of role '{}'",
                         roles_[*role].name(), c.method(), r.waiting.size(), roles_[*role].name()));
        return;
    }
    r.waiting.insert(next_back_++, std::move(c), now + timeout);
}

bool call_dispatcher::dispatch(role_index role, held_call& call, clock::time_point deadline) {
    auto& r = by_role_[role];
    auto* timing = has_free(r) ? timing_of(r, call.method()) : nullptr;
    while (has_free(r)) {
        const auto next = next_free(role, r, timing);
        if (!next)
            return false;  // a slow call: it waits for a worker to answer one
        const auto h = *next;
        auto* w = workers_.find(h);
        if (w == nullptr || !w->routable()) {
            drop_free(r, h);
            continue;
        }
        const auto ticket = next_ticket_;
        call.head.set_id(ticket);
        const bool keep = call.retryable();
        // A call that may run again keeps its frames: the REQUEST gets a head of its own
        // (the next REQUEST's ticket is patched into the kept one) and shares the args.
        // Any other gives its args away and shares its head, kept for error texts.
        auto out =
            keep ? proto::make_request(std::move(call.head.clone().frame()), shared(call.args))
                 : proto::make_request(shared(call.head.frame()), std::move(call.args));
        auto sent = workers_.send(*w, out);
        if (sent != send_result::sent && !keep)
            call.args = std::move(proto::parse_request(out)->args);  // not taken: still ours
        if (sent == send_result::unreachable) {
            drop_free(r, h);  // forgotten once this message is done
            continue;
        }
        if (sent == send_result::full)
            return false;  // try again on the next tick
        ++next_ticket_;
        ++r.routed;
        ++out_.stats().routed;
        // The caller knows who served it (report server): it may have handed that
        // worker callbacks, and hears HOLDER_GONE when the worker goes.
        if (call.has(proto::call_report_server))
            w->callback_origins.insert(call.caller);
        const bool behind = w->in_flight > 0;
        r.idle.remove(h);
        if (++w->in_flight >= w->credit)
            r.warm.remove(h);
        else
            r.warm.push_back(h);
        in_flight_.insert(ticket,
                          in_flight_call{h, role, deadline, now_, behind, timing, std::move(call)});
        return true;
    }
    return false;
}

void call_dispatcher::dispatch_waiting(role_index role) {
    auto& r = by_role_[role];
    while (!r.waiting.empty() && has_free(r)) {
        const auto id = *r.waiting.first_id();
        auto* call = r.waiting.find(id);
        if (workers_.find_alive(call->caller) == nullptr) {
            r.waiting.take(id);  // its caller is gone (forgotten once this message is done)
            continue;
        }
        if (!dispatch(role, *call, *r.waiting.deadline_of(id)))
            return;
        r.waiting.take(id);  // what is left of it: the call itself is in flight
    }
}

void call_dispatcher::on_reply(worker_entry& from, std::span<zmq::message_t> msg,
                               clock::time_point now) {
    now_ = now;
    auto reply = proto::parse_reply(msg);
    auto held = reply.id ? in_flight_.take(*reply.id) : std::nullopt;
    if (held && held->worker != from.handle) {
        in_flight_.insert(*reply.id, std::move(*held));  // another worker's call
        held.reset();
    }
    if (!held) {
        if (reply.result)
            out_.drop(from.id, "stray_reply", "a REPLY for no call in flight at this worker");
        else
            out_.drop(from.id, "bad_reply", "REPLY outcome frame shorter than 10 bytes");
        return;
    }
    auto& entry = *held;
    auto& r = by_role_[entry.role];
    auto& call = entry.call;
    --from.in_flight;
    ++from.served;
    // A call that waited behind others at the worker took it from the one before.
    if (entry.behind && entry.timing != nullptr)
        entry.timing->add(now - std::max(entry.sent, from.last_reply));
    from.last_reply = now;
    if (from.routable() && from.in_flight == 0) {
        r.warm.remove(from.handle);
        r.idle.push_back(from.handle);
    } else if (from.routable() && from.in_flight < from.credit) {
        r.warm.push_back(from.handle);  // awake: it is reading its pipe
    }
    errc code = errc::bad_frame;
    frames out;
    if (reply.result) {
        code = reply.result->code;
        // A caller that asked is told which worker served it (the RESULT's third frame).
        out = call.has(proto::call_report_server)
                  ? proto::result_from_reply(reply, call.call_id, from.id)
                  : proto::result_from_reply(reply, call.call_id);
    } else {
        // The caller must not wait for a result it cannot read.
        out_.drop(from.id, "bad_reply", "REPLY outcome frame shorter than 10 bytes");
        out = proto::make_failed_result(call.call_id, code,
                                        fmt::format("{}.{}: the worker {} sent a malformed reply",
                                                    from.role_name, call.method(), from.id));
    }
    if (code != errc::ok)
        ++r.failed;
    if (!call.has(proto::call_oneway) || code != errc::ok) {
        if (auto* caller = workers_.find_alive(call.caller))
            workers_.send_fate(*caller, out);
    }
    dispatch_waiting(entry.role);
}

void call_dispatcher::worker_ready(worker_entry& w) {
    auto& r = by_role_[w.role];
    // A READY again updates credit and exports.
    drop_free(r, w.handle);
    if (w.in_flight == 0 && w.credit > 0)
        r.idle.push_back(w.handle);
    else if (w.in_flight < w.credit)
        r.warm.push_back(w.handle);
}

void call_dispatcher::unroute(const worker_entry& w) {
    drop_free(by_role_[w.role], w.handle);
}

void call_dispatcher::worker_gone(const worker_entry& w) {
    unroute(w);
    in_flight_.take_if(
        [&](std::uint64_t, const in_flight_call& c) { return c.worker == w.handle; },
        [&](std::uint64_t, in_flight_call&& c) {
            auto& r = by_role_[c.role];
            const auto& role = roles_[c.role].name();
            if (stopping_) {
                // No worker takes anything new now: a re-run would only wait to be failed.
                fail(r, c.call, errc::shutting_down,
                     fmt::format("{}.{}: the kingpin is stopping and worker {} ended before it "
                                 "answered",
                                 role, c.call.method(), w.id));
                return;
            }
            if (c.call.retryable() && workers_.find_alive(c.call.caller) != nullptr) {
                log::info("{}.{} from {} was in flight at {}: running it again elsewhere", role,
                          c.call.method(), workers_.find(c.call.caller)->id, w.id);
                c.call.retried = true;
                // Before every other waiting call, with its own deadline still.
                r.waiting.insert(next_front_--, std::move(c.call), c.deadline);
                return;
            }
            fail(r, c.call, errc::worker_died,
                 fmt::format("{}.{}: worker {} died with the call in flight", role, c.call.method(),
                             w.id));
        });
    for (auto& r : by_role_) {
        r.waiting.take_if([&](std::uint64_t, const held_call& c) { return c.caller == w.handle; },
                          [](std::uint64_t, held_call&&) {});
    }
}

void call_dispatcher::refresh_exports(role_index role) {
    auto& exports = by_role_[role].exports;
    exports.clear();
    workers_.for_each([&](const worker_entry& w) {
        if (w.role == role && w.routable())
            exports.insert(w.exports.begin(), w.exports.end());
    });
}

void call_dispatcher::tick(clock::time_point now) {
    now_ = now;
    for (role_index i = 0; i < by_role_.size(); ++i) {
        auto& r = by_role_[i];
        dispatch_waiting(i);  // in case a full pipe held some back
        r.waiting.expire(now, [&](std::uint64_t, held_call&& c) {
            fail(r, c, errc::timeout,
                 fmt::format("{}.{}: no worker of role '{}' was free before the call's timeout",
                             roles_[i].name(), c.method(), roles_[i].name()));
        });
    }
}

clock::time_point call_dispatcher::next_deadline() const noexcept {
    auto next = clock::time_point::max();
    for (const auto& r : by_role_)
        next = std::min(next, r.waiting.next_deadline());
    return next;
}

void call_dispatcher::fail_waiting(std::string_view why) {
    for (role_index i = 0; i < by_role_.size(); ++i) {
        by_role_[i].waiting.fail_all([&](std::uint64_t, held_call&& c) {
            if (auto* caller = workers_.find_alive(c.caller)) {
                workers_.send_failed_result(
                    *caller, c.call_id, errc::shutting_down,
                    fmt::format("{}.{}: the kingpin {}", roles_[i].name(), c.method(), why));
            }
        });
    }
}

void call_dispatcher::stop() {
    stopping_ = true;
    fail_waiting("is stopping");
}

void call_dispatcher::shutdown() {
    stopping_ = true;
    fail_waiting("stopped");
    in_flight_.fail_all([&](std::uint64_t, in_flight_call&& c) {
        auto* caller = workers_.find_alive(c.call.caller);
        const auto* at = workers_.find(c.worker);
        if (caller == nullptr || at == nullptr)
            return;
        workers_.send_failed_result(
            *caller, c.call.call_id, errc::shutting_down,
            fmt::format("{}.{}: the kingpin stopped before worker {} answered",
                        roles_[c.role].name(), c.call.method(), at->id));
    });
}

void call_dispatcher::describe(control::app_status& s) const {
    describe_roles(s, by_role_, [](control::role_status& line, const role_calls& r) {
        std::tie(line.queued_calls, line.calls_routed, line.calls_failed) =
            std::tuple{r.waiting.size(), r.routed, r.failed};
        for (const auto& [method, timing] : r.timing) {
            auto& m = line.methods.emplace_back();
            m.method = method;
            if (const auto mean = timing.mean())
                m.call_time_us = std::chrono::duration<double, std::micro>(*mean).count();
            m.fast = timing.fast();
        }
        std::sort(line.methods.begin(), line.methods.end(),
                  [](const control::method_timing& a, const control::method_timing& b) {
                      return a.method < b.method;
                  });
    });
}

}  // namespace mob::detail
