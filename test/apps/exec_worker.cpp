// A role served by another program: it links libmob-worker only and calls mob::serve.
// The kingpin starts it through mob::exec (test/apps/test_app.cpp, TEST_EXEC), and the
// external-worker tests start it by hand with MOB_ENDPOINT and MOB_ROLE only. With
// TEST_EXEC_LISTEN it serves its role's shared listener "line".
//
// TEST_CALL_ROLE=R (with TEST_CALL_MS=N): once ready, it calls R.slow(N) and prints
// "EVENT call_result ok PID" or "EVENT call_result CODE MESSAGE" when it ends.
#include <mob/worker.hpp>

#include <fmt/format.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <thread>

namespace {
void say(const std::string& line) {
    fmt::print("{}\n", line);
    std::fflush(stdout);
}
}  // namespace

#include "line_server.hpp"

int main(int argc, char** argv) {
    std::string tag = argc > 1 ? argv[1] : "no-argument";
    return mob::serve([&tag](mob::worker& w) {
        say(fmt::format("EVENT start {} {} exec {}", w.role(), w.pid(), tag));
        w.export_fn("whoami", [&w] { return w.pid(); });
        w.export_fn("tag", [&tag] { return tag; });
        w.export_fn("slow", [&w](int ms) {
            say(fmt::format("EVENT slow {} {}", w.role(), w.pid()));
            const std::chrono::milliseconds pause{ms};
            std::this_thread::sleep_for(pause);  // allowed-sleep: simulated work
            return w.pid();
        });
        if (const char* role = std::getenv("TEST_CALL_ROLE")) {
            const char* ms = std::getenv("TEST_CALL_MS");
            w.require(role).call(
                "slow", ms != nullptr ? std::atoi(ms) : 0, [](mob::result<std::int64_t> r) {
                    if (r) {
                        say(fmt::format("EVENT call_result ok {}", r.value()));
                    } else {
                        say(fmt::format("EVENT call_result {} {}", mob::to_string(r.error().code),
                                        r.error().message));
                    }
                });
        }
        // With TEST_EXEC_LISTEN, its role has a shared listener "line": serve it.
        if (std::getenv("TEST_EXEC_LISTEN") != nullptr) {
            int fd = w.listener("line");
            mob::test::report_listener(w, "line", fd);
            mob::test::serve_lines(w, fd);
        }
    });
}
