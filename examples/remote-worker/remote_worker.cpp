// The worker started by hand: a program that links libmob-worker only and joins a
// kingpin over TCP, told where by its environment:
//
//     MOB_ENDPOINT=tcp://kingpin-host:5555 MOB_ROLE=remote ./mob-remote-worker
//
// It exports remote::fingerprint and serves until the kingpin stops it (or Ctrl-C).
// If the kingpin goes away, it reconnects by itself and joins the new one.
#include <mob/worker.hpp>

#include <fmt/format.h>
#include <unistd.h>

#include <cstdio>

#include "fingerprint.hpp"

namespace {

std::string host_name() {
    char name[256] = {};
    ::gethostname(name, sizeof name - 1);
    return name;
}

std::uint64_t fnv1a(const std::string& text) {
    std::uint64_t hash = 14695981039346656037ull;
    for (unsigned char c : text) {
        hash ^= c;
        hash *= 1099511628211ull;
    }
    return hash;
}

}  // namespace

int main() {
    return mob::serve([](mob::worker& w) {
        w.export_fn(remote::fingerprint, [&w](const std::string& text) {
            return remote::fingerprint_result{fnv1a(text), host_name(), w.pid()};
        });
        w.on_shutdown([&w] {
            fmt::print("remote worker {} stopping\n", w.pid());
            std::fflush(stdout);
        });
        fmt::print("remote worker {} serving fingerprint as {}\n", w.pid(), w.id());
        std::fflush(stdout);
    });
}
