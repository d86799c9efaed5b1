// The load of the chaos test: calls kept in flight from the test's own worker, a
// window of them at a time, of three kinds, each checked when it ends: "record"
// (not idempotent: the serving worker writes its token to a file, so the test can count
// how often each ran), "add" (idempotent: the broker may run it again elsewhere) and
// "count_words" (hands a callback, with a timeout, to the serving worker). Every call
// ends through then(), so what has not ended is counted, never waited on blindly.
#pragma once

#include <mob/worker.hpp>

#include <fmt/format.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <map>
#include <mutex>
#include <set>
#include <string>
#include <thread>

namespace mob::test {

class chaos_load {
  public:
    /// Calls `back` from `w`, `window` at a time, until stop().
    chaos_load(worker& w, std::size_t window)
        : back_(w.require("back").with({.timeout = call_timeout})),
          rerun_(w.require("back").with({.timeout = call_timeout, .idempotent = true})),
          window_(window),
          thread_([this] { run(); }) {}
    ~chaos_load() { stop(); }

    static constexpr std::chrono::milliseconds call_timeout{5000};
    static constexpr std::chrono::milliseconds callback_timeout{3000};

    /// No new call from now on (the ones in flight still end).
    void stop() {
        {
            std::lock_guard lock{mutex_};
            stopping_ = true;
        }
        cv_.notify_all();
        if (thread_.joinable())
            thread_.join();
    }
    /// Waits until every call made has ended; false if some have not within `timeout`.
    bool wait_all_ended(std::chrono::milliseconds timeout) {
        std::unique_lock lock{mutex_};
        return cv_.wait_for(lock, timeout, [&] { return outstanding_ == 0; });
    }
    /// Waits until `n` calls more than now have ended (the load is flowing).
    bool wait_ended(std::size_t n, std::chrono::milliseconds timeout) {
        std::unique_lock lock{mutex_};
        const auto target = ended_ + n;
        return cv_.wait_for(lock, timeout, [&] { return ended_ >= target; });
    }

    struct counts {
        std::size_t made = 0;
        std::size_t ended = 0;  ///< each call ends once: made == ended + outstanding
        std::size_t outstanding = 0;
        std::size_t wrong = 0;  ///< a result or a callback with a value it should not have
        std::map<std::string, std::size_t> outcomes;  ///< "record ok", "add worker_died", ...
        std::set<std::int64_t> recorded_ok;           ///< tokens of the records that succeeded
        std::size_t records = 0;                      ///< record calls made (tokens 0..records-1)
        std::size_t callbacks_called = 0;
    };
    counts snapshot() {
        std::lock_guard lock{mutex_};
        return counts_with(outstanding_);
    }

  private:
    counts counts_with(std::size_t outstanding) const {
        counts c = counts_;
        c.ended = ended_;
        c.outstanding = outstanding;
        return c;
    }

    template <typename T>
    void ended(const char* kind, const result<T>& r, bool right) {
        std::lock_guard lock{mutex_};
        ++counts_.outcomes[fmt::format("{} {}", kind, r.ok() ? "ok" : to_string(r.error().code))];
        if (r.ok() && !right)
            ++counts_.wrong;
        --outstanding_;
        ++ended_;
        cv_.notify_all();
    }

    void run() {
        for (std::uint64_t i = 0;; ++i) {
            {
                std::unique_lock lock{mutex_};
                cv_.wait(lock, [&] { return stopping_ || outstanding_ < window_; });
                if (stopping_)
                    return;
                ++outstanding_;
                ++counts_.made;
            }
            switch (i % 3) {
                case 0: {
                    std::int64_t token = 0;
                    {
                        std::lock_guard lock{mutex_};
                        token = static_cast<std::int64_t>(counts_.records++);
                    }
                    const int v = static_cast<int>(token % 1000);
                    back_.call<int>("record", token, v).then([this, token, v](result<int> r) {
                        if (r.ok()) {
                            std::lock_guard lock{mutex_};
                            counts_.recorded_ok.insert(token);
                        }
                        ended("record", r, r.ok() && *r == 3 * v + 1);
                    });
                    break;
                }
                case 1: {
                    const int a = static_cast<int>(i % 1000);
                    rerun_.call<int>("add", a, 2 * a).then([this, a](result<int> r) {
                        ended("add", r, r.ok() && *r == 3 * a);
                    });
                    break;
                }
                default: {
                    const int words = 1 + static_cast<int>(i % 5);
                    std::string text;
                    for (int k = 0; k < words; ++k)
                        text += k == 0 ? "w" : " w";
                    callback<void(int)> cb{[this, words](int n) {
                                               std::lock_guard lock{mutex_};
                                               ++counts_.callbacks_called;
                                               if (n != words)
                                                   ++counts_.wrong;
                                           },
                                           callback_timeout};
                    back_.call("count_words", text, cb).then([this](result<void> r) {
                        ended("count_words", r, true);
                    });
                    break;
                }
            }
        }
    }

    proxy back_;
    proxy rerun_;
    std::size_t window_;
    std::mutex mutex_;
    std::condition_variable cv_;
    bool stopping_ = false;
    std::size_t outstanding_ = 0;
    std::size_t ended_ = 0;
    counts counts_;
    std::thread thread_;  // last: it uses everything above
};

}  // namespace mob::test
