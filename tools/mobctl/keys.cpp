#include "keys.hpp"

#include <poll.h>
#include <unistd.h>

#include "signals.hpp"

namespace mob::ctl {

raw_keys::raw_keys() {
    if (::isatty(STDIN_FILENO) != 1 || ::tcgetattr(STDIN_FILENO, &saved_) != 0)
        return;
    termios raw = saved_;
    raw.c_lflag &= static_cast<tcflag_t>(~(ICANON | ECHO));  // ISIG stays: Ctrl-C is SIGINT
    raw.c_cc[VMIN] = 0;
    raw.c_cc[VTIME] = 0;
    active_ = ::tcsetattr(STDIN_FILENO, TCSANOW, &raw) == 0;
}

raw_keys::~raw_keys() {
    if (active_)
        ::tcsetattr(STDIN_FILENO, TCSANOW, &saved_);
}

bool raw_keys::pause(std::chrono::milliseconds duration) {
    if (!active_)
        return pause_for(duration);
    using clock = std::chrono::steady_clock;
    auto deadline = clock::now() + duration;
    while (!stop_requested()) {
        auto left = std::chrono::ceil<std::chrono::milliseconds>(deadline - clock::now());
        if (left.count() <= 0)
            return true;
        pollfd in{STDIN_FILENO, POLLIN, 0};
        if (::poll(&in, 1, static_cast<int>(left.count())) <= 0)
            continue;  // the time is up, or EINTR (a signal: the loop checks)
        char keys[16];
        auto n = ::read(STDIN_FILENO, keys, sizeof keys);
        for (ssize_t i = 0; i < n; ++i) {
            if (keys[i] == 'q' || keys[i] == 'Q')
                return false;
        }
        if (n == 0)
            return pause_for(std::chrono::ceil<std::chrono::milliseconds>(deadline - clock::now()));
    }
    return false;
}

}  // namespace mob::ctl
