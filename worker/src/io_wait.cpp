// The I/O thread's sleep: one poll(2) of the DEALER's, the wake-up eventfd's and the
// monitor's file descriptors. zmq_poll() would ask the ZeroMQ sockets for their events
// before and after sleeping, two system calls each; the worker sleeps and wakes about
// once per call, so that was most of its system calls.
#include "worker_core.hpp"

#include <poll.h>
#include <unistd.h>

namespace mob::detail {

void worker_core::wait_for_io(std::chrono::milliseconds wait) {
    // A ZeroMQ socket's descriptor only says that something changed since it was last
    // looked at (edge-triggered): what a send took in on the way may already be readable,
    // so ask once before sleeping. The monitor was read to the end just before.
    auto events = socket_.get(zmq::sockopt::events);
    if ((events & ZMQ_POLLIN) != 0 || (!backlog_.empty() && (events & ZMQ_POLLOUT) != 0))
        return;
    pollfd fds[] = {
        {socket_.get(zmq::sockopt::fd), POLLIN, 0},
        {wake_fd_, POLLIN, 0},
        {monitor_ ? monitor_->pair().get(zmq::sockopt::fd) : -1, POLLIN, 0},
    };
    ::poll(fds, monitor_ ? 3 : 2, static_cast<int>(wait.count()));
    if ((fds[1].revents & POLLIN) != 0) {
        std::uint64_t n = 0;
        [[maybe_unused]] auto r = ::read(wake_fd_, &n, sizeof n);
    }
}

}  // namespace mob::detail
