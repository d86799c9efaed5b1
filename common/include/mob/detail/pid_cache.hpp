// A cache of the process id for getpid(), which libzmq calls as its fork guard each
// time a socket's or I/O thread's command mailbox is signalled or found empty: several
// times per message. glibc (since 2.25) makes each one a system call, and system calls
// are what a round trip through the kingpin mostly costs on a VM.
#pragma once

namespace mob::detail {

/// From now on getpid() in this process answers from a cache, which fork() renews in
/// the child (pthread_atfork) and exec drops. The kingpin and every worker turn it on.
/// A child made with a raw clone() (not fork, vfork or posix_spawn followed by exec)
/// would read its parent's pid: mob makes none.
void cache_pid() noexcept;

/// Whether cache_pid() was called in this process (for tests).
bool pid_cached() noexcept;

}  // namespace mob::detail
