// A queue of keys in least-recently-used order: the front is the one used longest
// ago. Every operation is O(1); the broker keeps one per role to pick the worker for
// any() messages.
#pragma once

#include <cstddef>
#include <list>
#include <optional>
#include <unordered_map>

namespace mob::detail {

template <typename Key, typename Hash = std::hash<Key>>
class lru_queue {
  public:
    /// Adds `key` as the most recently used, or makes it so if already queued.
    void push_back(const Key& key) {
        if (auto it = index_.find(key); it != index_.end()) {
            order_.splice(order_.end(), order_, it->second);
            return;
        }
        order_.push_back(key);
        index_.emplace(key, std::prev(order_.end()));
    }

    /// The least recently used key, now made the most recently used.
    std::optional<Key> use_front() {
        if (order_.empty())
            return std::nullopt;
        order_.splice(order_.end(), order_, order_.begin());
        return order_.back();
    }

    /// The most recently used key, left where it is.
    std::optional<Key> back() const {
        if (order_.empty())
            return std::nullopt;
        return order_.back();
    }

    /// Removes and returns the least recently used key.
    std::optional<Key> pop_front() {
        if (order_.empty())
            return std::nullopt;
        Key k = std::move(order_.front());
        index_.erase(k);
        order_.pop_front();
        return k;
    }

    bool remove(const Key& key) {
        auto it = index_.find(key);
        if (it == index_.end())
            return false;
        order_.erase(it->second);
        index_.erase(it);
        return true;
    }

    bool contains(const Key& key) const { return index_.count(key) != 0; }
    std::size_t size() const { return order_.size(); }
    bool empty() const { return order_.empty(); }
    const std::list<Key>& in_order() const { return order_; }

  private:
    std::list<Key> order_;
    std::unordered_map<Key, typename std::list<Key>::iterator, Hash> index_;
};

}  // namespace mob::detail
