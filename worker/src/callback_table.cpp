#include "callback_table.hpp"

namespace mob::detail {

void callback_table::add(std::uint64_t id, std::shared_ptr<callback_local> cb,
                         time_point deadline) {
    table_.insert(id, std::move(cb), deadline);
}

std::variant<std::shared_ptr<callback_local>, errc> callback_table::take_for_invoke(
    std::uint64_t id, time_point now) {
    auto deadline = table_.deadline_of(id);
    auto cb = table_.take(id);
    if (!cb)
        return expired_.count(id) != 0 ? errc::callback_expired : errc::callback_used;
    outstanding_.fetch_sub(1);
    gone(id);
    if (*deadline <= now) {
        remember_expired(id);
        return errc::callback_expired;
    }
    return std::move(*cb);
}

void callback_table::release(std::uint64_t id) {
    if (table_.take(id)) {
        outstanding_.fetch_sub(1);
        gone(id);
    }
}

void callback_table::forget(const std::vector<std::uint64_t>& ids) {
    for (auto id : ids) {
        if (table_.take(id)) {
            outstanding_.fetch_sub(1);
            remember_expired(id);
            gone(id);
        }
    }
}

void callback_table::held_by(const std::vector<std::uint64_t>& ids, const std::string& holder) {
    for (auto id : ids) {
        if (table_.find(id) != nullptr)
            holders_[id] = holder;
    }
}

std::size_t callback_table::holder_gone(const std::string& holder) {
    std::vector<std::uint64_t> held;
    for (const auto& [id, h] : holders_) {
        if (h == holder)
            held.push_back(id);
    }
    forget(held);
    return held.size();
}

void callback_table::expire(time_point now) {
    table_.expire(now, [&](std::uint64_t id, std::shared_ptr<callback_local>&&) {
        outstanding_.fetch_sub(1);
        remember_expired(id);
        gone(id);
    });
}

void callback_table::remember_expired(std::uint64_t id) {
    // Bounded: enough to tell "expired" from "already called" for recent callbacks.
    expired_.insert(id);
    expired_order_.push_back(id);
    if (expired_order_.size() > remembered) {
        expired_.erase(expired_order_.front());
        expired_order_.pop_front();
    }
}

}  // namespace mob::detail
