#include "outbox.hpp"

#include "mob/error.hpp"

#include <sys/eventfd.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string>
#include <thread>

namespace mob::detail {

outbox::outbox(std::size_t max_items) : max_items_(max_items) {
    wake_fd_ = ::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    if (wake_fd_ < 0)
        throw error(std::string{"worker: eventfd: "} + std::strerror(errno));
}

outbox::~outbox() {
    ::close(wake_fd_);
}

outbox::push_result outbox::push(std::unique_ptr<work>& w) {
    // Counted first, checked second: close() sets closed_ and then waits for pushing_
    // to reach zero, so a push either sees closed_ or is waited for.
    pushing_.fetch_add(1);
    if (closed_.load()) {
        pushing_.fetch_sub(1);
        return push_result::closed;
    }
    const bool bounded = w->bounded();
    if (bounded && bounded_.fetch_add(1) >= max_items_) {
        bounded_.fetch_sub(1);
        pushing_.fetch_sub(1);
        return push_result::full;
    }
    queued_.fetch_add(1);
    queue_.push(std::move(w));
    wake();
    pushing_.fetch_sub(1);
    return push_result::queued;
}

std::unique_ptr<work> outbox::take() {
    auto w = queue_.pop();
    if (w) {
        if (w->bounded())
            bounded_.fetch_sub(1);
        queued_.fetch_sub(1);
    }
    return w;
}

void outbox::close() {
    closed_.store(true);
    while (pushing_.load() != 0)
        std::this_thread::yield();  // a push is a few instructions: never long
}

void outbox::wake() noexcept {
    if (sleeping_.load()) {
        std::uint64_t one = 1;
        [[maybe_unused]] auto n = ::write(wake_fd_, &one, sizeof one);
    }
}

}  // namespace mob::detail
