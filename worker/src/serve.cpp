// The life of a mobster process: join, run the role function, serve until told to
// stop. Shared by the kingpin's forked workers (mob::app) and by programs that link
// libmob-worker (mob::exec, or started by hand).
#include "crash_reporter.hpp"
#include "mob/detail/listen_fds.hpp"
#include "mob/log.hpp"
#include "mob/worker.hpp"
#include "worker_core.hpp"

#include <cxxabi.h>
#include <pthread.h>
#include <signal.h>

#include <atomic>
#include <thread>

namespace mob {

namespace {
std::atomic<worker*> the_worker{nullptr};

std::string current_exception_type() {
    auto* t = abi::__cxa_current_exception_type();
    return t != nullptr ? detail::demangle(t->name()) : "unknown";
}

/// Turns SIGTERM and SIGINT into a graceful stop. The signals are blocked in every
/// thread (the mask is set before any thread starts) and taken here with sigtimedwait.
class stop_on_signals {
  public:
    explicit stop_on_signals(worker& w) : worker_(w) {
        sigemptyset(&set_);
        sigaddset(&set_, SIGTERM);
        sigaddset(&set_, SIGINT);
        thread_ = std::thread([this] { run(); });
    }
    ~stop_on_signals() {
        done_ = true;
        thread_.join();
    }

  private:
    void run() {
        timespec tick{0, 100'000'000};
        while (!done_) {
            int sig = ::sigtimedwait(&set_, nullptr, &tick);
            if (sig > 0) {
                log::info("got {}: stopping", sig == SIGTERM ? "SIGTERM" : "SIGINT");
                worker_.request_stop();
            }
        }
    }
    worker& worker_;
    sigset_t set_{};
    std::atomic<bool> done_{false};
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
