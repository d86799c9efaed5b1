// A move-only `void()` task (std::move_only_function is C++23): what the dispatcher runs.
// It can own the frames of a REQUEST or an INVOKED (zmq::message_t moves, never copies),
// so a call's arguments travel to the handler thread in the frame they came in.
#pragma once

#include <memory>
#include <type_traits>
#include <utility>

namespace mob::detail {

class unique_task {
  public:
    unique_task() = default;
    template <typename F,
              typename = std::enable_if_t<!std::is_same_v<std::remove_cvref_t<F>, unique_task>>>
    unique_task(F&& fn) : impl_(std::make_unique<model<std::decay_t<F>>>(std::forward<F>(fn))) {}

    explicit operator bool() const noexcept { return impl_ != nullptr; }
    void operator()() { impl_->run(); }

  private:
    struct concept_t {
        virtual ~concept_t() = default;
        virtual void run() = 0;
    };
    template <typename F>
    struct model final : concept_t {
        explicit model(F f) : fn(std::move(f)) {}
        void run() override { fn(); }
        F fn;
    };
    std::unique_ptr<concept_t> impl_;
};

}  // namespace mob::detail
