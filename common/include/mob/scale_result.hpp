// What a worker's scale() request came to: the role's bounds and its worker count
// before and after. The kingpin clamps a request to min..max, so `target` may be
// less far than asked (or unchanged, at a bound); see docs/supervision.md.
#pragma once

#include <cstdint>
#include <string>

namespace mob {

struct scale_result {
    std::string role;
    std::uint32_t min = 0;
    std::uint32_t max = 0;
    std::uint32_t before = 0;  ///< the role's target count before the request
    std::uint32_t target = 0;  ///< its target count now
    bool clamped = false;      ///< the request went past min or max and was cut there

    template <class Archive>
    void serialize(Archive& ar) {
        ar(role, min, max, before, target, clamped);
    }
    friend bool operator==(const scale_result&, const scale_result&) = default;
};

}  // namespace mob
