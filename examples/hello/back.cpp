// background-worker.js: says it is running, and answers "foo".
#include <fmt/format.h>

#include "roles.hpp"

void back_main(mob::worker& w) {
    fmt::print("Background worker {} running.\n", w.pid());
    std::fflush(stdout);
    w.on<std::string>("foo", [&w](const std::string& path) {
        fmt::print("Bar! My pid is {} (request for {})\n", w.pid(), path);
        std::fflush(stdout);
    });
}
