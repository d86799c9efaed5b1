// The original README's "exchanging messages": send to every process, to all of a role, to any
// one of a role, to one pid, and listen with typed and catch-all handlers.
#include <mob/app.hpp>

#include <fmt/format.h>

#include <atomic>
#include <cstdio>

using namespace std::chrono_literals;

namespace {

void say(const std::string& line) {
    fmt::print("{}\n", line);
    std::fflush(stdout);
}

void pong_main(mob::worker& w) {
    // A typed handler per topic; the message tells who sent it.
    w.on<std::string>("hello", [&w](const std::string& text, const mob::message& m) {
        say(fmt::format("pong {} got '{}' from pid {}", w.pid(), text, m.sender_pid()));
        w.id(m.sender).send("pong", w.pid());  // answer the sender only
    });
}

void ping_main(mob::worker& w) {
    std::atomic<std::int64_t> a_pong{0};
    w.on<std::int64_t>("pong", [&](const std::int64_t& pid) { a_pong = pid; });
    // Sees whatever no typed handler takes: topic, sender and raw payload.
    w.on_message([&w](const mob::message& m) {
        say(fmt::format("ping {} got topic '{}' ({}) from pid {}", w.pid(), m.topic, m.type,
                        m.sender_pid()));
    });
    // A message that cannot be delivered comes back to its sender.
    w.on_error([](const mob::send_error& e) {
        say(fmt::format("ping: message {} came back: {}", e.seq, e.message));
    });
    w.ready();

    while (!w.wait_until_stopping(1s)) {
        w.send("hello", "to every process");             // every process, this one too
        w.all("pong").send("hello", "to every pong");    // every pong
        w.any("pong").send("hello", "to any one pong");  // the least recently used pong
        if (auto pid = a_pong.load(); pid != 0) {
            w.pid(pid).send("hello", fmt::format("to pong {} only", pid));  // one process
        }
        w.pid(999999999).send("hello", "to nobody");  // comes back as an error
    }
}

}  // namespace

int main(int argc, char** argv) {
    return mob::app("messages")
        .role("ping", ping_main, {.workers = 1})
        .role("pong", pong_main, {.workers = 3})
        .run(argc, argv);
}
