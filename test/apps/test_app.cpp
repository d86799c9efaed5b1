// The app the integration tests run: roles "back" and "front" (counts from TEST_BACK,
// TEST_FRONT), and "late" (TEST_LATE_MS: a worker that is ready only after that
// long). Every worker prints "EVENT ..." lines the tests wait for, and acknowledges
// each "probe" to its sender, so a test that joins as a worker sees who got what.
#include <mob/app.hpp>

#include <fmt/format.h>

#include <chrono>
#include <cstdlib>
#include <string>
#include <thread>

namespace {

int env_int(const char* name, int fallback) {
    const char* v = std::getenv(name);
    return v != nullptr ? std::atoi(v) : fallback;
}

void say(const std::string& line) {
    auto text = line + "\n";
    std::fwrite(text.data(), 1, text.size(), stdout);
    std::fflush(stdout);
}

struct ack {
    std::string role;
    std::int64_t pid = 0;
    int value = 0;
    template <class A>
    void serialize(A& a) {
        a(role, pid, value);
    }
};

void common_main(mob::worker& w) {
    say(fmt::format("EVENT start {} {}", w.role(), w.pid()));
    w.on<int>("probe", [&w](const int& value, const mob::message& m) {
        say(fmt::format("EVENT got {} {} probe {} from {}", w.role(), w.pid(), value, m.sender));
        w.id(m.sender).send("ack", fmt::format("{} {} {}", w.role(), w.pid(), value));
    });
    w.on<std::string>("crash", [](const std::string& how) {
        if (how == "abort") std::abort();
        std::exit(3);
    });
}

void late_main(mob::worker& w) {
    common_main(w);
    // allowed-sleep: this role stands for a worker whose set-up takes a while.
    std::this_thread::sleep_for(std::chrono::milliseconds{env_int("TEST_LATE_MS", 0)});
}

}  // namespace

int main(int argc, char** argv) {
    mob::app app{"testapp"};
    const std::string config = std::getenv("TEST_CONFIG") != nullptr ? std::getenv("TEST_CONFIG") : "";
    auto back = static_cast<std::uint32_t>(env_int("TEST_BACK", 4));
    auto front = static_cast<std::uint32_t>(env_int("TEST_FRONT", 2));
    app.role("back", common_main, {.workers = back});
    app.role("front", common_main, {.workers = front});
    if (env_int("TEST_LATE_MS", 0) > 0) app.role("late", late_main, {.workers = 1});
    if (config == "duplicate") app.role("back", common_main);
    if (config == "bad_name") app.role("no spaces", common_main);
    if (config == "zero") app.role("none", common_main, {.workers = 0});
    if (config == "min_above_max") app.role("range", common_main, {.min = 3, .max = 2});
    if (auto ms = env_int("TEST_QUEUE_TIMEOUT_MS", 0); ms > 0) {
        app.queue_limits(static_cast<std::size_t>(env_int("TEST_QUEUE_MAX", 10000)),
                         std::chrono::milliseconds{ms});
    }
    if (auto ms = env_int("TEST_HEARTBEAT_MS", 0); ms > 0) app.heartbeat(std::chrono::milliseconds{ms});
    return app.run(argc, argv);
}
