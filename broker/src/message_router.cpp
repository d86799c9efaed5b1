#include "message_router.hpp"

#include "config.hpp"

#include <fmt/format.h>

#include <tuple>

#include <string>

namespace mob::detail {
namespace proto = mob::protocol;

message_router::message_router(worker_registry& workers, outbox& out, const role_table& roles,
                               const kingpin_config& config)
    : workers_(workers), out_(out), roles_(roles), config_(config), by_role_(roles.size()) {}

void message_router::on_send(worker_entry& from, const zmq::message_t& from_frame,
                             std::span<zmq::message_t> msg, clock::time_point now) {
    auto send = proto::parse_send(msg);
    if (!send) {
        workers_.refuse(from, send.failure(), worker_registry::answer::error);
        return;
    }
    const auto seq = send->seq;
    if (stopping_) {
        workers_.send_error(from, seq, errc::shutting_down, "the kingpin is stopping");
        return;
    }
    const auto& to = send->to;
    switch (to.kind) {
        case proto::target_kind::all: {
            std::vector<worker_handle> ids;
            for (const auto& r : by_role_)
                ids.insert(ids.end(), r.ready.in_order().begin(), r.ready.in_order().end());
            if (ids.empty()) {
                workers_.send_error(from, seq, errc::no_ready_worker,
                                    fmt::format("app '{}' has no ready worker", config_.app));
                return;
            }
            deliver_to(from, from_frame, *send, ids);
            return;
        }
        case proto::target_kind::role: {
            auto role = roles_.find(to.value);
            if (!role) {
                workers_.send_error(
                    from, seq, errc::unknown_role,
                    fmt::format("app '{}' has no role '{}'", config_.app, to.value));
                return;
            }
            auto& r = by_role_[*role];
            if (r.ready.empty()) {
                ++r.failed;
                workers_.send_error(from, seq, errc::no_ready_worker,
                                    fmt::format("role '{}' has no ready worker", to.value));
                return;
            }
            const std::vector<worker_handle> ids{r.ready.in_order().begin(),
                                                 r.ready.in_order().end()};
            deliver_to(from, from_frame, *send, ids);
            return;
        }
        case proto::target_kind::any:
            send_any(from, from_frame, *send, now);
            return;
        case proto::target_kind::pid: {
            auto pid = std::stoll(to.value);
            const auto n = workers_.count_of_pid(pid);
            if (n == 0) {
                workers_.send_error(
                    from, seq, errc::unknown_pid,
                    fmt::format("no worker of app '{}' has pid {}", config_.app, pid));
            } else if (n > 1) {
                workers_.send_error(
                    from, seq, errc::ambiguous_pid,
                    fmt::format("{} workers have pid {} (on different hosts): send to an id", n,
                                pid));
            } else {
                worker_handle id = 0;
                workers_.for_each_of_pid(pid, [&](worker_entry& w) { id = w.handle; });
                deliver_to(from, from_frame, *send, std::span{&id, 1});
            }
            return;
        }
        case proto::target_kind::id: {
            auto* w = workers_.find(to.value);
            if (w == nullptr) {
                workers_.send_error(
                    from, seq, errc::unknown_worker,
                    fmt::format("no worker of app '{}' has id '{}'", config_.app, to.value));
                return;
            }
            const auto id = w->handle;
            deliver_to(from, from_frame, *send, std::span{&id, 1});
            return;
        }
    }
}

void message_router::deliver_to(worker_entry& from, const zmq::message_t& from_frame,
                                proto::send_view& send, std::span<const worker_handle> to) {
    for (auto h : to) {
        auto* w = workers_.find(h);
        if (w == nullptr)
            continue;
        auto out = proto::make_deliver(from_frame, send);
        auto r = workers_.send(*w, out);  // an unreachable one is forgotten after this SEND
        // Counted against the role of the worker that got it (or did not): a message to
        // every process, a role, a pid or an id is one message per recipient.
        auto& counts = by_role_[w->role];
        if (r == send_result::sent) {
            ++counts.routed;
            ++out_.stats().routed;
            ++w->delivered;
            continue;
        }
        ++counts.failed;
        workers_.send_error(
            from, send.seq, r == send_result::full ? errc::queue_full : errc::no_ready_worker,
            fmt::format("{} could not take a message for {}", w->id, send.to.describe()));
    }
}

void message_router::send_any(worker_entry& from, const zmq::message_t& from_frame,
                              proto::send_view& send, clock::time_point now) {
    auto role = roles_.find(send.to.value);
    if (!role) {
        workers_.send_error(from, send.seq, errc::unknown_role,
                            fmt::format("app '{}' has no role '{}'", config_.app, send.to.value));
        return;
    }
    auto& r = by_role_[*role];
    waiting m{proto::make_deliver(from_frame, send), from.handle, send.seq,
              now + config_.queue_timeout};
    if (!r.ready.empty() && r.queue.empty()) {
        route_to_one(*role, m);
        return;
    }
    if (r.queue.size() >= config_.max_queued_per_role) {
        ++r.failed;
        workers_.send_error(from, send.seq, errc::queue_full,
                            fmt::format("role '{}' has {} messages waiting for a ready worker",
                                        roles_[*role].name(), r.queue.size()));
        return;
    }
    r.queue.push_back(std::move(m));
    drain(*role);
}

void message_router::route_to_one(role_index role, waiting& m) {
    auto& r = by_role_[role];
    // Try ready workers in LRU order; one that cannot take it is skipped.
    for (std::size_t tries = r.ready.size(); tries > 0; --tries) {
        auto h = *r.ready.use_front();
        auto* w = workers_.find_alive(h);
        if (w == nullptr) {
            r.ready.remove(h);
            continue;
        }
        auto sent = workers_.send(*w, m.deliver);
        if (sent == send_result::sent) {
            ++r.routed;
            ++out_.stats().routed;
            ++w->delivered;
            return;
        }
        if (sent == send_result::unreachable)
            r.ready.remove(h);
    }
    ++r.failed;
    tell_sender(
        m.sender, m.seq, errc::queue_full,
        fmt::format("no ready worker of role '{}' could take the message", roles_[role].name()));
}

void message_router::drain(role_index role) {
    auto& r = by_role_[role];
    while (!r.queue.empty() && !r.ready.empty()) {
        auto m = std::move(r.queue.front());
        r.queue.pop_front();
        route_to_one(role, m);
    }
}

void message_router::tell_sender(worker_handle sender, std::uint64_t seq, errc code,
                                 std::string text) {
    if (auto* w = workers_.find_alive(sender))
        workers_.send_error(*w, seq, code, std::move(text));
}

void message_router::on_reject(std::span<zmq::message_t> msg) {
    auto reject = proto::parse_reject(msg);
    auto* to = workers_.find(reject.to);
    if (to == nullptr)
        return;  // the sender is gone: nobody to tell
    auto out = proto::make_error(reject.seq, std::move(*reject.error));
    if (workers_.send_fate(*to, out) != send_result::unreachable)
        ++out_.stats().errors_sent;
}

void message_router::add_ready(worker_entry& w) {
    by_role_[w.role].ready.push_back(w.handle);
}

void message_router::remove(const worker_entry& w) {
    by_role_[w.role].ready.remove(w.handle);
}

void message_router::tick(clock::time_point now) {
    for (role_index i = 0; i < by_role_.size(); ++i) {
        auto& r = by_role_[i];
        while (!r.queue.empty() && r.queue.front().deadline <= now) {
            auto m = std::move(r.queue.front());
            r.queue.pop_front();
            ++r.failed;
            tell_sender(m.sender, m.seq, errc::expired,
                        fmt::format("no worker of role '{}' was ready within {} ms",
                                    roles_[i].name(), config_.queue_timeout.count()));
        }
    }
}

clock::time_point message_router::next_deadline() const noexcept {
    auto next = clock::time_point::max();
    for (const auto& r : by_role_) {
        if (!r.queue.empty())
            next = std::min(next, r.queue.front().deadline);
    }
    return next;
}

void message_router::stop() {
    stopping_ = true;
    for (role_index i = 0; i < by_role_.size(); ++i) {
        auto& r = by_role_[i];
        for (auto& m : r.queue) {
            tell_sender(m.sender, m.seq, errc::shutting_down,
                        fmt::format("the kingpin is stopping; role '{}' had no ready worker",
                                    roles_[i].name()));
        }
        r.queue.clear();
    }
}

void message_router::describe(control::app_status& s) const {
    describe_roles(s, by_role_, [](control::role_status& line, const role_messages& r) {
        std::tie(line.queued_messages, line.messages_routed, line.messages_failed) =
            std::tuple{r.queue.size(), r.routed, r.failed};
    });
}

}  // namespace mob::detail
