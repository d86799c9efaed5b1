#include "output_capture.hpp"

#include "mob/error.hpp"

#include <fcntl.h>
#include <fmt/format.h>
#include <sys/epoll.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <climits>
#include <cstring>

namespace mob::detail {

namespace {
std::int64_t now_ms() {
    return std::chrono::duration_cast<std::chrono::milliseconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
}

/// Whether a write of a line may wait: less than PIPE_BUF is free (small writes share
/// pages, so a "full" pipe is seldom filled to its last byte).
bool pipe_full(int fd) {
    int queued = 0;
    int size = fd >= 0 ? ::fcntl(fd, F_GETPIPE_SZ) : -1;
    return size > 0 && ::ioctl(fd, FIONREAD, &queued) == 0 && queued > size - PIPE_BUF;
}
}  // namespace

output_capture::output_capture(log_writer& writer, log_ring& ring)
    : writer_(writer), ring_(ring), epoll_(::epoll_create1(EPOLL_CLOEXEC)) {
    if (epoll_.get() < 0)
        throw error(fmt::format("epoll_create1: {}", std::strerror(errno)));
}

std::optional<output_capture::pipes> output_capture::make_pipes() {
    int out[2];
    int err[2];
    if (::pipe2(out, O_CLOEXEC) != 0)
        return std::nullopt;
    if (::pipe2(err, O_CLOEXEC) != 0) {
        ::close(out[0]);
        ::close(out[1]);
        return std::nullopt;
    }
    // Only the kingpin's ends: the worker's stdout stays an ordinary blocking one.
    ::fcntl(out[0], F_SETFL, O_NONBLOCK);
    ::fcntl(err[0], F_SETFL, O_NONBLOCK);
    return pipes{unique_fd{out[0]}, unique_fd{out[1]}, unique_fd{err[0]}, unique_fd{err[1]}};
}

void output_capture::attach(pid_t pid, const std::string& role, std::uint32_t slot, unique_fd out,
                            unique_fd err) {
    auto& w = workers_[pid];
    w.role = role;
    w.slot = slot;
    by_fd_[out.get()] = pid;
    by_fd_[err.get()] = pid;
    watch(out.get());
    watch(err.get());
    w.out.fd = std::move(out);
    w.err.fd = std::move(err);
    w.err.err = true;
}

void output_capture::detach(pid_t pid) {
    auto it = workers_.find(pid);
    if (it == workers_.end())
        return;
    auto& w = it->second;
    for (auto* s : {&w.out, &w.err}) {
        // The process is gone: what it wrote is there, bounded by the pipe's size (a
        // child of it that still writes is cut off here).
        if (s->fd.get() >= 0)
            read(pid, w, *s, 4 * read_budget);
        s->lines.flush([&](std::string line) { emit(pid, w, *s, std::move(line)); });
        close(*s);
    }
    workers_.erase(it);
}

void output_capture::watch(int fd) {
    epoll_event e{};
    e.events = EPOLLIN;  // level-triggered: a pipe read only in part is reported again
    e.data.fd = fd;
    if (::epoll_ctl(epoll_.get(), EPOLL_CTL_ADD, fd, &e) != 0)
        log::warn("epoll_ctl: {}: a worker's output is not read", std::strerror(errno));
}

void output_capture::close(stream& s) {
    by_fd_.erase(s.fd.get());
    s.fd = unique_fd{};
}

void output_capture::on_readable() {
    std::array<epoll_event, 256> events;
    const int n = ::epoll_wait(epoll_.get(), events.data(), events.size(), 0);
    for (int i = 0; i < n; ++i) {
        auto owner = by_fd_.find(events[i].data.fd);
        if (owner == by_fd_.end())
            continue;  // closed by an earlier event of this batch
        auto pid = owner->second;
        auto& w = workers_.at(pid);
        read(pid, w, w.out.fd.get() == events[i].data.fd ? w.out : w.err, read_budget);
    }
}

void output_capture::read(pid_t pid, worker_output& w, stream& s, std::size_t budget) {
    char buf[16 * 1024];
    std::size_t taken = 0;
    while (taken < budget) {
        auto n = ::read(s.fd.get(), buf, sizeof buf);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return;  // EAGAIN: nothing more now
        if (n == 0) {
            // Closed: the worker (and every child of it) is done with this stream.
            s.lines.flush([&](std::string line) { emit(pid, w, s, std::move(line)); });
            close(s);
            return;
        }
        taken += static_cast<std::size_t>(n);
        s.lines.feed(std::string_view{buf, static_cast<std::size_t>(n)},
                     [&](std::string line) { emit(pid, w, s, std::move(line)); });
    }
}

void output_capture::emit(pid_t pid, worker_output& w, const stream& s, std::string text) {
    log_line l;
    l.time_ms = now_ms();
    l.app = writer_.settings().app;
    l.role = w.role;
    l.slot = static_cast<std::int32_t>(w.slot);
    l.pid = pid;
    l.stream = s.err ? "stderr" : "stdout";
    if (s.err) {
        // A worker's own mob::log lines ("warn: ...") carry their level.
        if (auto split = split_log_level(text)) {
            l.level = std::string{split->first};
            text = std::string{split->second};
        }
    }
    l.message = std::move(text);
    ++w.count;
    ring_.add(l);
    writer_.push(l, false);
}

bool output_capture::blocked(pid_t pid) const {
    auto it = workers_.find(pid);
    return it != workers_.end() &&
           (pipe_full(it->second.out.fd.get()) || pipe_full(it->second.err.fd.get()));
}

std::uint64_t output_capture::lines(pid_t pid) const {
    auto it = workers_.find(pid);
    return it == workers_.end() ? 0 : it->second.count;
}

void output_capture::kingpin_line(log::level lv, std::string_view text) {
    log_line l;
    l.time_ms = now_ms();
    l.app = writer_.settings().app;
    l.role = "kingpin";
    l.pid = ::getpid();
    l.stream = "stderr";
    l.level = std::string{log::level_name(lv)};
    l.message = escape_log_text(text);
    ring_.add(l);
    writer_.push(l, true);
}

}  // namespace mob::detail
