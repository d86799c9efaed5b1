// Writes the seed inputs of the broker fuzz target into a directory (the repository's
// test/fuzz/corpus): real conversations made of the protocol's own messages, each
// through the structured operations of fuzz_input.hpp, so libFuzzer starts from inputs
// that reach every part of the broker. Run again after changing the input format:
//     mob-fuzz-seeds test/fuzz/corpus
#include "fuzz_input.hpp"

#include <cstdio>
#include <fstream>
#include <string>

namespace {

using mob::fuzz::input_writer;
using mob::fuzz::op;

// Indexes into broker_fuzz.cpp's small sets.
enum peer_ix : std::uint8_t { p_back0, p_back1, p_front, p_x };
enum role_ix : std::uint8_t { r_back, r_front, r_nosuch, r_empty };
enum pid_ix : std::uint8_t { pid_101, pid_102, pid_1000, pid_0 };
enum method_ix : std::uint8_t { m_add, m_ping, m_nosuch, m_empty };

struct seed {
    input_writer w;

    seed& hello(std::uint8_t peer, role_ix role, pid_ix pid, bool spawned = true) {
        std::uint8_t c = static_cast<std::uint8_t>((role << 2) | (pid << 4) | (spawned ? 0x40 : 0));
        w.operation(op::hello).byte(peer).byte(c).byte(1);
        return *this;
    }
    seed& ready(std::uint8_t peer, std::uint8_t credit = 1, std::uint8_t exports = 0x3) {
        w.operation(op::ready).byte(peer).byte(credit).byte(exports);
        return *this;
    }
    seed& join(std::uint8_t peer, role_ix role, pid_ix pid, std::uint8_t credit = 1) {
        return hello(peer, role, pid).ready(peer, credit);
    }
    seed& call(std::uint8_t peer, std::uint8_t id, std::uint8_t flags = 0, std::uint8_t timeout = 0,
               role_ix role = r_back, method_ix method = m_add) {
        w.operation(op::call).byte(peer).byte(id).byte(flags).byte(timeout).byte(role).byte(method);
        w.blob("args");
        return *this;
    }
    /// Answers the `which`-th REQUEST `peer` holds.
    seed& reply(std::uint8_t peer, std::uint8_t which = 0, std::uint8_t code = 0) {
        w.operation(op::reply).byte(peer).byte(which).byte(code).byte(0).blob("42");
        return *this;
    }
    seed& send(std::uint8_t peer, std::uint8_t seq, std::uint8_t kind, std::uint8_t value) {
        w.operation(op::send).byte(peer).byte(seq).byte(kind).byte(value).blob("hi");
        return *this;
    }
    seed& invoke(std::uint8_t peer, std::uint8_t origin, std::uint8_t cb) {
        w.operation(op::invoke).byte(peer).byte(1).byte(origin).byte(cb).blob("7");
        return *this;
    }
    seed& release(std::uint8_t peer, std::uint8_t origin, std::uint8_t cb) {
        w.operation(op::release).byte(peer).byte(origin).byte(cb);
        return *this;
    }
    seed& reject(std::uint8_t peer, std::uint8_t to, std::uint8_t seq) {
        w.operation(op::reject).byte(peer).byte(to).byte(seq).byte(5);
        return *this;
    }
    seed& scale(std::uint8_t peer, std::uint8_t id, role_ix role, std::int8_t delta) {
        w.operation(op::scale).byte(peer).byte(id).byte(role).byte(
            static_cast<std::uint8_t>(delta));
        return *this;
    }
    seed& signal(std::uint8_t peer, std::uint8_t b) {
        w.operation(op::signal).byte(peer).byte(b);
        return *this;
    }
    seed& advance(std::uint8_t quarter_tenths) {
        w.operation(op::advance).byte(quarter_tenths);
        return *this;
    }
    seed& exited(pid_ix pid, bool clean) {
        w.operation(op::exited).byte(pid).byte(clean ? 1 : 0);
        return *this;
    }
    seed& stop_worker(pid_ix pid) {
        w.operation(op::stop_worker).byte(pid);
        return *this;
    }
    seed& stop_all() {
        w.operation(op::stop_all);
        return *this;
    }
    /// Closes the peer's socket (for the rest of the input).
    seed& vanish(std::uint8_t peer) {
        w.operation(op::vanish).byte(peer);
        return *this;
    }
    seed& check() {
        w.operation(op::check);
        return *this;
    }
    /// A v1 command of the table (by index) with its body frames as given.
    seed& raw_command(std::uint8_t peer, std::uint8_t index,
                      std::initializer_list<std::string_view> body) {
        w.operation(op::raw).byte(static_cast<std::uint8_t>(peer | (3 << 2))).byte(0).byte(index);
        for (auto b : body)
            w.blob(b);
        return *this;
    }
    /// Frames as they are (the first is the header frame, or is not).
    seed& raw_frames(std::uint8_t peer, std::initializer_list<std::string_view> frames) {
        w.operation(op::raw).byte(peer).byte(static_cast<std::uint8_t>(frames.size() - 1));
        for (auto f : frames)
            w.blob(f);
        return *this;
    }
};

/// The workers every seed starts from: two local back workers and a front.
seed cluster() {
    seed s;
    s.join(p_back0, r_back, pid_101)
        .join(p_back1, r_back, pid_102)
        .join(p_front, r_front, pid_1000);
    return s;
}

bool write(const std::string& dir, const std::string& name, const seed& s) {
    std::ofstream out{dir + "/seed-" + name, std::ios::binary};
    out << s.w.str();
    return static_cast<bool>(out);
}

}  // namespace

