#include "event_log.hpp"

#include <chrono>

namespace mob::detail {

void event_log::add(std::string_view source, std::string_view kind, std::string_view endpoint,
                    std::string detail) {
    control::event e;
    e.seq = next_seq_++;
    e.time =
        std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
    e.source = source;
    e.kind = kind;
    e.endpoint = endpoint;
    e.detail = std::move(detail);
    if (source == "monitor") {
        ++by_kind_[e.kind];
        ++by_endpoint_[e.kind + " " + e.endpoint];
    }
    ring_.push_back(std::move(e));
    if (ring_.size() > capacity_)
        ring_.pop_front();
}

std::vector<control::event> event_log::since(std::uint64_t since) const {
    std::vector<control::event> out;
    for (const auto& e : ring_) {
        if (e.seq > since)
            out.push_back(e);
    }
    return out;
}

}  // namespace mob::detail
