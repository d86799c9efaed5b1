// mob::detail::mpsc_queue<T>: an intrusive, lock-free queue that many threads push to and
// one thread (the worker's I/O thread) pops from, after Dmitry Vyukov's "intrusive MPSC
// node-based queue". A push is one atomic exchange and one store, whatever the number of
// producers, and never waits for another producer or for the consumer: that is what lets
// every thread hand calls and replies to the I/O thread without a lock.
//
// The list runs from tail_ (the oldest node, popped by the consumer) to head_ (the newest,
// swapped in by producers). A stub node keeps it from ever being empty, so a push never
// has to touch tail_. A producer links its node in two steps (swap head_, then set the old
// head's next); between the two the queue looks empty to the consumer from that node on:
// pop() then returns nothing, and the caller tries again (the outbox counts its items, so
// it knows that one is on its way).
#pragma once

#include <atomic>
#include <memory>

namespace mob::detail {

/// The link a queued object carries (derive from it).
struct mpsc_node {
    std::atomic<mpsc_node*> next{nullptr};
};

/// T derives from mpsc_node. The queue owns what is pushed until it is popped; nodes left
/// in it are deleted with it.
template <typename T>
class mpsc_queue {
  public:
    mpsc_queue() : head_(&stub_), tail_(&stub_) {}
    ~mpsc_queue() {
        while (auto n = pop()) {
        }
    }
    mpsc_queue(const mpsc_queue&) = delete;
    mpsc_queue& operator=(const mpsc_queue&) = delete;

    /// Any thread.
    void push(std::unique_ptr<T> item) noexcept { link(item.release()); }

    /// The consumer thread only. Null when empty, or when the next node's producer has
    /// not finished linking it yet.
    std::unique_ptr<T> pop() noexcept {
        mpsc_node* tail = tail_;
        mpsc_node* next = tail->next.load(std::memory_order_acquire);
        if (tail == &stub_) {  // skip the stub
            if (next == nullptr)
                return nullptr;
            tail_ = next;
            tail = next;
            next = next->next.load(std::memory_order_acquire);
        }
        if (next != nullptr) {
            tail_ = next;
            return own(tail);
        }
        // `tail` is the last linked node: pop it only if no producer is behind it, after
        // putting the stub back at the end so the list stays non-empty.
        if (tail != head_.load(std::memory_order_acquire))
            return nullptr;  // a producer swapped head_ but has not linked yet
        link(&stub_);
        next = tail->next.load(std::memory_order_acquire);
        if (next != nullptr) {
            tail_ = next;
            return own(tail);
        }
        return nullptr;  // another producer came in between: its node is next time's
    }

  private:
    void link(mpsc_node* n) noexcept {
        n->next.store(nullptr, std::memory_order_relaxed);
        // acq_rel: the node's contents are published to the consumer by the release of
        // the store below; the acquire orders it after the previous producer's link.
        mpsc_node* prev = head_.exchange(n, std::memory_order_acq_rel);
        prev->next.store(n, std::memory_order_release);
    }
    static std::unique_ptr<T> own(mpsc_node* n) noexcept {
        return std::unique_ptr<T>{static_cast<T*>(n)};
    }

    std::atomic<mpsc_node*> head_;  // producers
    mpsc_node* tail_;               // consumer only
    mpsc_node stub_;
};

}  // namespace mob::detail
