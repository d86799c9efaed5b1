#include "crash_reporter.hpp"

#include "mob/codec.hpp"
#include "mob/detail/crash_record.hpp"

#include <cxxabi.h>
#include <fcntl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <atomic>
#include <cstdlib>
#include <exception>
#include <string>

namespace mob::detail {

namespace {
std::atomic<int> crash_fd{-1};
std::atomic<bool> reported{false};
std::terminate_handler previous_handler = nullptr;

/// Copies `text` into `out` (NUL-terminated, cut to fit) without allocating.
void copy_to(char* out, std::size_t cap, const char* text) noexcept {
    std::size_t i = 0;
    for (; text != nullptr && text[i] != '\0' && i + 1 < cap; ++i)
        out[i] = text[i];
    out[i] = '\0';
}

void write_record(const char* where, const char* type, const char* what) noexcept {
    int fd = crash_fd.load();
    if (fd < 0 || reported.exchange(true))
        return;
    // Static, not on the stack: a thread's stack may be nearly used up.
    static char record[crash_record_max];
    auto n = format_crash_record(record, where, type, what);
    // One write of at most PIPE_BUF bytes into an empty non-blocking pipe: atomic, and
    // it cannot block. A failure leaves the kingpin with the exit status alone.
    [[maybe_unused]] auto written = ::write(fd, record, n);
}

/// Type name and what() of the exception being handled, into fixed buffers. The
/// demangler allocates: a heap too broken for it leaves the mangled name.
void describe(char* type, std::size_t type_cap, char* what, std::size_t what_cap) noexcept {
    copy_to(type, type_cap, "unknown exception");
    copy_to(what, what_cap, "");
    auto* info = abi::__cxa_current_exception_type();
    if (info == nullptr)
        return;
    copy_to(type, type_cap, info->name());
    try {
        copy_to(type, type_cap, detail::demangle(info->name()).c_str());
    } catch (...) {
    }
    try {
        throw;
    } catch (const std::exception& e) {
        copy_to(what, what_cap, e.what());
    } catch (...) {
    }
}

[[noreturn]] void on_terminate() noexcept {
    static char type[1024];
    static char what[3000];
    static char where[64];
    static std::atomic<bool> entered{false};
    if (std::current_exception() && !entered.exchange(true)) {
        describe(type, sizeof type, what, sizeof what);
        // "thread <tid> (std::terminate)", formatted by hand.
        char digits[24];
        int len = 0;
        for (auto tid = static_cast<unsigned long>(::syscall(SYS_gettid)); tid > 0 || len == 0;
             tid /= 10) {
            digits[len++] = static_cast<char>('0' + tid % 10);
        }
        std::size_t n = 0;
        for (const char* p = "thread "; *p != '\0'; ++p)
            where[n++] = *p;
        while (len > 0)
            where[n++] = digits[--len];
        for (const char* p = " (std::terminate)"; *p != '\0'; ++p)
            where[n++] = *p;
        where[n] = '\0';
        write_record(where, type, what);
    }
    if (previous_handler != nullptr)
        previous_handler();  // libstdc++'s prints the exception too, then aborts
    std::abort();
}
}  // namespace

void install_crash_reporter(int fd) {
    ::unsetenv("MOB_CRASH_FD");  // a program this worker starts must not write into it
    if (fd >= 0 && ::fcntl(fd, F_GETFD) >= 0) {
        ::fcntl(fd, F_SETFD, FD_CLOEXEC);  // not for programs this worker starts
        crash_fd = fd;
    }
    auto old = std::set_terminate(on_terminate);
    if (old != on_terminate)
        previous_handler = old;
}

void report_current_exception(const char* where) noexcept {
    static char type[1024];
    static char what[3000];
    if (crash_fd.load() < 0 || reported.load())
        return;
    describe(type, sizeof type, what, sizeof what);
    write_record(where, type, what);
}

}  // namespace mob::detail
