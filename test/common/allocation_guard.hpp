// A replaced global operator new for tests that feed untrusted bytes to a decoder: it
// records the largest request and refuses any above allocation_cap, so a decoder that
// believes a length prefix claiming gigabytes fails fast instead of zero-filling them.
#pragma once

#include <atomic>
#include <cstddef>

namespace mob::test {

inline constexpr std::size_t allocation_cap = std::size_t{256} << 20;

/// The largest size asked of operator new since the last reset.
extern std::atomic<std::size_t> largest_allocation;

inline void reset_largest_allocation() {
    largest_allocation = 0;
}

}  // namespace mob::test
