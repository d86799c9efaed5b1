#include "fork_server.hpp"

#include "fork_request.hpp"
#include "mob/error.hpp"
#include "mob/log.hpp"

#include <fcntl.h>
#include <fmt/format.h>
#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>

#include <cerrno>
#include <cstring>

namespace mob::detail {

using namespace forks;

namespace {
/// The server's answers are a pid or a line of text.
constexpr std::size_t max_answer_bytes = 4096;

std::string errno_text() {
    return errno == 0 ? std::string{"it ended"} : std::string{std::strerror(errno)};
}
}  // namespace

fork_server::fork_server(const program_image& image, const std::vector<std::string>& argv,
                         std::vector<std::string> env) {
    int pair[2];
    if (::socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, pair) != 0) {
        mark_broken(fmt::format("socketpair: {}", std::strerror(errno)));
        return;
    }
    unique_fd mine{pair[0]};
    // The server's end at 64 or above, clear of where listeners go (3, 4, ...); spawn()
    // keeps it open across exec as it keeps a crash pipe.
    unique_fd theirs{::fcntl(pair[1], F_DUPFD_CLOEXEC, 64)};
    ::close(pair[1]);
    if (theirs.get() < 0) {
        mark_broken(fmt::format("moving its socket: {}", std::strerror(errno)));
        return;
    }
    // The server forks each worker through a first child that exits at once: the
    // worker, orphaned, goes to the nearest subreaper among its ancestors, the kingpin,
    // which reaps it and whose death its PDEATHSIG follows. Orphans of the workers'
    // own children come to the kingpin too, which reaps them.
    if (::prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) != 0) {
        mark_broken(fmt::format("PR_SET_CHILD_SUBREAPER: {}", std::strerror(errno)));
        return;
    }
    spawn_request req;
    req.exe = image.path().string();
    req.exe_fd = image.fd();
    req.argv = argv;
    req.env = std::move(env);
    req.env.push_back(fmt::format("MOB_FORK_SERVER_FD={}", theirs.get()));
    req.crash_fd = theirs.get();
    try {
        pid_ = spawn(req);
    } catch (const std::exception& e) {
        mark_broken(e.what());
        return;
    }
    socket_ = std::move(mine);
    log::debug("fork server pid {} started", pid_);
}

fork_server::~fork_server() {
    socket_ = unique_fd{};  // it exits at end of file
    if (pid_ > 0 && !reaped_) {
        ::kill(pid_, SIGKILL);
        while (::waitpid(pid_, nullptr, 0) < 0 && errno == EINTR) {
        }
    }
}

void fork_server::mark_broken(std::string why, bool expected) {
    if (!broken_.empty())
        return;
    broken_ = std::move(why);
    ready_ = false;
    const auto who = pid_ > 0 ? fmt::format(" pid {}", pid_) : std::string{};
    if (expected) {
        log::debug("fork server{}: {} as the app stops", who, broken_);
        return;
    }
    log::warn("fork server{}: {}; workers start by exec until the next reload", who, broken_);
}

bool fork_server::ready(std::chrono::milliseconds wait) {
    if (!broken_.empty())
        return false;
    if (ready_)
        return true;
    if (wait.count() > 0) {
        pollfd pfd{socket_.get(), POLLIN, 0};
        if (::poll(&pfd, 1, static_cast<int>(wait.count())) == 0)
            return false;  // still starting
    }
    auto p = receive_packet(socket_.get(), max_answer_bytes, /*dont_wait=*/true);
    if (!p) {
        if (errno != EAGAIN && errno != EWOULDBLOCK)
            mark_broken(fmt::format("before it was ready: {}", errno_text()));
        return false;
    }
    if (p->bytes.size() == 1 && p->bytes[0] == static_cast<char>(kind::ready)) {
        ready_ = true;
        log::debug("fork server pid {} is ready: workers start by fork", pid_);
        return true;
    }
    if (!p->bytes.empty() && p->bytes[0] == static_cast<char>(kind::declined))
        mark_broken(fmt::format("declined: {}", p->bytes.substr(1)));
    else
        mark_broken("it said something other than that it is ready");
    return false;
}

pid_t fork_server::start(const spawn_request& request) {
    auto out = start_all({&request});
    if (out.front().pid <= 0)
        throw error(out.front().error);
    return out.front().pid;
}

namespace {
/// The request for `r` and the descriptors that go with it (borrowed).
std::pair<std::string, std::vector<int>> request_for(const spawn_request& request) {
    start_request r;
    r.env = request.env;
    std::vector<int> fds;
    for (auto [fd, has] :
         {std::pair{request.stdout_fd, &r.has_stdout}, std::pair{request.stderr_fd, &r.has_stderr},
          std::pair{request.crash_fd, &r.has_crash}}) {
        *has = fd >= 0;
        if (fd >= 0)
            fds.push_back(fd);
    }
    for (const auto& l : request.listen) {
        r.listen_names.push_back(l.name);
        fds.push_back(l.fd);
    }
    if (r.listen_names.size() > max_listeners)
        return {};
    auto bytes = encode_start(r);
    if (bytes.size() > max_packet_bytes)
        return {};
    return {std::move(bytes), std::move(fds)};
}
}  // namespace

std::vector<fork_server::outcome> fork_server::start_all(
    const std::vector<const spawn_request*>& requests) {
    std::vector<outcome> out(requests.size());
    if (!ready()) {
        for (auto& o : out)
            o.error = broken_.empty() ? "the fork server is not ready" : broken_;
        return out;
    }
    std::vector<bool> sent(requests.size(), false);
    for (std::size_t i = 0; i < requests.size() && broken_.empty(); ++i) {
        auto [bytes, fds] = request_for(*requests[i]);
        if (bytes.empty()) {
            out[i].error = fmt::format(
                "its environment or its {} listeners are more than the "
                "fork server takes",
                requests[i]->listen.size());
            continue;
        }
        if (!send_packet(socket_.get(), bytes, fds))
            mark_broken(fmt::format("sending it a request: {}", std::strerror(errno)));
        else
            sent[i] = true;
    }
    for (std::size_t i = 0; i < requests.size(); ++i) {
        if (!sent[i] || !broken_.empty()) {
            if (out[i].error.empty())
                out[i].error = broken_;
            continue;
        }
        pollfd pfd{socket_.get(), POLLIN, 0};
        int n = 0;
        do {
            n = ::poll(&pfd, 1, static_cast<int>(answer_timeout.count()));
        } while (n < 0 && errno == EINTR);
        if (n == 0) {
            mark_broken(fmt::format("it did not answer within {} ms", answer_timeout.count()));
            ::kill(pid_, SIGKILL);
            out[i].error = broken_;
            continue;
        }
        auto p = receive_packet(socket_.get(), max_answer_bytes);
        if (!p) {
            mark_broken(fmt::format("waiting for its answer: {}", errno_text()));
            out[i].error = broken_;
        } else if (auto pid = decode_pid(p->bytes)) {
            ++forked_;
            out[i].pid = *pid;
        } else if (!p->bytes.empty() && p->bytes[0] == static_cast<char>(kind::failed)) {
            out[i].error =
                fmt::format("the fork server could not start it: {}", p->bytes.substr(1));
        } else {
            mark_broken("it answered with something other than a pid");
            out[i].error = broken_;
        }
    }
    return out;
}

void fork_server::ended(int status, bool expected) {
    reaped_ = true;
    mark_broken(fmt::format("it ended ({})", describe_exit(status)), expected);
}

}  // namespace mob::detail
