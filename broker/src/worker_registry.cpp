#include "worker_registry.hpp"

#include "config.hpp"
#include "mob/log.hpp"

#include <algorithm>

namespace mob::detail {
namespace proto = mob::protocol;

std::string_view to_string(worker_state s) noexcept {
    // Status readers know three states: an exited worker is still finishing, "stopping".
    constexpr std::string_view names[] = {"connected", "ready", "stopping", "stopping"};
    return names[static_cast<std::size_t>(s)];
}

worker_registry::worker_registry(outbox& out, const role_table& roles, const kingpin_config& config,
                                 clock::time_point now)
    : out_(out),
      roles_(roles),
      config_(config),
      counts_(roles.size()),
      next_heartbeat_(now + config.heartbeat) {}

worker_entry* worker_registry::find(std::string_view id) noexcept {
    auto it = by_id_.find(id);
    return it == by_id_.end() ? nullptr : it->second;
}

const worker_entry* worker_registry::find(std::string_view id) const noexcept {
    auto it = by_id_.find(id);
    return it == by_id_.end() ? nullptr : it->second;
}

worker_entry* worker_registry::find(worker_handle h) noexcept {
    auto it = by_handle_.find(h);
    return it == by_handle_.end() ? nullptr : &it->second;
}

const worker_entry* worker_registry::find(worker_handle h) const noexcept {
    auto it = by_handle_.find(h);
    return it == by_handle_.end() ? nullptr : &it->second;
}

worker_entry& worker_registry::add(std::string id, role_index role, const proto::hello& h,
                                   bool local_child, clock::time_point now) {
    const auto handle = next_handle_++;
    auto& w = by_handle_[handle];
    w.handle = handle;
    w.id = std::move(id);
    w.role = role;
    w.role_name = h.role;
    w.pid = h.pid;
    w.host = h.host;
    w.local_child = local_child;
    w.joined = w.last_heard = now;
    by_id_.emplace(w.id, &w);
    by_pid_.emplace(w.pid, handle);
    if (!local_child)
        ++counts_[role].joined;
    return w;
}

void worker_registry::leave_state(worker_entry& w) {
    if (w.state == worker_state::ready)
        --counts_[w.role].ready;
    if (w.state == worker_state::exited)
        --exited_;
}

worker_entry worker_registry::erase(worker_handle h) {
    auto it = by_handle_.find(h);
    auto w = std::move(it->second);
    by_handle_.erase(it);
    leave_state(w);
    owed_total_ -= w.owed.size();  // what it was owed goes with it
    if (!w.local_child)
        --counts_[w.role].joined;
    by_id_.erase(w.id);
    auto [b, e] = by_pid_.equal_range(w.pid);
    for (auto p = b; p != e; ++p) {
        if (p->second == h) {
            by_pid_.erase(p);
            break;
        }
    }
    return w;
}

void worker_registry::set_ready(worker_entry& w) {
    if (w.state != worker_state::connected)
        return;
    w.state = worker_state::ready;
    ++counts_[w.role].ready;
}

void worker_registry::set_stopping(worker_entry& w) {
    if (w.state == worker_state::stopping || w.state == worker_state::exited)
        return;
    leave_state(w);
    w.state = worker_state::stopping;
}

void worker_registry::set_exited(worker_entry& w, clock::time_point deadline) {
    if (w.state == worker_state::exited)
        return;
    leave_state(w);
    w.state = worker_state::exited;
    w.exit_deadline = deadline;
    ++exited_;
}

void worker_registry::mark_gone(worker_entry& w, std::string_view why) {
    if (!w.gone.empty())
        return;
    w.gone = why;
    gone_.push_back(w.handle);
}

std::vector<worker_handle> worker_registry::take_gone() {
    return std::exchange(gone_, {});
}

send_result worker_registry::send(worker_entry& w, frames& body) {
    auto r = out_.send(w.id, body);
    if (r == send_result::unreachable)
        mark_gone(w, "unreachable");
    return r;
}

send_result worker_registry::send_signal(worker_entry& w, proto::command c) {
    auto f = proto::make_signal(c);
    return send(w, f);
}

send_result worker_registry::send_error(worker_entry& w, std::uint64_t seq, errc code,
                                        std::string text) {
    auto f = proto::make_error(seq, proto::error_body{code, std::move(text)});
    auto r = send_fate(w, f, last_tick_);
    if (r != send_result::unreachable)
        ++out_.stats().errors_sent;
    return r;
}

send_result worker_registry::send_failed_result(worker_entry& w, std::uint64_t call_id, errc code,
                                                std::string_view text) {
    auto f = proto::make_failed_result(call_id, code, text);
    auto r = send_fate(w, f, last_tick_);
    if (r != send_result::unreachable)
        ++out_.stats().errors_sent;
    return r;
}

void worker_registry::refuse(worker_entry& w, const proto::parse_failure& f, answer with) {
    // The log line names the reason already: a text's "CALL: " (its command) is left out.
    std::string_view detail = f.text;
    const auto colon = detail.find(": ");
    if (colon != std::string_view::npos &&
        std::all_of(detail.begin(), detail.begin() + static_cast<std::ptrdiff_t>(colon),
                    [](char ch) { return ch >= 'A' && ch <= 'Z'; }))
        detail.remove_prefix(colon + 2);
    out_.drop(w.id, f.reason, detail);
    if (with == answer::error)
        send_error(w, f.id, errc::bad_frame, f.text);
    else
        send_failed_result(w, f.id, errc::bad_frame, f.text);
}

void worker_registry::tick(clock::time_point now, bool drained) {
    if (last_tick_ != clock::time_point{} && now - last_tick_ > config_.heartbeat * 2) {
        // The kingpin itself did not run (stopped, starved): its workers' silence is its
        // own doing, so it gives them a fresh start rather than forgetting them all.
        log::warn("the kingpin was stalled for {} ms",
                  std::chrono::duration_cast<std::chrono::milliseconds>(now - last_tick_).count());
        for (auto& [h, w] : by_handle_)
            w.last_heard = now;
    }
    last_tick_ = now;
    if (exited_ != 0) {
        for (auto& [h, w] : by_handle_) {
            if (w.state == worker_state::exited && w.exit_deadline <= now)
                mark_gone(w, "process exited");
        }
    }
    if (now < next_heartbeat_)
        return;
    next_heartbeat_ = now + config_.heartbeat;
    const auto silence = config_.heartbeat * config_.liveness;
    for (auto& [h, w] : by_handle_) {
        if (!w.alive())
            continue;
        // Judge silence only with every waiting message read: a backlog is not silence.
        if (drained && now - w.last_heard > silence)
            mark_gone(w, "missed heartbeats");
        else
            send_signal(w, proto::command::heartbeat);
    }
}

clock::time_point worker_registry::next_deadline() const noexcept {
    auto next = std::min(next_heartbeat_, next_flush_);
    if (exited_ != 0) {
        for (const auto& [h, w] : by_handle_) {
            if (w.state == worker_state::exited)
                next = std::min(next, w.exit_deadline);
        }
    }
    return next;
}

bool worker_registry::role_full(std::string_view role) const noexcept {
    auto r = roles_.find(role);
    return r && counts_[*r].ready >= roles_[*r].target;
}

bool worker_registry::all_full() const noexcept {
    for (std::size_t i = 0; i < counts_.size(); ++i) {
        if (counts_[i].ready < roles_[static_cast<role_index>(i)].target)
            return false;
    }
    return true;
}

void worker_registry::describe(control::app_status& s, clock::time_point now) const {
    auto seconds_since = [&](clock::time_point t) {
        return std::chrono::duration<double>(now - t).count();
    };
    for (std::size_t i = 0; i < counts_.size() && i < s.roles.size(); ++i) {
        s.roles[i].ready = counts_[i].ready;
        s.roles[i].joined = counts_[i].joined;
    }
    // In the order they joined (handles grow), so status reads the same from call to call.
    std::vector<const worker_entry*> in_order;
    in_order.reserve(by_handle_.size());
    for (const auto& [h, w] : by_handle_)
        in_order.push_back(&w);
    std::sort(in_order.begin(), in_order.end(),
              [](const worker_entry* a, const worker_entry* b) { return a->handle < b->handle; });
    for (const auto* entry : in_order) {
        const auto& w = *entry;
        auto& ws = s.workers.emplace_back();
        ws.id = w.id;
        ws.pid = w.pid;
        ws.host = w.host;
        ws.role = w.role_name;
        ws.state = std::string{to_string(w.state)};
        ws.local = w.local_child;
        ws.key = w.key;
        ws.uptime_s = seconds_since(w.joined);
        ws.credit = w.credit;
        ws.received = w.received;
        ws.in_flight = w.in_flight;
        ws.served = w.served;
        ws.delivered = w.delivered;
        ws.last_heartbeat_s = seconds_since(w.last_heard);
        ws.owed = w.owed.size();
        ws.fates_lost = w.fates_lost;
    }
}

}  // namespace mob::detail