int main(int argc, char** argv) {
    if (argc != 2) {
        std::fprintf(stderr, "usage: %s CORPUS_DIR\n", argv[0]);
        return 2;
    }
    const std::string dir = argv[1];
    bool ok = true;
    ok &=
        write(dir, "call-reply", cluster().call(p_front, 1).reply(p_back0).reply(p_back1).check());
    ok &= write(dir, "credit-and-queue",
                cluster()
                    .ready(p_back0, 2)
                    .call(p_front, 1)
                    .call(p_front, 2)
                    .call(p_front, 3)
                    .call(p_front, 4)
                    .call(p_front, 5)
                    .call(p_front, 6)
                    .call(p_front, 7)
                    .check()
                    .reply(p_back0)
                    .reply(p_back1)
                    .reply(p_back0)
                    .advance(100)
                    .check());
    ok &= write(dir, "idempotent-rerun",
                cluster().call(p_front, 9, 0x01).exited(pid_101, false).reply(p_back1).check());
    ok &= write(dir, "worker-died",
                cluster().call(p_front, 9).call(p_front, 10).exited(pid_102, false).check());
    ok &= write(dir, "clean-exit-grace",
                cluster()
                    .call(p_front, 3)
                    .exited(pid_101, true)
                    .advance(16)
                    .reply(p_back0)
                    .signal(p_back0, 1)
                    .call(p_front, 4)
                    .advance(40)
                    .check());
    ok &= write(dir, "oneway-and-report",
                cluster()
                    .call(p_front, 5, 0x02)
                    .call(p_front, 6, 0x04)
                    .reply(p_back0, 0, 3)
                    .reply(p_back1)
                    .check());
    ok &= write(dir, "errors",
                cluster()
                    .call(p_front, 1, 0, 0, r_nosuch)
                    .call(p_front, 2, 0, 0, r_back, m_nosuch)
                    .call(p_x, 3)
                    .scale(p_x, 4, r_back, 1)
                    .check());
    ok &= write(dir, "messages",
                cluster()
                    .send(p_front, 1, 0, 0)
                    .send(p_front, 2, 1, r_back)
                    .send(p_front, 3, 2, r_back)
                    .send(p_front, 4, 3, pid_101)
                    .send(p_front, 5, 4, p_back1)
                    .send(p_front, 6, 4, 250)
                    .send(p_front, 7, 2, r_nosuch)
                    .reject(p_back0, p_front, 3)
                    .check());
    ok &= write(dir, "any-queued",
                seed{}
                    .join(p_front, r_front, pid_1000)
                    .send(p_front, 1, 2, r_back)
                    .send(p_front, 2, 2, r_back)
                    .join(p_back0, r_back, pid_101)
                    .advance(200)
                    .check());
    ok &= write(dir, "callbacks",
                cluster()
                    .invoke(p_back0, p_front, 1)
                    .release(p_back0, p_front, 1)
                    .invoke(p_back1, 250, 2)
                    .release(p_back1, 250, 2)
                    .check());
    ok &= write(dir, "scale",
                cluster()
                    .scale(p_front, 1, r_back, 1)
                    .scale(p_front, 2, r_back, -1)
                    .scale(p_front, 3, r_back, 0)
                    .scale(p_front, 4, r_nosuch, 1)
                    .check());
    ok &= write(dir, "silence",
                cluster().call(p_front, 1).advance(60).advance(60).advance(60).check());
    ok &= write(dir, "stop",
                cluster()
                    .call(p_front, 1)
                    .call(p_front, 2)
                    .call(p_front, 3)
                    .stop_worker(pid_101)
                    .reply(p_back0)
                    .stop_all()
                    .call(p_front, 4)
                    .check());
    ok &= write(dir, "hello-again",
                cluster()
                    .call(p_front, 1)
                    .hello(p_back0, r_back, pid_101)
                    .hello(p_back0, r_nosuch, pid_0)
                    .hello(p_x, r_front, pid_101, false)
                    .check());
    ok &= write(dir, "raw-commands",
                seed{}
                    .raw_command(p_x, 0, {"\x01"})
                    .raw_command(p_x, 3, {"12345678", "*", "t", "y", "p"})
                    .raw_frames(p_x, {"MOB2\x04", "12345678"})
                    .raw_frames(p_x, {"MOB"})
                    .raw_frames(p_x, {"MOB1\x7f"})
                    .raw_command(p_x, 6, {"", ""})
                    .check());
    ok &= write(dir, "raw-from-known",
                cluster()
                    .raw_command(p_front, 6, {"\x01\x02\x03", "x"})
                    .raw_command(p_back0, 7, {"1234", ""})
                    .raw_command(p_front, 1, {"\xff\xff\xff\xff"})
                    .raw_command(p_back0, 8, {"1", "2", "3", "4", "5"})
                    .raw_command(p_front, 10, {"12345678", "back", "\x01"})
                    .check());
    ok &= write(dir, "vanished-server",
                cluster()
                    .call(p_front, 1)
                    .vanish(p_back0)
                    .advance(8)
                    .call(p_front, 2)
                    .call(p_front, 3, 0x01)
                    .reply(p_back1)
                    .advance(0)
                    .check());
    ok &= write(dir, "vanished-caller",
                cluster()
                    .call(p_front, 1)
                    .call(p_front, 2)
                    .vanish(p_front)
                    .reply(p_back0)
                    .reply(p_back1)
                    .invoke(p_back0, p_front, 1)
                    .send(p_back1, 4, 4, p_front)
                    .check());
    ok &= write(dir, "vanished-origin",
                cluster()
                    .vanish(p_front)
                    .invoke(p_back0, p_front, 7)
                    .release(p_back0, p_front, 7)
                    .send(p_back0, 1, 1, r_front)
                    .check());
    if (!ok) {
        std::fprintf(stderr, "%s: could not write the seeds into %s\n", argv[0], dir.c_str());
        return 1;
    }
    return 0;
}
