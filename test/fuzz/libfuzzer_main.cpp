// libFuzzer's entry for the broker target (built only with MOB_FUZZ, by clang).
#include "broker_fuzz.hpp"

#include <pthread.h>
#include <signal.h>
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <thread>

// libFuzzer's -timeout is a SIGALRM every second or so. Delivered to the thread that runs
// the broker, it interrupts ZeroMQ calls with EINTR, which the kingpin never sees (it
// blocks its signals in every thread, for its signalfd). So the alarm gets a thread of
// its own, and every other thread, ZeroMQ's included (they start later and inherit the
// mask), blocks it: the broker runs as it does in the kingpin, and timeouts still work.
extern "C" int LLVMFuzzerInitialize(int*, char***) {
    std::thread([] {
        for (;;)
            ::pause();  // only to take the alarm
    }).detach();
    sigset_t alarm;
    sigemptyset(&alarm);
    sigaddset(&alarm, SIGALRM);
    pthread_sigmask(SIG_BLOCK, &alarm, nullptr);
    return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    mob::fuzz::run_broker_input({data, size});
    return 0;
}
