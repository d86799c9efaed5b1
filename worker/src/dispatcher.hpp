// The worker's dispatcher: one thread that runs handlers in arrival order, so the
// I/O thread never waits on application code and handlers never race each other.
#pragma once

#include "unique_task.hpp"

#include <condition_variable>
#include <deque>
#include <mutex>
#include <thread>
#include <utility>

namespace mob::detail {

class dispatcher {
  public:
    dispatcher() : thread_([this] { run(); }) {}
    ~dispatcher() { stop(); }
    dispatcher(const dispatcher&) = delete;
    dispatcher& operator=(const dispatcher&) = delete;

    void post(unique_task task) {
        {
            std::lock_guard lock{mutex_};
            if (stopped_)
                return;
            tasks_.push_back(std::move(task));
        }
        cv_.notify_one();
    }

    /// Runs what is queued, then joins. Safe to call twice.
    void stop() {
        {
            std::lock_guard lock{mutex_};
            stopped_ = true;
        }
        cv_.notify_one();
        if (thread_.joinable() && thread_.get_id() != std::this_thread::get_id())
            thread_.join();
    }

    bool on_dispatcher_thread() const { return std::this_thread::get_id() == thread_.get_id(); }

  private:
    void run() {
        std::unique_lock lock{mutex_};
        for (;;) {
            cv_.wait(lock, [this] { return stopped_ || !tasks_.empty(); });
            if (tasks_.empty())
                return;  // stopped and drained
            // All that is queued at once: one lock per batch, not per task, while the
            // I/O thread goes on queueing the next (a busy worker's calls come in runs).
            std::swap(tasks_, running_);
            lock.unlock();
            while (!running_.empty()) {
                auto task = std::move(running_.front());
                running_.pop_front();
                task();
            }
            lock.lock();
        }
    }

    std::mutex mutex_;
    std::condition_variable cv_;
    std::deque<unique_task> tasks_;
    std::deque<unique_task> running_;  ///< the batch taken; the dispatcher thread's only
    bool stopped_ = false;
    std::thread thread_;  // last: starts after the members it uses exist
};

}  // namespace mob::detail
