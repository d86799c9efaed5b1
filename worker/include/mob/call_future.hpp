// mob::call_future<T>: the result of a call, to wait for (with a timeout) or to
// continue from on the worker's dispatcher thread.
//
//     auto sum = back.call<int>("add", 1, 2);
//     mob::result<int> r = sum.get(2s);       // waits at most 2 s
//     back.call<int>("add", 3, 4).then([](mob::result<int> r) { ... });
#pragma once

#include "mob/detail/rpc_core.hpp"
#include "mob/result.hpp"

#include <chrono>
#include <memory>

namespace mob {

/// Nodiscard: a call whose future is dropped still runs, but its result and its error
/// are lost; cast() is the form that wants none (its errors reach on_error).
template <typename T>
class [[nodiscard]] call_future {
  public:
    explicit call_future(std::shared_ptr<detail::call_state> state) : state_(std::move(state)) {}

    /// Waits for the result. Every call has a timeout (the proxy's, or the worker's
    /// default), after which it completes with errc::timeout, so get() always returns;
    /// `wait` bounds this particular wait (errc::timeout if it passes first).
    result<T> get(std::chrono::milliseconds wait = std::chrono::milliseconds::max()) const {
        std::unique_lock lock{state_->mutex};
        auto done = [this] { return state_->result.has_value(); };
        if (!done() && detail::waiting_would_deadlock(state_->link.get())) {
            return call_error{errc::handler_failed,
                              state_->what +
                                  ": get() cannot wait inside an inline export (it runs on the "
                                  "worker's I/O thread, which delivers the result): use then() "
                                  "or a callback"};
        }
        if (wait == std::chrono::milliseconds::max()) {
            state_->cv.wait(lock, done);
        } else if (!state_->cv.wait_for(lock, wait, done)) {
            return call_error{errc::timeout, state_->what + ": no result within " +
                                                 std::to_string(wait.count()) + " ms"};
        }
        return detail::to_result<T>(*state_->result, state_->what);
    }

    /// The value, or throws mob::error with the call's error code and message.
    T value(std::chrono::milliseconds wait = std::chrono::milliseconds::max()) const {
        if constexpr (std::is_void_v<T>) {
            get(wait).value();
        } else {
            return std::move(get(wait).value());
        }
    }

    bool ready() const {
        std::lock_guard lock{state_->mutex};
        return state_->result.has_value();
    }

    /// Runs `fn(result<T>)` on the worker's dispatcher thread once the result is in.
    template <typename F>
    void then(F fn) const {
        std::unique_lock lock{state_->mutex};
        auto what = state_->what;
        auto run = [fn = std::move(fn), what](const detail::raw_result& r) mutable {
            fn(detail::to_result<T>(r, what));
        };
        if (state_->result) {
            // The result stays where it is (its body is a frame, not copied): the task
            // holds the state, whose result is never written again.
            lock.unlock();
            detail::post_to_dispatcher(
                state_->link,
                [run = std::move(run), state = state_]() mutable { run(*state->result); });
            return;
        }
        state_->continuation = std::move(run);
    }

  private:
    std::shared_ptr<detail::call_state> state_;
};

}  // namespace mob
