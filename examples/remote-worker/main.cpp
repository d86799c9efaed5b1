// The app side of the remote-worker example: a kingpin that listens on TCP beside its
// ipc socket, a `local` role it starts itself, and a `remote` role whose worker it
// does not start: that one is mob-remote-worker, started by hand, here or on another
// machine (examples/remote-worker/README.md).
#include <mob/app.hpp>

#include <fmt/format.h>

#include <cstdio>

#include "fingerprint.hpp"

using namespace std::chrono_literals;

namespace {

void say(const std::string& text) {
    fmt::print("{}\n", text);
    std::fflush(stdout);
}

/// Asks the remote role for a fingerprint every second. A call waits in the broker
/// while no remote worker is there, up to its 2 s deadline, then fails with `timeout`.
void local_main(mob::worker& w) {
    w.ready();
    const auto remote = w.require("remote").with({.timeout = 2s});
    for (int tick = 1; !w.wait_until_stopping(1s); ++tick) {
        const auto text = fmt::format("tick {}", tick);
        auto r = remote.call(remote::fingerprint, text).get();
        if (r) {
            const auto& f = r.value();
            say(fmt::format("local {}: '{}' -> {:016x}, from remote worker {} on {}", w.pid(), text,
                            f.hash, f.pid, f.host));
        } else {
            say(fmt::format("local {}: '{}' failed ({}): {}", w.pid(), text,
                            mob::to_string(r.error().code), r.error().message));
        }
    }
}

}  // namespace

int main(int argc, char** argv) {
    return mob::app("remote")
        // Where remote workers join; $MOB_TCP_ENDPOINT wins over it (port 0: any free
        // one, logged as "listening on tcp://..."). CURVE: the kingpin's key pair and the
        // directory of the public keys it admits, made with `mobctl keygen` (README.md);
        // $MOB_CURVE_SECRET_FILE and $MOB_CURVE_ALLOW_DIR win over these paths.
        .listen_tcp("tcp://127.0.0.1:5555")
        .curve({.secret_file = "keys/remote-app.secret", .allow_dir = "keys/allowed"})
        .role("local", local_main)
        // The kingpin expects one worker here but starts none, and restarts none.
        .external_role("remote", {.workers = 1})
        .run(argc, argv);
}
