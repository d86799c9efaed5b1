// A child's stdin and stdout pipes (spawn_options::pipe_stdio): lines written to it and
// read back from it, for the baselines driven through their standard streams.
#include "children.hpp"

#include <poll.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <climits>
#include <cstring>
#include <stdexcept>
#include <string>

namespace bench {

void child::send_line(std::string_view line) {
    std::string text{line};
    text += '\n';
    std::string_view rest = text;
    while (!rest.empty()) {
        auto n = stdin_fd_ >= 0 ? ::write(stdin_fd_, rest.data(), rest.size()) : -1;
        if (n < 0 && errno == EINTR) {
            continue;
        }
        if (n <= 0) {
            throw std::runtime_error(std::string{"writing to a child: "} +
                                     (stdin_fd_ >= 0 ? std::strerror(errno) : "no pipe"));
        }
        rest.remove_prefix(static_cast<std::size_t>(n));
    }
}

std::optional<std::string> child::read_line(std::chrono::milliseconds timeout) {
    auto deadline = std::chrono::steady_clock::now() + timeout;
    char buf[65536];
    for (;;) {
        if (auto nl = stdout_partial_.find('\n'); nl != std::string::npos) {
            auto line = stdout_partial_.substr(0, nl);
            stdout_partial_.erase(0, nl + 1);
            return line;
        }
        auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
            deadline - std::chrono::steady_clock::now());
        if (stdout_fd_ < 0 || left.count() <= 0) {
            return std::nullopt;
        }
        pollfd p{stdout_fd_, POLLIN, 0};
        int r = ::poll(&p, 1, static_cast<int>(std::min<long long>(left.count(), INT_MAX)));
        if (r < 0 && errno != EINTR) {
            return std::nullopt;
        }
        if (r <= 0) {
            continue;
        }
        auto n = ::read(stdout_fd_, buf, sizeof buf);
        if (n < 0 && errno == EINTR) {
            continue;
        }
        if (n <= 0) {
            return std::nullopt;  // EOF: it ended
        }
        stdout_partial_.append(buf, static_cast<std::size_t>(n));
    }
}

}  // namespace bench
