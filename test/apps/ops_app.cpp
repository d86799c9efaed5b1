// The app of the production tests (test/integration/deploy_test.cpp, logs_test.cpp,
// stop_app_test.cpp), built twice: mob-ops-app-v1 and mob-ops-app-v2 differ only in
// OPS_VERSION, what their "version" export answers, so a test that puts one in the
// other's place and reloads sees which code runs. App "testapp", roles "back"
// (TEST_BACK workers, default 2) and "front" (TEST_FRONT, default 1).
//
// Every worker exports version(), work(ms), say(stream, text) (a line on stdout or
// stderr), say_raw(bytes) (written to stdout as they are: partial lines, binary) and
// log(level, text) (through mob::log); all but version() answer the worker's pid.
// TEST_FLOOD=1 adds role "flood": one worker that writes stdout lines as fast as it can.
// TEST_BATCH=CODE adds role "batch": one worker that says "EVENT batch done" and calls
// w.stop_app(CODE). grow(mib) allocates and touches that much memory and keeps it;
// spin(ms) keeps a core busy that long (both answer the pid); TEST_MAX_MEMORY_MIB sets
// back's max_memory. TEST_LOG_DIR, TEST_LOG_PER_ROLE=1 and TEST_LOG_ROTATE=BYTES set the
// app's log files; TEST_SAME_BINARY=1 sets app::reload_same_binary.
#include <mob/app.hpp>
#include <mob/log.hpp>

#include <fmt/format.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#ifndef OPS_VERSION
#error "build with -DOPS_VERSION=N"
#endif

namespace {

int env_int(const char* name, int fallback) {
    const char* v = std::getenv(name);
    return v != nullptr ? std::atoi(v) : fallback;
}

void write_all(int fd, const std::string& bytes) {
    std::size_t done = 0;
    while (done < bytes.size()) {
        auto n = ::write(fd, bytes.data() + done, bytes.size() - done);
        if (n <= 0)
            return;
        done += static_cast<std::size_t>(n);
    }
}

void common_main(mob::worker& w) {
    w.export_fn("version", [] { return OPS_VERSION; });
    w.export_fn("work", [&w](int ms) {
        if (ms > 0)
            ::usleep(static_cast<useconds_t>(ms) * 1000);  // allowed-sleep: stands for work
        return w.pid();
    });
    w.export_fn("grow", [&w](int mib) {
        // Kept until the process ends: what a leak looks like to the kingpin.
        static std::vector<std::unique_ptr<char[]>> kept;
        for (int i = 0; i < mib; ++i) {
            kept.push_back(std::make_unique<char[]>(1 << 20));
            std::memset(kept.back().get(), 1, 1 << 20);  // touched: resident, not just mapped
        }
        return w.pid();
    });
    w.export_fn("spin", [&w](int ms) {
        auto end = std::chrono::steady_clock::now() + std::chrono::milliseconds{ms};
        volatile std::uint64_t n = 0;
        while (std::chrono::steady_clock::now() < end)
            n = n + 1;
        return w.pid();
    });
    w.export_fn("say", [&w](std::string stream, std::string text) {
        write_all(stream == "err" ? STDERR_FILENO : STDOUT_FILENO, text + "\n");
        return w.pid();
    });
    w.export_fn("say_raw", [&w](std::string bytes) {
        write_all(STDOUT_FILENO, bytes);
        return w.pid();
    });
    w.export_fn("log", [&w](std::string level, std::string text) {
        if (level == "warn")
            mob::log::warn("{}", text);
        else if (level == "error")
            mob::log::error("{}", text);
        else
            mob::log::info("{}", text);
        return w.pid();
    });
    std::printf("EVENT start %s %lld version %d\n", w.role().c_str(),
                static_cast<long long>(w.pid()), OPS_VERSION);
}

void flood_main(mob::worker& w) {
    common_main(w);
    w.ready();
    std::string line(100, 'x');
    for (long i = 0; !w.wait_until_stopping(std::chrono::milliseconds{0}); ++i)
        write_all(STDOUT_FILENO, fmt::format("flood {} {}\n", i, line));
}

void batch_main(mob::worker& w) {
    common_main(w);
    std::printf("EVENT batch done\n");
    std::fflush(stdout);
    auto r = w.stop_app(env_int("TEST_BATCH", 0)).get(std::chrono::seconds{5});
    if (!r) {
        std::printf("EVENT stop_app failed: %s %s\n", mob::to_string(r.error().code).data(),
                    r.error().message.c_str());
    }
}

}  // namespace

int main(int argc, char** argv) {
    mob::app app{"testapp"};
    app.role("back", common_main,
             {.workers = static_cast<std::uint32_t>(env_int("TEST_BACK", 2)),
              .min_uptime = std::chrono::milliseconds{0},
              .max_memory = static_cast<std::uint64_t>(env_int("TEST_MAX_MEMORY_MIB", 0)) << 20});
    app.role("front", common_main,
             {.workers = static_cast<std::uint32_t>(env_int("TEST_FRONT", 1)),
              .min_uptime = std::chrono::milliseconds{0}});
    if (env_int("TEST_FLOOD", 0) > 0)
        app.role("flood", flood_main);
    if (std::getenv("TEST_BATCH") != nullptr)
        app.role("batch", batch_main);
    if (env_int("TEST_SAME_BINARY", 0) > 0)
        app.reload_same_binary(true);
    mob::log_options logs;
    if (const char* dir = std::getenv("TEST_LOG_DIR"))
        logs.dir = dir;
    logs.per_role = env_int("TEST_LOG_PER_ROLE", 0) > 0;
    logs.rotate_bytes = static_cast<std::size_t>(env_int("TEST_LOG_ROTATE", 0));
    if (env_int("TEST_LOG_RING", 0) > 0)
        logs.ring_lines = static_cast<std::size_t>(env_int("TEST_LOG_RING", 0));
    app.logs(logs);
    return app.run(argc, argv);
}
