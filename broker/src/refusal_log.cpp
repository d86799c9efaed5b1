#include "refusal_log.hpp"

#include "mob/log.hpp"

#include <fmt/format.h>

namespace mob::detail {

bool refusal_log::refuse(std::string_view reason, std::string_view peer, std::string_view what,
                         clock::time_point now) {
    ++counts_[std::string{reason}];
    ++total_;
    auto key = fmt::format("{} {}", reason, peer);
    auto it = peers_.find(key);
    if (it != peers_.end() && now - it->second.logged < interval_) {
        ++it->second.unsaid;
        return false;
    }
    // Bounded: a scan from many addresses must not grow the map without end. Peers not
    // logged within the interval would be logged anew anyway, so they can go.
    if (peers_.size() >= 4096) {
        std::erase_if(peers_, [&](const auto& p) { return now - p.second.logged >= interval_; });
    }
    const auto unsaid = it != peers_.end() ? it->second.unsaid : 0;
    if (peers_.size() < 4096)
        peers_[key] = peer_state{now, 0};
    log::warn(
        "refused {}{}", what,
        unsaid > 0 ? fmt::format(" ({} more refusals of it since the last line)", unsaid) : "");
    return true;
}

}  // namespace mob::detail
