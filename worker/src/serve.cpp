// The life of a mobster process: join, run the role function, serve until told to
// stop. Shared by the kingpin's forked workers (mob::app) and by programs that link
// libmob-worker (mob::exec, or started by hand).
#include "crash_reporter.hpp"
#include "mob/detail/listen_fds.hpp"
#include "mob/log.hpp"
#include "mob/worker.hpp"
#include "worker_core.hpp"

#include <cxxabi.h>
#include <fmt/format.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <sys/eventfd.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstdint>
#include <cstring>
#include <thread>

namespace mob {

namespace {
std::atomic<worker*> the_worker{nullptr};

std::string current_exception_type() {
    auto* t = abi::__cxa_current_exception_type();
    return t != nullptr ? detail::demangle(t->name()) : "unknown";
}

/// Turns SIGTERM and SIGINT into a graceful stop. The signals are blocked in every
/// thread (the mask is set before any thread starts) and read here from a signalfd;
/// an eventfd ends the thread. It sleeps until one of them is readable: a thread that
/// woke ten times a second to look, in each of a thousand idle workers, cost a core.
class stop_on_signals {
  public:
    explicit stop_on_signals(worker& w) : worker_(w) {
        sigset_t set;
        sigemptyset(&set);
        sigaddset(&set, SIGTERM);
        sigaddset(&set, SIGINT);
        signals_ = ::signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK);
        done_ = ::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
        if (signals_ < 0 || done_ < 0)
            throw error(fmt::format("signalfd/eventfd: {}", std::strerror(errno)));
        thread_ = std::thread([this] { run(); });
    }
    ~stop_on_signals() {
        const std::uint64_t one = 1;
        [[maybe_unused]] auto n = ::write(done_, &one, sizeof one);
        thread_.join();
        ::close(signals_);
        ::close(done_);
    }
    stop_on_signals(const stop_on_signals&) = delete;
    stop_on_signals& operator=(const stop_on_signals&) = delete;

  private:
    void run() {
        for (;;) {
            pollfd fds[] = {{signals_, POLLIN, 0}, {done_, POLLIN, 0}};
            if (::poll(fds, 2, -1) < 0)
                continue;  // EINTR
            if ((fds[1].revents & POLLIN) != 0)
                return;
            signalfd_siginfo info{};
            while (::read(signals_, &info, sizeof info) == static_cast<ssize_t>(sizeof info)) {
                log::info("got {}: stopping", info.ssi_signo == SIGTERM ? "SIGTERM" : "SIGINT");
                worker_.request_stop();
            }
        }
    }
    worker& worker_;
    int signals_ = -1;
    int done_ = -1;
    std::thread thread_;
};
}  // namespace

worker& current_worker() {
    auto* w = the_worker.load();
    if (w == nullptr) {
        throw error(
            "not available on the kingpin: put all your application logic in mobsters "
            "(there is no worker in this process)",
            errc::not_a_mobster);
    }
    return *w;
}

int serve(const std::function<void(worker&)>& entry) {
    worker_options options;
    try {
        options = worker::options_from_env();
    } catch (const error& e) {
        log::error("{}", e.what());
        return 2;
    }
    return serve(std::move(options), entry);
}

int serve(worker_options options, const std::function<void(worker&)>& entry) {
    sigset_t stop_signals;
    sigemptyset(&stop_signals);
    sigaddset(&stop_signals, SIGTERM);
    sigaddset(&stop_signals, SIGINT);
    ::pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);
    // Shared listeners from the kingpin: taken (and their variables unset) before any
    // thread starts.
    (void)detail::inherited_listen_fds();
    // Before any thread starts: an exception escaping one of them reaches the kingpin.
    detail::install_crash_reporter(options.crash_fd);

    auto role = options.role;
    // A set-up error (a bad endpoint, an unreadable or malformed CURVE key) is the
    // user's to fix: said in one line, exit code 2, not a crash.
    std::unique_ptr<worker> owned;
    try {
        owned = std::make_unique<worker>(std::move(options));
    } catch (const error& e) {
        log::error("{}", e.what());
        return 2;
    }
    worker& w = *owned;
    the_worker = &w;
    int code = 0;
    {
        stop_on_signals signals{w};
        try {
            entry(w);
            w.ready();
            w.wait_until_stopping();
            w.core_->finish();  // calls in flight, then the shutdown hook
            if (w.refused())
                code = 2;
        } catch (const std::exception& e) {
            log::error("uncaught exception in role '{}': {}: {}", role, current_exception_type(),
                       e.what());
            detail::report_current_exception("the role function");
            code = 1;
        } catch (...) {
            log::error("uncaught exception in role '{}': {}", role, current_exception_type());
            detail::report_current_exception("the role function");
            code = 1;
        }
    }
    the_worker = nullptr;
    return code;
}

}  // namespace mob
