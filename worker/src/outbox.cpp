#include "outbox.hpp"

#include "mob/error.hpp"

#include <sys/eventfd.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string>

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
    // Counted first, checked second: once close() has set the bit, no push gets past
    // here, and one that got past before is counted until the consumer takes it.
    const auto before = state_.fetch_add(1);
    if ((before & closed_bit) != 0 || (before & count_mask) >= max_items_) {
        state_.fetch_sub(1);
        return (before & closed_bit) != 0 ? push_result::closed : push_result::full;
    }
    queue_.push(std::move(w));
    wake();
    return push_result::queued;
}

std::unique_ptr<work> outbox::take() {
    auto w = queue_.pop();
    if (w)
        state_.fetch_sub(1);
    return w;
}

void outbox::wake() noexcept {
    if (sleeping_.load()) {
        std::uint64_t one = 1;
        [[maybe_unused]] auto n = ::write(wake_fd_, &one, sizeof one);
    }
}

}  // namespace mob::detail
