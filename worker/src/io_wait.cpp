// The I/O thread's sleep: one poll(2) of the DEALER's, the wake-up eventfd's and the
// monitor's file descriptors (the monitor is read to the end just before). zmq_poll()
// would ask each ZeroMQ socket for its events before and after sleeping, two system
// calls each; the worker sleeps and wakes about once per call.
#include "worker_core.hpp"

#include <poll.h>
#include <unistd.h>

namespace mob::detail {

void worker_core::wait_for_io(std::chrono::milliseconds wait, bool sent_since_read) {
    // A ZeroMQ socket's descriptor only says that something changed since the socket
    // last looked at its commands (edge-triggered). The loop sleeps only after a read
    // that found nothing, which looked; a send since may have taken in new messages
    // on its way, and a wait to send needs the socket's word: then ask once more.
    if (sent_since_read || !backlog_.empty()) {
        auto events = socket_.get(zmq::sockopt::events);
        if ((events & ZMQ_POLLIN) != 0 || (!backlog_.empty() && (events & ZMQ_POLLOUT) != 0))
            return;
    }
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
