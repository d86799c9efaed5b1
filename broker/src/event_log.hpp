// What happened in the kingpin, for `mobctl events`: ZeroMQ monitor events and the
// kingpin's own (workers started, ready, dead; scaling; reloads), in a bounded ring
// with increasing sequence numbers, plus running counts of monitor events.
#pragma once

#include "mob/control.hpp"

#include <cstdint>
#include <deque>
#include <map>
#include <string>
#include <string_view>
#include <vector>

namespace mob::detail {

class event_log {
  public:
    explicit event_log(std::size_t capacity = 1000) : capacity_(capacity) {}

    void add(std::string_view source, std::string_view kind, std::string_view endpoint,
             std::string detail);
    /// Events with seq > `since`, oldest first.
    std::vector<control::event> since(std::uint64_t since) const;
    std::uint64_t last() const { return next_seq_ - 1; }

    const std::map<std::string, std::uint64_t>& monitor_counts() const { return by_kind_; }
    const std::map<std::string, std::uint64_t>& monitor_endpoint_counts() const {
        return by_endpoint_;
    }

  private:
    std::size_t capacity_;
    std::uint64_t next_seq_ = 1;
    std::deque<control::event> ring_;
    std::map<std::string, std::uint64_t> by_kind_;
    std::map<std::string, std::uint64_t> by_endpoint_;
};

}  // namespace mob::detail
