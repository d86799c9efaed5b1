#include "mob/detail/pid_cache.hpp"

#include <pthread.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <atomic>
#include <mutex>

namespace {

std::atomic<pid_t> cached_pid{0};  // 0: not cached, ask the kernel

pid_t kernel_pid() noexcept {
    return static_cast<pid_t>(::syscall(SYS_getpid));
}

void renew_in_child() noexcept {
    if (cached_pid.load(std::memory_order_relaxed) != 0)
        cached_pid.store(kernel_pid(), std::memory_order_relaxed);
}

}  // namespace

// Takes the place of glibc's getpid() for the whole process (this library comes before
// libc in the symbol search order), so libzmq's calls find it too.
extern "C" pid_t getpid() noexcept {
    auto pid = cached_pid.load(std::memory_order_relaxed);
    return pid != 0 ? pid : kernel_pid();
}

namespace mob::detail {

void cache_pid() noexcept {
    static std::once_flag once;
    std::call_once(once, [] {
        ::pthread_atfork(nullptr, nullptr, renew_in_child);
        cached_pid.store(kernel_pid(), std::memory_order_relaxed);
    });
}

bool pid_cached() noexcept {
    return cached_pid.load(std::memory_order_relaxed) != 0;
}

}  // namespace mob::detail
