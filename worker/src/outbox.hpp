// The worker's outbox: how any thread hands work to the I/O thread without a lock. A
// lock-free MPSC queue (mpsc_queue.hpp), an eventfd that wakes the I/O thread when it
// sleeps, and one atomic word that holds both the count of what is queued (bounded by
// worker_options::max_outgoing) and whether the outbox is closed: a push is one atomic
// add on it (plus the queue's exchange), and after close() no push can succeed, while
// every one accepted before stays counted until it is taken, so the I/O thread (or the
// destructor) can take them all out and fail the calls among them: a call never hangs.
//
// The sleep protocol (Dekker's, on sequentially consistent atomics): a producer counts
// its item, links it, then wakes the consumer if it says it sleeps; the consumer says it
// sleeps, then looks at the count once more before it polls. One of the two always sees
// the other, so a wake-up is never lost, and a busy I/O thread costs producers no
// system call.
#pragma once

#include "mpsc_queue.hpp"
#include "work.hpp"

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>

namespace mob::detail {

class outbox {
  public:
    /// `max_items` bounds what may wait in it at once.
    explicit outbox(std::size_t max_items);
    ~outbox();
    outbox(const outbox&) = delete;
    outbox& operator=(const outbox&) = delete;

    enum class push_result { queued, full, closed };
    /// Any thread. On anything but `queued`, `w` is left with the caller.
    push_result push(std::unique_ptr<work>& w);

    /// The consumer. The oldest item, or null (also while a producer is linking one:
    /// has_work() then still says so).
    std::unique_ptr<work> take();
    bool has_work() const noexcept { return (state_.load() & count_mask) != 0; }

    /// Makes every later push fail (closed). What was accepted before is still counted
    /// (has_work()) until taken, even if its producer is still linking it.
    void close() noexcept { state_.fetch_or(closed_bit); }
    bool closed() const noexcept { return (state_.load() & closed_bit) != 0; }
    std::size_t max_items() const noexcept { return max_items_; }

    // The consumer's sleep (see above).
    int wake_fd() const noexcept { return wake_fd_; }
    void set_sleeping(bool sleeping) noexcept { sleeping_.store(sleeping); }
    bool sleeping() const noexcept { return sleeping_.load(); }
    /// Wakes the consumer if it sleeps (any thread).
    void wake() noexcept;

  private:
    static constexpr std::uint64_t closed_bit = std::uint64_t{1} << 63;
    static constexpr std::uint64_t count_mask = closed_bit - 1;

    mpsc_queue<work> queue_;
    const std::size_t max_items_;
    std::atomic<std::uint64_t> state_{0};  ///< closed_bit | items pushed and not taken
    std::atomic<bool> sleeping_{true};
    int wake_fd_ = -1;
};

}  // namespace mob::detail
