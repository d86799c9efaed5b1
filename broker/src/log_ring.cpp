#include "log_ring.hpp"

#include <algorithm>

namespace mob::detail {

void log_ring::add(log_line line) {
    line.seq = next_++;
    bytes_ += line.message.size();
    lines_.push_back(std::move(line));
    while (lines_.size() > capacity_ || (bytes_ > max_bytes_ && lines_.size() > 1)) {
        bytes_ -= lines_.front().message.size();
        lines_.pop_front();
    }
}

std::vector<log_line> log_ring::select(const std::string& role, std::uint64_t since,
                                       std::size_t max) const {
    // From the newest back, so "the last N" costs N, not the ring's size.
    std::vector<log_line> out;
    for (auto it = lines_.rbegin(); it != lines_.rend() && out.size() < max; ++it) {
        if (it->seq <= since)
            break;
        if (role.empty() || it->role == role)
            out.push_back(*it);
    }
    std::reverse(out.begin(), out.end());
    return out;
}

std::vector<log_line> log_ring::at_oldest_time() const {
    std::vector<log_line> out;
    for (const auto& l : lines_) {
        if (l.time_ms != lines_.front().time_ms)
            break;
        out.push_back(l);
    }
    return out;
}

}  // namespace mob::detail
