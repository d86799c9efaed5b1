// The worker's outbox: how any thread hands work to the I/O thread without a lock. A
// lock-free MPSC queue (mpsc_queue.hpp), an eventfd that wakes the I/O thread when it
// sleeps, a count of what is queued (the bound of worker_options::max_outgoing), and the
// shutdown handshake: close() makes every later push fail and waits for the pushes in
// progress, so that after it the I/O thread (or the destructor) sees every item that
// was ever accepted, and fails the calls among them: a call never hangs.
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
#include <memory>

namespace mob::detail {

class outbox {
  public:
    /// `max_items` bounds what goes on the wire (work::bounded()).
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
    bool has_work() const noexcept { return queued_.load() != 0; }

    /// Makes every later push fail (closed); returns when no push is in progress.
    void close();
    bool closed() const noexcept { return closed_.load(); }
    std::size_t max_items() const noexcept { return max_items_; }

    // The consumer's sleep (see above).
    int wake_fd() const noexcept { return wake_fd_; }
    void set_sleeping(bool sleeping) noexcept { sleeping_.store(sleeping); }
    /// Wakes the consumer if it sleeps (any thread).
    void wake() noexcept;

  private:
    mpsc_queue<work> queue_;
    const std::size_t max_items_;
    std::atomic<std::size_t> queued_{0};   ///< items pushed and not taken
    std::atomic<std::size_t> bounded_{0};  ///< of which bounded
    std::atomic<std::size_t> pushing_{0};  ///< pushes in progress
    std::atomic<bool> closed_{false};
    std::atomic<bool> sleeping_{true};
    int wake_fd_ = -1;
};

}  // namespace mob::detail
