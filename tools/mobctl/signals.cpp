#include "signals.hpp"

#include <poll.h>
#include <signal.h>

#include <csignal>

namespace mob::ctl {

namespace {

volatile std::sig_atomic_t stop_flag = 0;

void on_stop_signal(int) {
    stop_flag = 1;
}

}  // namespace

void catch_stop_signals() {
    struct sigaction sa {};
    sa.sa_handler = on_stop_signal;
    sigemptyset(&sa.sa_mask);
    sa.sa_flags = 0;  // no SA_RESTART: a wait in progress ends with EINTR
    ::sigaction(SIGINT, &sa, nullptr);
    ::sigaction(SIGTERM, &sa, nullptr);
}

bool stop_requested() {
    return stop_flag != 0;
}

bool pause_for(std::chrono::milliseconds duration) {
    using clock = std::chrono::steady_clock;
    auto deadline = clock::now() + duration;
    while (!stop_requested()) {
        auto left = std::chrono::ceil<std::chrono::milliseconds>(deadline - clock::now());
        if (left.count() <= 0)
            break;
        ::poll(nullptr, 0, static_cast<int>(left.count()));  // EINTR on a signal
    }
    return !stop_requested();
}

}  // namespace mob::ctl
