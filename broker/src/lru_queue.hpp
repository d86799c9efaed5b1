// A queue of keys in least-recently-used order: the front is the one used longest
// ago. Every operation is O(1); the broker keeps one per role to pick the worker for
// any() messages, and two per role for calls (idle workers, and busy ones with credit).
//
// A key removed keeps its list node and its index entry for a while, parked on a list of
// its own: the call dispatcher takes a worker out of its queue when its credit runs out
// and puts it back when a reply returns one, once per call at full load, and a node
// allocated and freed each time (two, with the index's) would cost more than the rest of
// the move. The parked keys are bounded (max_parked, plus one per queued key), the
// oldest forgotten first, so workers gone for good are not remembered forever.
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
            auto& from = it->second.queued ? order_ : parked_;
            order_.splice(order_.end(), from, it->second.node);
            it->second.queued = true;
            return;
        }
        order_.push_back(key);
        index_.emplace(key, slot{std::prev(order_.end()), true});
    }

    /// The least recently used key, now made the most recently used.
    std::optional<Key> use_front() {
        if (order_.empty())
            return std::nullopt;
        order_.splice(order_.end(), order_, order_.begin());
        return order_.back();
    }

    /// The least recently used key, left where it is.
    std::optional<Key> front() const {
        if (order_.empty())
            return std::nullopt;
        return order_.front();
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
        Key k = order_.front();
        park(index_.find(k));
        return k;
    }

    bool remove(const Key& key) {
        auto it = index_.find(key);
        if (it == index_.end() || !it->second.queued)
            return false;
        park(it);
        return true;
    }

    bool contains(const Key& key) const {
        auto it = index_.find(key);
        return it != index_.end() && it->second.queued;
    }
    std::size_t size() const { return order_.size(); }
    bool empty() const { return order_.empty(); }
    const std::list<Key>& in_order() const { return order_; }

    /// Keys known, queued or parked (to test that the parked ones stay bounded).
    std::size_t remembered() const { return index_.size(); }
    static constexpr std::size_t max_parked = 64;

  private:
    struct slot {
        typename std::list<Key>::iterator node;
        bool queued;  ///< in order_; else parked in parked_
    };

    void park(typename std::unordered_map<Key, slot, Hash>::iterator it) {
        parked_.splice(parked_.end(), order_, it->second.node);
        it->second.queued = false;
        if (parked_.size() > max_parked + order_.size()) {
            index_.erase(parked_.front());
            parked_.pop_front();
        }
    }

    std::list<Key> order_;
    std::list<Key> parked_;  ///< removed lately, oldest first: their nodes kept for reuse
    std::unordered_map<Key, slot, Hash> index_;
};

}  // namespace mob::detail
