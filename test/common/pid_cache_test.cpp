// mob::detail::cache_pid(): getpid() from a cache that fork() renews in the child.
#include "mob/detail/pid_cache.hpp"

#include <gtest/gtest.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

namespace {

pid_t kernel_pid() {
    return static_cast<pid_t>(::syscall(SYS_getpid));
}

TEST(pid_cache, getpid_answers_the_kernels_pid_before_and_after_caching) {
    EXPECT_EQ(::getpid(), kernel_pid());
    mob::detail::cache_pid();
    EXPECT_TRUE(mob::detail::pid_cached());
    EXPECT_EQ(::getpid(), kernel_pid());
}

TEST(pid_cache, a_forked_child_sees_its_own_pid_not_its_parents) {
    mob::detail::cache_pid();
    const pid_t parent = ::getpid();
    pid_t child = ::fork();
    ASSERT_GE(child, 0);
    if (child == 0) {
        // The child's answer is its exit status: 0 if getpid() is its own pid.
        _exit(::getpid() == kernel_pid() && ::getpid() != parent ? 0 : 1);
    }
    int status = 0;
    ASSERT_EQ(::waitpid(child, &status, 0), child);
    ASSERT_TRUE(WIFEXITED(status));
    EXPECT_EQ(WEXITSTATUS(status), 0) << "the child read a stale pid";
    EXPECT_EQ(::getpid(), parent);
}

}  // namespace
