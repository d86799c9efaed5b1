// The operators live in their own translation unit: GCC must not see them inlined
// next to their callers, or it warns about the malloc/free pairing.
#include "allocation_guard.hpp"

#include <cstdlib>
#include <new>

namespace mob::test {
std::atomic<std::size_t> largest_allocation{0};
}  // namespace mob::test

void* operator new(std::size_t n) {
    auto seen = mob::test::largest_allocation.load();
    while (n > seen && !mob::test::largest_allocation.compare_exchange_weak(seen, n)) {
    }
    if (n > mob::test::allocation_cap)
        throw std::bad_alloc{};
    if (void* p = std::malloc(n == 0 ? 1 : n))
        return p;
    throw std::bad_alloc{};
}

void operator delete(void* p) noexcept {
    std::free(p);
}
void operator delete(void* p, std::size_t) noexcept {
    std::free(p);
}
